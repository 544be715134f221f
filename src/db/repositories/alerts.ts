import type pg from 'pg';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface AlertRow {
  id: string;
  type: string;
  severity: AlertSeverity;
  modelId: string | null;
  model: string | null;
  title: string;
  detail: string;
  dedupeKey: string;
  count: number;
  status: 'open' | 'acknowledged';
  firstSeenAt: Date;
  lastSeenAt: Date;
  acknowledgedAt: Date | null;
}

export interface NewAlert {
  type: string;
  severity: AlertSeverity;
  modelId: string | null;
  title: string;
  detail: string;
  dedupeKey: string;
}

/** Alerts; an open alert is unique per dedupe key (a partial unique index). */
export class AlertsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Inserts the alert, or — when an open alert with the same key exists — counts it again: count + 1, the
   * latest severity, title and detail, last_seen_at = now. One statement, so concurrent raises never make two.
   */
  async raise(alert: NewAlert): Promise<{ alert: AlertRow; created: boolean }> {
    const { rows } = await this.pool.query(
      `WITH upserted AS (
         INSERT INTO alerts (type, severity, model_id, title, detail, dedupe_key) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (dedupe_key) WHERE status = 'open' DO UPDATE SET
           count = alerts.count + 1, last_seen_at = now(), severity = EXCLUDED.severity, title = EXCLUDED.title, detail = EXCLUDED.detail
         RETURNING *, (xmax = 0) AS created
       )
       SELECT u.*, m.name AS model FROM upserted u LEFT JOIN models m ON m.id = u.model_id`,
      [alert.type, alert.severity, alert.modelId, alert.title, alert.detail, alert.dedupeKey],
    );
    const r = rows[0]!;
    return {
      created: r.created as boolean,
      alert: {
        id: r.id,
        type: r.type,
        severity: r.severity,
        modelId: r.model_id,
        model: r.model,
        title: r.title,
        detail: r.detail,
        dedupeKey: r.dedupe_key,
        count: r.count,
        status: r.status,
        firstSeenAt: r.first_seen_at,
        lastSeenAt: r.last_seen_at,
        acknowledgedAt: r.acknowledged_at,
      },
    };
  }
}
