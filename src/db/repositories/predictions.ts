import type pg from 'pg';
import { isMissingPartition, type PartitionManager } from '../partitions.js';
import { plainArray, textArray } from '../pg-arrays.js';
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
  outcome: OutcomeValues | null;
}

export interface OutcomeRecord extends OutcomeValues {
  recordedAt: Date;
}

export interface PredictionRecord {
  id: string;
  modelId: string;
  modelName: string;
  versionId: string | null;
  versionName: string | null;
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

// Rows travel as typed arrays (one parameter per column, whatever the batch size), as a hand-written
// `INSERT … SELECT FROM unnest(…)` would send them; the JSON columns as one JSON array each, indexed by
// row number (cheaper to build than a jsonb[] literal, whose every element needs escaping).
// Every statement is prepared once per connection. The fast ones insert keys plainly and fail as a whole
// on any duplicate (23505); the tolerant one, used only then, skips the rows whose id or (model,
// externalId) exists. A single prediction without an outcome, the commonest write, has its own statement.
const INPUT = `unnest($1::text[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $8::text[],
    $9::float8[], $10::float8[], $12::float8[], $13::bool[]) WITH ORDINALITY
  AS t(id, predicted_at, model_id, version_id, external_id, unit, predicted_label, predicted_value, confidence, p_positive,
    labeled, ord)`;

const insertStatement = (tolerant: boolean) => `
WITH keys AS (
  INSERT INTO prediction_keys (id, model_id, external_id, predicted_at)
  SELECT * FROM unnest($1::text[], $3::uuid[], $5::text[], $2::timestamptz[])
  ${tolerant ? 'ON CONFLICT DO NOTHING RETURNING id' : ''}
), inserted AS (
  INSERT INTO predictions (id, predicted_at, model_id, version_id, external_id, unit, features, predicted_label,
    predicted_value, confidence, probabilities, p_positive, labeled_at)
  SELECT t.id, t.predicted_at, t.model_id, COALESCE(t.version_id, m.production_version_id), t.external_id, t.unit,
    $7::jsonb -> (t.ord::int - 1), t.predicted_label, t.predicted_value, t.confidence,
    NULLIF($11::jsonb -> (t.ord::int - 1), 'null'), t.p_positive,
    CASE WHEN t.labeled THEN now() END
  FROM ${INPUT} JOIN models m ON m.id = t.model_id ${tolerant ? 'JOIN keys k ON k.id = t.id' : ''}
  RETURNING id, predicted_at, model_id, version_id, predicted_label, predicted_value, p_positive, created_at
), labeled AS (
  INSERT INTO outcomes (prediction_id, predicted_at, model_id, version_id, actual_label, actual_value, predicted_label,
    predicted_value, p_positive, p_actual, correct, error, absolute_error, absolute_percentage_error, source,
    observed_at, label_delay_seconds, recorded_at)
  SELECT i.id, i.predicted_at, i.model_id, i.version_id, o.actual_label, o.actual_value, i.predicted_label,
    i.predicted_value, i.p_positive, o.p_actual, o.correct, o.error, o.absolute_error, o.absolute_percentage_error,
    o.source, o.observed_at, o.label_delay_seconds, i.created_at
  FROM unnest($14::text[], $15::text[], $16::float8[], $17::float8[], $18::bool[], $19::float8[], $20::float8[],
      $21::float8[], $22::outcome_source[], $23::timestamptz[], $24::float8[])
    AS o(id, actual_label, actual_value, p_actual, correct, error, absolute_error, absolute_percentage_error, source,
      observed_at, label_delay_seconds)
  JOIN inserted i USING (id)
)
SELECT id, version_id, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms FROM inserted`;

const INSERT_FAST = { name: 'hindsight_insert_predictions', text: insertStatement(false) };
const INSERT_ONE = {
  name: 'hindsight_insert_prediction',
  text: `
WITH keys AS (INSERT INTO prediction_keys (id, model_id, external_id, predicted_at) VALUES ($1, $3, $5, $2))
INSERT INTO predictions (id, predicted_at, model_id, version_id, external_id, unit, features, predicted_label,
  predicted_value, confidence, probabilities, p_positive)
SELECT $1::text, $2::timestamptz, $3::uuid, COALESCE($4::uuid, m.production_version_id), $5::text, $6::text, $7::jsonb,
  $8::text, $9::float8, $10::float8, $11::jsonb, $12::float8
FROM models m WHERE m.id = $3::uuid
RETURNING id, version_id, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms`,
};
const INSERT_TOLERANT = { name: 'hindsight_insert_predictions_tolerant', text: insertStatement(true) };

const SELECT_PREDICTION = `
SELECT p.id, p.model_id, m.name AS model_name, p.version_id, v.name AS version_name, p.external_id, p.unit, p.features, p.predicted_label, p.predicted_value,
  p.confidence, p.probabilities, p.predicted_at, p.created_at,
  o.actual_label, o.actual_value, o.correct, o.error, o.absolute_error, o.absolute_percentage_error, o.p_actual,
  o.source, o.observed_at, o.label_delay_seconds, o.recorded_at
FROM predictions p JOIN models m ON m.id = p.model_id LEFT JOIN model_versions v ON v.id = p.version_id
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
    const run = async () => {
      try {
        return await this.pool.query<InsertedRow>(rows.length === 1 && !rows[0]!.outcome ? oneRow(rows[0]!) : { ...INSERT_FAST, values: toColumns(rows) });
      } catch (error) {
        if ((error as { code?: string }).code !== '23505') throw error;
        return withRetryOnDeadlock(() => this.pool.query<InsertedRow>({ ...INSERT_TOLERANT, values: toColumns(rows) }));
      }
    };
    let result;
    try {
      result = await run();
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
      this.partitions.forget();
      await this.partitions.ensure(rows.map((r) => r.predictedAt));
      result = await run();
    }
    return new Map(result.rows.map((r) => [r.id, { versionId: r.version_id, createdAt: new Date(r.created_ms) }]));
  }

  /** The stored predictions holding any of the given ids or (model, externalId) pairs. */
  async findExisting(ids: string[], external: { modelId: string; externalId: string }[]): Promise<PredictionRecord[]> {
    const { rows } = await this.pool.query(
      `WITH k AS (
         SELECT id, predicted_at FROM prediction_keys WHERE id = ANY($1::text[])
         UNION
         SELECT k.id, k.predicted_at FROM prediction_keys k
         JOIN unnest($2::uuid[], $3::text[]) AS x(model_id, external_id) ON k.model_id = x.model_id AND k.external_id = x.external_id)
       ${SELECT_PREDICTION} JOIN k ON k.id = p.id AND k.predicted_at = p.predicted_at`,
      [ids, external.map((e) => e.modelId), external.map((e) => e.externalId)],
    );
    return rows.map(toRecord);
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

interface InsertedRow {
  id: string;
  version_id: string | null;
  /** Epoch milliseconds: cheaper to read back by the thousand than a timestamptz to parse. */
  created_ms: number;
}

const oneRow = (r: NewPrediction) => ({
  name: INSERT_ONE.name,
  text: INSERT_ONE.text,
  values: [
    r.id,
    r.predictedAt.toISOString(),
    r.modelId,
    r.versionId,
    r.externalId,
    r.unit,
    JSON.stringify(r.features),
    r.predictedLabel,
    r.predictedValue,
    r.confidence,
    r.probabilities === null ? null : JSON.stringify(r.probabilities),
    r.pPositive,
  ],
});

/** The statement's parameters: one array literal per column, rows sorted by id so that concurrent batches lock keys in one order. */
function toColumns(unsorted: NewPrediction[]): unknown[] {
  const rows = [...unsorted].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const pick = <T>(get: (r: NewPrediction) => T) => rows.map(get);
  const outcomes = rows.filter((r) => r.outcome !== null);
  const outcome = <T>(get: (o: OutcomeValues) => T) => outcomes.map((r) => get(r.outcome!));
  return [
    textArray(pick((r) => r.id)),
    plainArray(pick((r) => r.predictedAt.toISOString())),
    plainArray(pick((r) => r.modelId)),
    plainArray(pick((r) => r.versionId)),
    textArray(pick((r) => r.externalId)),
    textArray(pick((r) => r.unit)),
    JSON.stringify(pick((r) => r.features)),
    textArray(pick((r) => r.predictedLabel)),
    plainArray(pick((r) => r.predictedValue)),
    plainArray(pick((r) => r.confidence)),
    JSON.stringify(pick((r) => r.probabilities)),
    plainArray(pick((r) => r.pPositive)),
    plainArray(pick((r) => r.outcome !== null)),
    textArray(outcomes.map((r) => r.id)),
    textArray(outcome((o) => o.actualLabel)),
    plainArray(outcome((o) => o.actualValue)),
    plainArray(outcome((o) => o.pActual)),
    plainArray(outcome((o) => o.correct)),
    plainArray(outcome((o) => o.error)),
    plainArray(outcome((o) => o.absoluteError)),
    plainArray(outcome((o) => o.absolutePercentageError)),
    plainArray(outcome((o) => o.source)),
    plainArray(outcome((o) => o.observedAt.toISOString())),
    plainArray(outcome((o) => o.labelDelaySeconds)),
  ];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function toRecord(row: any): PredictionRecord {
  return {
    id: row.id,
    modelId: row.model_id,
    modelName: row.model_name,
    versionId: row.version_id,
    versionName: row.version_name,
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
