import type pg from 'pg';
import { isMissingPartition, type PartitionManager } from '../partitions.js';
import { withRetryOnDeadlock } from '../retry.js';

export interface OutcomeValues {
  actualLabel: string | null;
  actualValue: number | null;
  correct: boolean | null;
  error: number | null;
  absoluteError: number | null;
  absolutePercentageError: number | null;
  pActual: number | null;
  source: 'ground_truth' | 'human';
  observedAt: Date;
  labelDelaySeconds: number;
}

export interface NewPrediction {
  id: string;
  modelId: string;
  /** null: the model's production version at the moment of insertion. */
  versionId: string | null;
  externalId: string | null;
  unit: string | null;
  predictedAt: Date;
  features: Record<string, unknown>;
  predictedLabel: string | null;
  predictedValue: number | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  pPositive: number | null;
  bodyHash: string;
  outcome: OutcomeValues | null;
}

export interface StoredKey {
  id: string;
  modelId: string;
  externalId: string | null;
  bodyHash: string;
}

export interface OutcomeRecord extends OutcomeValues {
  recordedAt: Date;
}

export interface PredictionRecord {
  id: string;
  modelId: string;
  modelName: string;
  versionId: string | null;
  externalId: string | null;
  unit: string | null;
  features: Record<string, unknown>;
  predictedLabel: string | null;
  predictedValue: number | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  predictedAt: Date;
  createdAt: Date;
  outcome: OutcomeRecord | null;
}

// Rows travel as one JSON document: one parameter whatever the batch size, parsed by PostgreSQL.
const INSERT_SQL = `
WITH input AS (
  SELECT * FROM json_to_recordset($1::json) AS t(
    id text, model_id uuid, version_id uuid, external_id text, unit text, predicted_at timestamptz, features jsonb,
    predicted_label text, predicted_value float8, confidence float8, probabilities jsonb, p_positive float8,
    body_hash text, has_actual boolean, actual_label text, actual_value float8, correct boolean, error float8,
    absolute_error float8, absolute_percentage_error float8, p_actual float8, source outcome_source,
    observed_at timestamptz, label_delay_seconds float8)
), keys AS (
  INSERT INTO prediction_keys (id, model_id, external_id, predicted_at, body_hash)
  SELECT id, model_id, external_id, predicted_at, decode(body_hash, 'hex') FROM input ORDER BY id
  ON CONFLICT DO NOTHING
  RETURNING id
), inserted AS (
  INSERT INTO predictions (id, predicted_at, model_id, version_id, external_id, unit, features, predicted_label,
    predicted_value, confidence, probabilities, p_positive, labeled_at)
  SELECT i.id, i.predicted_at, i.model_id, COALESCE(i.version_id, m.production_version_id), i.external_id, i.unit,
    i.features, i.predicted_label, i.predicted_value, i.confidence, i.probabilities, i.p_positive,
    CASE WHEN i.has_actual THEN now() END
  FROM input i JOIN keys USING (id) JOIN models m ON m.id = i.model_id
  RETURNING id, version_id, created_at
), labeled AS (
  INSERT INTO outcomes (prediction_id, predicted_at, model_id, version_id, actual_label, actual_value, predicted_label,
    predicted_value, p_positive, p_actual, correct, error, absolute_error, absolute_percentage_error, source,
    observed_at, label_delay_seconds, recorded_at)
  SELECT i.id, i.predicted_at, i.model_id, ins.version_id, i.actual_label, i.actual_value, i.predicted_label,
    i.predicted_value, i.p_positive, i.p_actual, i.correct, i.error, i.absolute_error, i.absolute_percentage_error,
    i.source, i.observed_at, i.label_delay_seconds, ins.created_at
  FROM inserted ins JOIN input i USING (id) WHERE i.has_actual
)
SELECT id, version_id, created_at FROM inserted`;

const SELECT_PREDICTION = `
SELECT p.id, p.model_id, m.name AS model_name, p.version_id, p.external_id, p.unit, p.features, p.predicted_label, p.predicted_value,
  p.confidence, p.probabilities, p.predicted_at, p.created_at,
  o.actual_label, o.actual_value, o.correct, o.error, o.absolute_error, o.absolute_percentage_error, o.p_actual,
  o.source, o.observed_at, o.label_delay_seconds, o.recorded_at
FROM predictions p JOIN models m ON m.id = p.model_id
LEFT JOIN outcomes o ON o.prediction_id = p.id AND o.predicted_at = p.predicted_at`;

export interface ListFilter {
  modelId: string;
  from?: Date;
  to?: Date;
  versionId?: string;
  labeled?: boolean;
  /** Exclusive keyset position: rows strictly older than this (predictedAt, id). */
  before?: { predictedAt: Date; id: string };
  limit: number;
}

export class PredictionsRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly partitions: PartitionManager,
  ) {}

  /** Inserts the predictions whose id and (model, externalId) are new; returns what was inserted by id. */
  async insertNew(rows: NewPrediction[]): Promise<Map<string, { versionId: string | null; createdAt: Date }>> {
    if (rows.length === 0) return new Map();
    await this.partitions.ensure(rows.map((r) => r.predictedAt));
    const payload = JSON.stringify(rows.map(toInputRecord));
    const run = () => withRetryOnDeadlock(() => this.pool.query<{ id: string; version_id: string | null; created_at: Date }>(INSERT_SQL, [payload]));
    let result;
    try {
      result = await run();
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
      this.partitions.forget();
      await this.partitions.ensure(rows.map((r) => r.predictedAt));
      result = await run();
    }
    return new Map(result.rows.map((r) => [r.id, { versionId: r.version_id, createdAt: r.created_at }]));
  }

  /** The stored keys matching any of the given ids or (model, externalId) pairs. */
  async findKeys(ids: string[], external: { modelId: string; externalId: string }[]): Promise<StoredKey[]> {
    const { rows } = await this.pool.query<{ id: string; model_id: string; external_id: string | null; body_hash: string }>(
      `SELECT id, model_id, external_id, encode(body_hash, 'hex') AS body_hash FROM prediction_keys WHERE id = ANY($1::text[])
       UNION
       SELECT k.id, k.model_id, k.external_id, encode(k.body_hash, 'hex') FROM prediction_keys k
       JOIN unnest($2::uuid[], $3::text[]) AS x(model_id, external_id) ON k.model_id = x.model_id AND k.external_id = x.external_id`,
      [ids, external.map((e) => e.modelId), external.map((e) => e.externalId)],
    );
    return rows.map((r) => ({ id: r.id, modelId: r.model_id, externalId: r.external_id, bodyHash: r.body_hash }));
  }

  async findById(id: string): Promise<PredictionRecord | undefined> {
    const { rows } = await this.pool.query(
      `${SELECT_PREDICTION} JOIN prediction_keys k ON k.id = p.id AND k.predicted_at = p.predicted_at WHERE k.id = $1`,
      [id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Newest first, keyset-paginated on (predicted_at, id). */
  async list(filter: ListFilter): Promise<PredictionRecord[]> {
    const where = ['p.model_id = $1'];
    const params: unknown[] = [filter.modelId];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.from) add('p.predicted_at >= ?', filter.from);
    if (filter.to) add('p.predicted_at < ?', filter.to);
    if (filter.versionId) add('p.version_id = ?', filter.versionId);
    if (filter.labeled !== undefined) where.push(filter.labeled ? 'p.labeled_at IS NOT NULL' : 'p.labeled_at IS NULL');
    if (filter.before) {
      params.push(filter.before.predictedAt, filter.before.id);
      where.push(`(p.predicted_at, p.id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(filter.limit);
    const { rows } = await this.pool.query(
      `${SELECT_PREDICTION} WHERE ${where.join(' AND ')} ORDER BY p.predicted_at DESC, p.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }
}

function toInputRecord(r: NewPrediction): Record<string, unknown> {
  const record: Record<string, unknown> = {
    id: r.id,
    model_id: r.modelId,
    version_id: r.versionId,
    external_id: r.externalId,
    unit: r.unit,
    predicted_at: r.predictedAt,
    features: r.features,
    predicted_label: r.predictedLabel,
    predicted_value: r.predictedValue,
    confidence: r.confidence,
    probabilities: r.probabilities,
    p_positive: r.pPositive,
    body_hash: r.bodyHash,
  };
  const o = r.outcome;
  if (o) {
    Object.assign(record, {
      has_actual: true,
      actual_label: o.actualLabel,
      actual_value: o.actualValue,
      correct: o.correct,
      error: o.error,
      absolute_error: o.absoluteError,
      absolute_percentage_error: o.absolutePercentageError,
      p_actual: o.pActual,
      source: o.source,
      observed_at: o.observedAt,
      label_delay_seconds: o.labelDelaySeconds,
    });
  }
  return record;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function toRecord(row: any): PredictionRecord {
  return {
    id: row.id,
    modelId: row.model_id,
    modelName: row.model_name,
    versionId: row.version_id,
    externalId: row.external_id,
    unit: row.unit,
    features: row.features,
    predictedLabel: row.predicted_label,
    predictedValue: row.predicted_value,
    confidence: row.confidence,
    probabilities: row.probabilities,
    predictedAt: row.predicted_at,
    createdAt: row.created_at,
    outcome: row.observed_at
      ? {
          actualLabel: row.actual_label,
          actualValue: row.actual_value,
          correct: row.correct,
          error: row.error,
          absoluteError: row.absolute_error,
          absolutePercentageError: row.absolute_percentage_error,
          pActual: row.p_actual,
          source: row.source,
          observedAt: row.observed_at,
          labelDelaySeconds: row.label_delay_seconds,
          recordedAt: row.recorded_at,
        }
      : null,
  };
}
