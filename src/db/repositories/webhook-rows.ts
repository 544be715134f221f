/** The rows of the webhook tables as the outbox and the services see them. */

/** `alerts`: the alert notification webhook (ALERT_WEBHOOK_URL), the one endpoint without a model. */
export type EndpointKind = 'training' | 'subscription' | 'alerts';

export interface EndpointRow {
  id: string;
  modelId: string;
  kind: EndpointKind;
  url: string;
  events: string[];
  /** Sealed (see src/webhooks/secrets.ts). */
  secret: string;
  secretPrefix: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const toEndpoint = (r: Record<string, unknown>): EndpointRow => ({
  id: r.id as string,
  modelId: r.model_id as string,
  kind: r.kind as EndpointKind,
  url: r.url as string,
  events: r.events as string[],
  secret: r.secret as string,
  secretPrefix: r.secret_prefix as string,
  previousSecret: r.previous_secret as string | null,
  previousSecretExpiresAt: r.previous_secret_expires_at as Date | null,
  status: r.status as 'active' | 'disabled',
  disabledReason: r.disabled_reason as string | null,
  disabledAt: r.disabled_at as Date | null,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

export interface NewMessage {
  id: string;
  endpointId: string;
  /** Null for alert notifications that concern no model. */
  modelId: string | null;
  eventType: string;
  body: string;
  retrainRequestId?: string | null;
  sourceEventId?: string | null;
  alertId?: string | null;
}

/** A message claimed for one delivery attempt, with where it goes and how to sign it. */
export interface ClaimedMessage {
  id: string;
  eventType: string;
  body: string;
  attempt: number;
  retrainRequestId: string | null;
  modelId: string | null;
  endpoint: Pick<EndpointRow, 'id' | 'kind' | 'url' | 'secret' | 'previousSecret' | 'previousSecretExpiresAt' | 'status'> | null;
}

export interface AttemptRow {
  messageId: string;
  attempt: number;
  url: string;
  startedAt: Date;
  statusCode: number | null;
  durationMs: number | null;
  error: string | null;
}

export interface MessageRow {
  id: string;
  eventType: string;
  retrainRequestId: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  attemptCount: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface AttemptOutcome {
  messageId: string;
  attempt: number;
  url: string;
  startedAt: Date;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** succeeded; retry after delayMs; failed for good (with the reason a retrain request fails with). */
  next: { kind: 'succeeded' } | { kind: 'retry'; delayMs: number } | { kind: 'failed'; reason: string; disableEndpoint?: string };
}

export interface FinishedAttempt {
  /** Whether this worker's claim still held (another worker had not taken the message over). */
  recorded: boolean;
  /** Retrain requests that failed because of this outcome. */
  failedRequests: { id: string; modelId: string }[];
  endpointDisabled: boolean;
}

export interface VersionEventRow {
  id: string;
  modelId: string;
  model: string;
  action: string;
  reason: string | null;
  createdAt: Date;
  version: string;
  artifactUri: string | null;
  fromVersion: string | null;
}
