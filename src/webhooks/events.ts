import type { NewMessage, VersionEventRow } from '../db/repositories/webhooks.js';
import { uuidv7 } from '../domain/ids.js';

/** Standard Webhooks message ids: `msg_` + a time-ordered UUID; the webhook-id header of every attempt. */
export const newMessageId = () => `msg_${uuidv7().replace(/-/g, '')}`;

/** The body of every event: `{type, timestamp, data}` (Standard Webhooks' recommended envelope). */
export function eventBody(type: string, data: Record<string, unknown>, at: Date): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data });
}

export const VERSION_EVENTS = ['model.version.promoted', 'model.version.rolled_back'] as const;
export type VersionEventType = (typeof VERSION_EVENTS)[number];

/**
 * A promotion or rollback for a subscriber: which version serves now (`productionVersion`) and which served
 * before (`previousVersion`), so the serving side can swap without reading anything else.
 */
export function versionEventMessage(event: VersionEventRow, endpointId: string): NewMessage {
  const type: VersionEventType = event.action === 'rollback' ? 'model.version.rolled_back' : 'model.version.promoted';
  return {
    id: newMessageId(),
    endpointId,
    modelId: event.modelId,
    eventType: type,
    body: eventBody(
      type,
      {
        model: event.model,
        productionVersion: event.version,
        previousVersion: event.fromVersion,
        artifactUri: event.artifactUri,
        reason: event.reason,
        occurredAt: event.createdAt.toISOString(),
      },
      event.createdAt,
    ),
  };
}
