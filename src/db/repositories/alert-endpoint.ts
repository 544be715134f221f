import type pg from 'pg';
import type { Queryable } from '../transaction.js';

export interface AlertEndpointRow {
  id: string;
  url: string;
  /** Sealed (see src/webhooks/secrets.ts). */
  secret: string;
  status: 'active' | 'disabled';
  disabledReason: string | null;
}

const toRow = (r: Record<string, unknown>): AlertEndpointRow => ({
  id: r.id as string,
  url: r.url as string,
  secret: r.secret as string,
  status: r.status as 'active' | 'disabled',
  disabledReason: r.disabled_reason as string | null,
});

/**
 * The alert notification webhook: the single endpoint of kind `alerts` (no model), kept in line with the
 * configuration (ALERT_WEBHOOK_URL, ALERT_WEBHOOK_SECRET) so that its messages go through the outbox.
 */
export class AlertEndpointRepository {
  constructor(private readonly pool: pg.Pool) {}

  async get(q: Queryable = this.pool): Promise<AlertEndpointRow | null> {
    const { rows } = await q.query(`SELECT id, url, secret, status, disabled_reason FROM webhook_endpoints WHERE kind = 'alerts'`);
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Creates the endpoint, or points it at a new URL or secret (which re-enables it). */
  async save(url: string, secret: string, secretPrefix: string): Promise<AlertEndpointRow> {
    const { rows } = await this.pool.query(
      `INSERT INTO webhook_endpoints (model_id, kind, url, events, secret, secret_prefix)
       VALUES (NULL, 'alerts', $1, ARRAY['alert.opened', 'alert.escalated', 'alert.resolved'], $2, $3)
       ON CONFLICT (kind) WHERE kind = 'alerts' DO UPDATE SET
         url = EXCLUDED.url, secret = EXCLUDED.secret, secret_prefix = EXCLUDED.secret_prefix,
         status = 'active', disabled_reason = NULL, disabled_at = NULL, updated_at = now()
       RETURNING id, url, secret, status, disabled_reason`,
      [url, secret, secretPrefix],
    );
    return toRow(rows[0]!);
  }

  /** Disables the endpoint and fails its pending messages (the webhook is no longer configured). */
  async disable(reason: string): Promise<void> {
    await this.pool.query(
      `WITH endpoint AS (
         UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $1, disabled_at = now(), updated_at = now()
         WHERE kind = 'alerts' AND status = 'active' RETURNING id
       )
       UPDATE webhook_messages SET status = 'failed', completed_at = now(), claimed_at = NULL, last_error = $1
       WHERE endpoint_id IN (SELECT id FROM endpoint) AND status = 'pending'`,
      [reason],
    );
  }

  async insertMessage(q: Queryable, m: { id: string; endpointId: string; modelId: string | null; alertId: string; eventType: string; body: string }): Promise<void> {
    await q.query(`INSERT INTO webhook_messages (id, endpoint_id, model_id, event_type, body, alert_id) VALUES ($1, $2, $3, $4, $5, $6)`, [
      m.id,
      m.endpointId,
      m.modelId,
      m.eventType,
      m.body,
      m.alertId,
    ]);
  }
}
