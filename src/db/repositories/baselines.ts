import type pg from 'pg';
import type { DriftFeatureType } from '../../domain/drift/columns.js';
import { plainArray, textArray } from '../pg-arrays.js';

export interface BaselineRecord {
  id: string;
  modelId: string;
  versionId: string | null;
  rowCount: number;
  predictionCount: number;
  actualCount: number;
  featureSchema: Record<string, { type: DriftFeatureType; present: number }>;
  createdAt: Date;
}

export interface BaselineRowInput {
  features: Record<string, unknown>;
  predictionLabel: string | null;
  predictionValue: number | null;
  actualLabel: string | null;
  actualValue: number | null;
}

const INSERT_ROWS = {
  name: 'hindsight_insert_baseline_rows',
  text: `INSERT INTO drift_baseline_rows (baseline_id, ord, features, prediction_label, prediction_value, actual_label, actual_value)
SELECT $1::uuid, $2::int + t.i::int - 1, $3::jsonb -> (t.i::int - 1), t.pl, t.pv, t.al, t.av
FROM unnest($4::text[], $5::float8[], $6::text[], $7::float8[]) WITH ORDINALITY AS t(pl, pv, al, av, i)`,
};

const toRecord = (r: Record<string, unknown>): BaselineRecord => ({
  id: r.id as string,
  modelId: r.model_id as string,
  versionId: (r.version_id as string | null) ?? null,
  rowCount: r.row_count as number,
  predictionCount: r.prediction_count as number,
  actualCount: r.actual_count as number,
  featureSchema: r.feature_schema as BaselineRecord['featureSchema'],
  createdAt: r.created_at as Date,
});

/**
 * One baseline upload, in one transaction on its own connection: the previous baseline of the same model
 * version is deleted first and the new rows are inserted in chunks as they arrive; readers keep seeing the
 * previous baseline until `finish` commits, and `abort` leaves it untouched.
 */
export class BaselineWriter {
  private rows = 0;
  private done = false;

  constructor(
    private readonly client: pg.PoolClient,
    readonly id: string,
    readonly replaced: boolean,
  ) {}

  async insert(rows: readonly BaselineRowInput[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.query({
      ...INSERT_ROWS,
      values: [
        this.id,
        this.rows + 1,
        JSON.stringify(rows.map((r) => r.features)),
        textArray(rows.map((r) => r.predictionLabel)),
        plainArray(rows.map((r) => r.predictionValue)),
        textArray(rows.map((r) => r.actualLabel)),
        plainArray(rows.map((r) => r.actualValue)),
      ],
    });
    this.rows += rows.length;
  }

  async finish(summary: { predictionCount: number; actualCount: number; featureSchema: BaselineRecord['featureSchema'] }): Promise<BaselineRecord> {
    try {
      const { rows } = await this.client.query(
        `UPDATE drift_baselines SET row_count = $2, prediction_count = $3, actual_count = $4, feature_schema = $5::jsonb, created_at = now()
         WHERE id = $1 RETURNING *`,
        [this.id, this.rows, summary.predictionCount, summary.actualCount, JSON.stringify(summary.featureSchema)],
      );
      await this.client.query('COMMIT');
      return toRecord(rows[0]!);
    } finally {
      this.release();
    }
  }

  async abort(): Promise<void> {
    if (this.done) return;
    try {
      await this.client.query('ROLLBACK');
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.done) return;
    this.done = true;
    this.client.release();
  }
}

export class BaselinesRepository {
  constructor(private readonly pool: pg.Pool) {}

  async find(modelId: string, versionId: string | null): Promise<BaselineRecord | null> {
    const { rows } = await this.pool.query('SELECT * FROM drift_baselines WHERE model_id = $1 AND version_id IS NOT DISTINCT FROM $2::uuid', [modelId, versionId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Starts replacing the baseline of (model, version); concurrent uploads of the same one wait for each other. */
  async begin(modelId: string, versionId: string | null): Promise<BaselineWriter> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`hindsight_baseline:${modelId}:${versionId ?? ''}`]);
      const deleted = await client.query('DELETE FROM drift_baselines WHERE model_id = $1 AND version_id IS NOT DISTINCT FROM $2::uuid', [modelId, versionId]);
      const { rows } = await client.query(
        `INSERT INTO drift_baselines (model_id, version_id, row_count, prediction_count, actual_count, feature_schema) VALUES ($1, $2, 0, 0, 0, '{}') RETURNING id`,
        [modelId, versionId],
      );
      return new BaselineWriter(client, rows[0]!.id as string, (deleted.rowCount ?? 0) > 0);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw error;
    }
  }
}
