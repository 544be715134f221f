import type { AlertRow, AlertSeverity, AlertsRepository } from '../db/repositories/alerts.js';

export type { AlertRow, AlertSeverity } from '../db/repositories/alerts.js';

export interface RaiseAlert {
  /** What happened, dotted: `retrain.delivery_failed`, `webhook.disabled`, `model.rolled_back`, … */
  type: string;
  severity: AlertSeverity;
  modelId?: string | null;
  title: string;
  detail: string;
  /** Alerts with the same key are one alert while it is open; default `type:modelId`. */
  dedupeKey?: string;
}

/**
 * The core of alerting (issue 6 adds the API and acknowledgement): raising an alert that is already open
 * under the same dedupe key counts it again (count, lastSeenAt) instead of adding another one, so a
 * condition re-detected by every daily run is one alert with a count, not a flood.
 */
export class AlertService {
  constructor(
    private readonly repo: AlertsRepository,
    private readonly log: (alert: AlertRow, created: boolean) => void = () => {},
  ) {}

  async raise(input: RaiseAlert): Promise<{ alert: AlertRow; created: boolean }> {
    const modelId = input.modelId ?? null;
    const result = await this.repo.raise({
      type: input.type,
      severity: input.severity,
      modelId,
      title: input.title,
      detail: input.detail,
      dedupeKey: input.dedupeKey ?? `${input.type}:${modelId ?? '-'}`,
    });
    this.log(result.alert, result.created);
    return result;
  }
}
