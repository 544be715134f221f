import type { Readable } from 'node:stream';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { DatasetRecord } from '../../domain/dataset-format.js';
import type { ResolvedWindow } from '../../domain/window.js';
import { type Queryable, lockKey } from '../transaction.js';

export interface DatasetRow {
  id: string;
  modelId: string;
  modelName: string;
  number: number;
  name: string | null;
  description: string | null;
  windowFrom: Date | null;
  windowTo: Date | null;
  windowLast: number | null;
  versionName: string | null;
  rowCount: number;
  byteSize: number;
  featureSchema: Record<string, string>;
  sha256: string;
  retrainRequestId: string | null;
  createdAt: Date;
}

export interface SnapshotFilter {
  modelId: string;
  window: ResolvedWindow;
  versionId: string | null;
}

const SELECT = `
SELECT d.id, d.model_id, m.name AS model_name, d.number, d.name, d.description, d.window_from, d.window_to, d.window_last,
  v.name AS version_name, d.row_count, d.byte_size::float8 AS byte_size, d.feature_schema, d.sha256, d.created_at,
  (SELECT r.id FROM retrain_requests r WHERE r.dataset_id = d.id LIMIT 1) AS retrain_request_id
FROM datasets d JOIN models m ON m.id = d.model_id LEFT JOIN model_versions v ON v.id = d.version_id`;

const toDataset = (r: Record<string, unknown>): DatasetRow => ({
  id: r.id as string,
  modelId: r.model_id as string,
  modelName: r.model_name as string,
  number: r.number as number,
  name: r.name as string | null,
  description: r.description as string | null,
  windowFrom: r.window_from as Date | null,
  windowTo: r.window_to as Date | null,
  windowLast: r.window_last as number | null,
  versionName: r.version_name as string | null,
  rowCount: r.row_count as number,
  byteSize: r.byte_size as number,
  featureSchema: r.feature_schema as Record<string, string>,
  sha256: r.sha256 as string,
  retrainRequestId: (r.retrain_request_id as string | null) ?? null,
  createdAt: r.created_at as Date,
});

/** Rows in export order, as the formats of src/domain/dataset-format.ts read them. */
const ROWS_SQL = `SELECT prediction_id, external_id, version, predicted_at, features, predicted_label, predicted_value, actual_label, actual_value
FROM dataset_rows WHERE dataset_id = $1 ORDER BY seq`;

export const toRecord = (r: Record<string, unknown>): DatasetRecord => ({
  predictionId: r.prediction_id as string,
  externalId: r.external_id as string | null,
  version: r.version as string | null,
  predictedAt: r.predicted_at as Date,
  features: (r.features ?? {}) as Record<string, unknown>,
  predictedLabel: r.predicted_label as string | null,
  predictedValue: r.predicted_value as number | null,
  actualLabel: r.actual_label as string | null,
  actualValue: r.actual_value as number | null,
});

/** Datasets: frozen copies of labeled predictions, written in SQL and read back through a server-side cursor. */
export class DatasetsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Inside a transaction: numbers the dataset (per model, under a lock), inserts it and copies the rows of
   * the window with one INSERT … SELECT (labeled predictions only: outcomes joined with their predictions).
   * The content columns are filled by `finalize` once the rows have been read back and hashed.
   */
  async createSnapshot(tx: pg.PoolClient, filter: SnapshotFilter, meta: { name: string | null; description: string | null }): Promise<{ id: string; number: number; rowCount: number }> {
    await lockKey(tx, `hindsight:datasets:${filter.modelId}`);
    const w = filter.window;
    const { rows } = await tx.query<{ id: string; number: number }>(
      `INSERT INTO datasets (model_id, number, name, description, window_from, window_to, window_last, version_id, row_count, byte_size, feature_schema, sha256)
       SELECT $1, COALESCE(max(number), 0) + 1, $2, $3, $4, $5, $6, $7, 0, 0, '{}', '' FROM datasets WHERE model_id = $1
       RETURNING id, number`,
      [filter.modelId, meta.name, meta.description, w.kind === 'range' ? w.from : null, w.kind === 'range' ? w.to : null, w.kind === 'last' ? w.n : null, filter.versionId],
    );
    const dataset = rows[0]!;
    const values: unknown[] = [dataset.id, filter.modelId];
    const versionClause = filter.versionId ? `AND o.version_id = $${values.push(filter.versionId)}::uuid` : '';
    let source: string;
    if (w.kind === 'range') {
      source = `SELECT o.* FROM outcomes o WHERE o.model_id = $2::uuid ${versionClause}
        AND o.predicted_at >= $${values.push(w.from)}::timestamptz AND o.predicted_at < $${values.push(w.to)}::timestamptz`;
    } else {
      // The last N labeled predictions, chosen as every analysis chooses them (src/db/repositories/analytics-sql.ts).
      source = `SELECT o.* FROM outcomes o WHERE o.model_id = $2::uuid ${versionClause}
        ORDER BY o.predicted_at DESC, o.prediction_id DESC LIMIT $${values.push(w.n)}::int`;
    }
    const copied = await tx.query(
      `INSERT INTO dataset_rows (dataset_id, seq, prediction_id, external_id, version, predicted_at, features, predicted_label, predicted_value, actual_label, actual_value)
       SELECT $1::uuid, row_number() OVER (ORDER BY o.predicted_at, o.prediction_id COLLATE "C")::int, o.prediction_id, p.external_id, v.name,
         o.predicted_at, p.features, o.predicted_label, o.predicted_value, o.actual_label, o.actual_value
       FROM (${source}) o
       JOIN predictions p ON p.id = o.prediction_id AND p.predicted_at = o.predicted_at
       LEFT JOIN model_versions v ON v.id = o.version_id`,
      values,
    );
    return { id: dataset.id, number: dataset.number, rowCount: copied.rowCount ?? 0 };
  }

  async finalize(tx: Queryable, id: string, content: { rowCount: number; byteSize: number; featureSchema: Record<string, string>; sha256: string }): Promise<void> {
    await tx.query('UPDATE datasets SET row_count = $2, byte_size = $3, feature_schema = $4, sha256 = $5 WHERE id = $1', [
      id,
      content.rowCount,
      content.byteSize,
      JSON.stringify(content.featureSchema),
      content.sha256,
    ]);
  }

  /** The rows of a dataset in export order, through a server-side cursor on the given connection. */
  streamRows(client: pg.PoolClient, datasetId: string, batchSize = 1000): Readable {
    return client.query(new QueryStream(ROWS_SQL, [datasetId], { batchSize }));
  }

  /** A pooled connection for `streamRows` outside a transaction; the caller releases it. */
  connect(): Promise<pg.PoolClient> {
    return this.pool.connect();
  }

  async get(id: string, q: Queryable = this.pool): Promise<DatasetRow | null> {
    const { rows } = await q.query(`${SELECT} WHERE d.id = $1`, [id]);
    return rows[0] ? toDataset(rows[0]) : null;
  }

  /** Newest first; `before` is the number of the last dataset of the previous page. */
  async list(modelId: string, limit: number, before?: number): Promise<DatasetRow[]> {
    const { rows } = await this.pool.query(`${SELECT} WHERE d.model_id = $1 AND ($2::int IS NULL OR d.number < $2) ORDER BY d.number DESC LIMIT $3`, [
      modelId,
      before ?? null,
      limit,
    ]);
    return rows.map(toDataset);
  }
}
