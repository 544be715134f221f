import type pg from 'pg';
import { inTransaction } from '../transaction.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';
/** What a raise did: opened a new alert, counted an unresolved one again, or raised it above its peak severity. */
export type AlertChange = 'opened' | 'repeated' | 'escalated';

export interface AlertRow {
  id: string;
  type: string;
  severity: AlertSeverity;
  /** The highest severity while unresolved: a raise above it is an escalation. */
  peakSeverity: AlertSeverity;
  modelId: string | null;
  model: string | null;
  title: string;
  detail: string;
  dedupeKey: string;
  count: number;
  status: AlertStatus;
  lastChange: AlertChange;
  firstSeenAt: Date;
  lastSeenAt: Date;
  createdBy: string | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  acknowledgementNote: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  resolution: string | null;
}

export interface NewAlert {
  type: string;
  severity: AlertSeverity;
  modelId: string | null;
  title: string;
  detail: string;
  dedupeKey: string;
  /** Who raised it by hand (a custom alert); null for Hindsight itself. */
  createdBy?: string | null;
}

/** Runs in the transaction that changed the alert: the notification webhook's outbox message is stored with it. */
export type AlertHook = (tx: pg.PoolClient, alert: AlertRow, change: AlertChange | 'resolved') => Promise<void>;

export interface AlertFilter {
  /** Last seen at or after. */
  from?: Date;
  /** First seen before. */
  to?: Date;
  modelIds?: string[];
  type?: string;
  /** Types starting with this (`drift.` for every drift alert). */
  typePrefix?: string;
  minSeverity?: AlertSeverity;
  statuses?: AlertStatus[];
  before?: { lastSeenAt: Date; id: string };
  limit: number;
}

export const toAlert = (r: Record<string, unknown>): AlertRow => ({
  id: r.id as string,
  type: r.type as string,
  severity: r.severity as AlertSeverity,
  peakSeverity: (r.peak_severity ?? r.severity) as AlertSeverity,
  modelId: r.model_id as string | null,
  model: (r.model as string | null | undefined) ?? null,
  title: r.title as string,
  detail: r.detail as string,
  dedupeKey: r.dedupe_key as string,
  count: r.count as number,
  status: r.status as AlertStatus,
  lastChange: (r.last_change ?? 'opened') as AlertChange,
  firstSeenAt: r.first_seen_at as Date,
  lastSeenAt: r.last_seen_at as Date,
  createdBy: (r.created_by as string | null | undefined) ?? null,
  acknowledgedAt: r.acknowledged_at as Date | null,
  acknowledgedBy: (r.acknowledged_by as string | null | undefined) ?? null,
  acknowledgementNote: (r.acknowledgement_note as string | null | undefined) ?? null,
  resolvedAt: (r.resolved_at as Date | null | undefined) ?? null,
  resolvedBy: (r.resolved_by as string | null | undefined) ?? null,
  resolution: (r.resolution as string | null | undefined) ?? null,
});

const RANK = (column: string) => `array_position(ARRAY['info', 'warning', 'critical'], ${column})`;
const ESCALATES = `${RANK('EXCLUDED.severity')} > ${RANK('alerts.peak_severity')}`;

/**
 * Alerts. An unresolved (open or acknowledged) alert is unique per dedupe key (a partial unique index), so a
 * condition detected again is counted on its alert, however many replicas detect it at once.
 */
export class AlertsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Inserts the alert, or — when an unresolved alert with the same key exists — counts it again: count + 1,
   * the latest severity, title and detail, last_seen_at = now. A severity above the alert's peak is an
   * escalation: the peak rises and an acknowledged alert is open again. One statement decides, in a
   * transaction shared with `onChange`.
   */
  raise(alert: NewAlert, onChange?: AlertHook): Promise<{ alert: AlertRow; created: boolean; change: AlertChange }> {
    return inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query(
        `WITH upserted AS (
           INSERT INTO alerts (type, severity, peak_severity, model_id, title, detail, dedupe_key, created_by) VALUES ($1, $2, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (dedupe_key) WHERE status <> 'resolved' DO UPDATE SET
             count = alerts.count + 1, last_seen_at = now(), severity = EXCLUDED.severity, title = EXCLUDED.title, detail = EXCLUDED.detail,
             last_change = CASE WHEN ${ESCALATES} THEN 'escalated' ELSE 'repeated' END,
             peak_severity = CASE WHEN ${ESCALATES} THEN EXCLUDED.severity ELSE alerts.peak_severity END,
             status = CASE WHEN ${ESCALATES} THEN 'open' ELSE alerts.status END,
             acknowledged_at = CASE WHEN ${ESCALATES} THEN NULL ELSE alerts.acknowledged_at END,
             acknowledged_by = CASE WHEN ${ESCALATES} THEN NULL ELSE alerts.acknowledged_by END,
             acknowledgement_note = CASE WHEN ${ESCALATES} THEN NULL ELSE alerts.acknowledgement_note END
           RETURNING *, (xmax = 0) AS created
         )
         SELECT u.*, m.name AS model FROM upserted u LEFT JOIN models m ON m.id = u.model_id`,
        [alert.type, alert.severity, alert.modelId, alert.title, alert.detail, alert.dedupeKey, alert.createdBy ?? null],
      );
      const row = toAlert(rows[0]!);
      const created = rows[0]!.created as boolean;
      const change: AlertChange = created ? 'opened' : row.lastChange;
      await onChange?.(tx, row, change);
      return { alert: row, created, change };
    });
  }

  /** The learning report's alerts: a model's alerts seen during [from, to) (first seen before `to`, last seen since `from`), newest first. */
  async seenInPeriod(modelId: string, from: Date, to: Date, limit: number): Promise<AlertRow[]> {
    const { rows } = await this.pool.query(
      `SELECT a.*, m.name AS model FROM alerts a LEFT JOIN models m ON m.id = a.model_id
       WHERE a.model_id = $1 AND a.last_seen_at >= $2 AND a.first_seen_at < $3 ORDER BY a.last_seen_at DESC, a.id DESC LIMIT $4`,
      [modelId, from, to, limit],
    );
    return rows.map(toAlert);
  }
  async get(id: string): Promise<AlertRow | null> {
    const { rows } = await this.pool.query(`SELECT a.*, m.name AS model FROM alerts a LEFT JOIN models m ON m.id = a.model_id WHERE a.id = $1`, [id]);
    return rows[0] ? toAlert(rows[0]) : null;
  }

  /** Newest activity first (last_seen_at, id); every filter optional. */
  async list(filter: AlertFilter): Promise<AlertRow[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      values.push(value);
      where.push(sql(`$${values.length}`));
    };
    if (filter.from) add((p) => `a.last_seen_at >= ${p}`, filter.from);
    if (filter.to) add((p) => `a.first_seen_at < ${p}`, filter.to);
    if (filter.modelIds) add((p) => `a.model_id = ANY(${p}::uuid[])`, filter.modelIds);
    if (filter.type) add((p) => `a.type = ${p}`, filter.type);
    if (filter.typePrefix) add((p) => `starts_with(a.type, ${p})`, filter.typePrefix);
    if (filter.minSeverity) add((p) => `${RANK('a.severity')} >= ${RANK(p)}`, filter.minSeverity);
    if (filter.statuses) add((p) => `a.status = ANY(${p}::text[])`, filter.statuses);
    if (filter.before) {
      values.push(filter.before.lastSeenAt, filter.before.id);
      where.push(`(a.last_seen_at, a.id) < ($${values.length - 1}, $${values.length}::uuid)`);
    }
    values.push(filter.limit);
    const { rows } = await this.pool.query(
      `SELECT a.*, m.name AS model FROM alerts a LEFT JOIN models m ON m.id = a.model_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.last_seen_at DESC, a.id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toAlert);
  }

  /** Open → acknowledged; null when the alert was not open (already acknowledged, resolved, or unknown). */
  async acknowledge(id: string, by: string, note: string | null): Promise<AlertRow | null> {
    const { rows } = await this.pool.query(
      `WITH updated AS (
         UPDATE alerts SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2, acknowledgement_note = $3
         WHERE id = $1 AND status = 'open' RETURNING *
       ) SELECT u.*, m.name AS model FROM updated u LEFT JOIN models m ON m.id = u.model_id`,
      [id, by, note],
    );
    return rows[0] ? toAlert(rows[0]) : null;
  }

  /**
   * Resolves the unresolved alert with this id or dedupe key (its condition cleared, or a person closed it),
   * with `onChange` in the same transaction. Null when there was none.
   */
  resolve(which: { id: string } | { dedupeKey: string }, by: string, resolution: string, onChange?: AlertHook): Promise<AlertRow | null> {
    return inTransaction(this.pool, async (tx) => {
      const [column, value] = 'id' in which ? ['id', which.id] : ['dedupe_key', which.dedupeKey];
      const { rows } = await tx.query(
        `WITH updated AS (
           UPDATE alerts SET status = 'resolved', resolved_at = now(), resolved_by = $2, resolution = $3
           WHERE ${column} = $1 AND status <> 'resolved' RETURNING *
         ) SELECT u.*, m.name AS model FROM updated u LEFT JOIN models m ON m.id = u.model_id`,
        [value, by, resolution],
      );
      const row = rows[0] ? toAlert(rows[0]) : null;
      if (row) await onChange?.(tx, row, 'resolved');
      return row;
    });
  }

  /** The unresolved alerts of a type (the daily job resolves those whose condition it no longer sees). */
  async unresolvedOfType(type: string): Promise<AlertRow[]> {
    const { rows } = await this.pool.query(
      `SELECT a.*, m.name AS model FROM alerts a LEFT JOIN models m ON m.id = a.model_id WHERE a.type = $1 AND a.status <> 'resolved' ORDER BY a.first_seen_at`,
      [type],
    );
    return rows.map(toAlert);
  }

  /** A model's unresolved alerts by status, and the highest severity among them (the loop status). */
  async unresolvedCounts(modelId: string): Promise<{ open: number; acknowledged: number; highestSeverity: AlertSeverity | null }> {
    const { rows } = await this.pool.query<{ open: number; acknowledged: number; highest: AlertSeverity | null }>(
      `SELECT count(*) FILTER (WHERE status = 'open')::int AS open, count(*) FILTER (WHERE status = 'acknowledged')::int AS acknowledged,
         (ARRAY['info', 'warning', 'critical'])[max(${RANK('severity')})] AS highest
       FROM alerts WHERE model_id = $1 AND status <> 'resolved'`,
      [modelId],
    );
    const r = rows[0]!;
    return { open: r.open, acknowledged: r.acknowledged, highestSeverity: r.highest };
  }
}
