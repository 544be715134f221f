import type pg from 'pg';

export interface NewDriftReport {
  modelId: string;
  versionId: string | null;
  trigger: string;
  severity: string;
  severityRank: number;
  referenceKind: string;
  referenceFrom: Date | null;
  referenceTo: Date | null;
  currentFrom: Date;
  currentTo: Date;
  driftedFeatures: number;
  testedFeatures: number;
  summary: unknown;
  report: unknown;
}

export interface StoredReportRow {
  id: string;
  createdAt: Date;
  trigger: string;
  versionId: string | null;
  /** The list view (summary) or the full report. */
  body: Record<string, unknown>;
}

export interface ReportListFilter {
  modelId: string;
  from?: Date;
  to?: Date;
  minSeverityRank?: number;
  /** Exclusive keyset position: strictly older than (createdAt, id). */
  before?: { createdAt: Date; id: string };
  limit: number;
}

/** Stored drift reports: JSON bodies with the columns lists filter and sort on (model, time, severity). */
export class DriftReportsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async insert(r: NewDriftReport): Promise<{ id: string; createdAt: Date }> {
    const { rows } = await this.pool.query(
      `INSERT INTO drift_reports (model_id, version_id, trigger, severity, severity_rank, reference_kind, reference_from, reference_to,
         current_from, current_to, drifted_features, tested_features, summary, report)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb) RETURNING id, created_at`,
      [
        r.modelId,
        r.versionId,
        r.trigger,
        r.severity,
        r.severityRank,
        r.referenceKind,
        r.referenceFrom,
        r.referenceTo,
        r.currentFrom,
        r.currentTo,
        r.driftedFeatures,
        r.testedFeatures,
        JSON.stringify(r.summary),
        JSON.stringify(r.report),
      ],
    );
    return { id: rows[0]!.id as string, createdAt: rows[0]!.created_at as Date };
  }

  /** Newest first; the list view carries the summary, not the full report. */
  async list(filter: ReportListFilter): Promise<StoredReportRow[]> {
    const where = ['model_id = $1'];
    const values: unknown[] = [filter.modelId];
    const add = (clause: string, ...params: unknown[]) => {
      let text = clause;
      for (const param of params) {
        values.push(param);
        text = text.replace('?', `$${values.length}`);
      }
      where.push(text);
    };
    if (filter.from) add('created_at >= ?', filter.from);
    if (filter.to) add('created_at < ?', filter.to);
    if (filter.minSeverityRank !== undefined) add('severity_rank >= ?', filter.minSeverityRank);
    if (filter.before) add('(created_at, id) < (?, ?::uuid)', filter.before.createdAt, filter.before.id);
    values.push(filter.limit);
    const { rows } = await this.pool.query(
      `SELECT id, created_at, trigger, version_id, summary AS body FROM drift_reports WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(toRow);
  }

  /** The newest stored report of a model: its id, severity and time (what the retrain decision reads). */
  async latest(modelId: string): Promise<{ id: string; severity: string; createdAt: Date } | null> {
    const { rows } = await this.pool.query('SELECT id, severity, created_at FROM drift_reports WHERE model_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1', [modelId]);
    return rows[0] ? { id: rows[0].id as string, severity: rows[0].severity as string, createdAt: rows[0].created_at as Date } : null;
  }

  async get(modelId: string, id: string): Promise<StoredReportRow | null> {
    const { rows } = await this.pool.query('SELECT id, created_at, trigger, version_id, report AS body FROM drift_reports WHERE model_id = $1 AND id = $2::uuid', [modelId, id]);
    return rows[0] ? toRow(rows[0]) : null;
  }
}

const toRow = (r: Record<string, unknown>): StoredReportRow => ({
  id: r.id as string,
  createdAt: r.created_at as Date,
  trigger: r.trigger as string,
  versionId: (r.version_id as string | null) ?? null,
  body: r.body as Record<string, unknown>,
});
