import type pg from 'pg';
import type { OutcomeValues } from './predictions.js';
import { withRetryOnDeadlock } from '../retry.js';

/** How a client names the prediction an outcome belongs to. */
export interface OutcomeTargetRef {
  index: number;
  predictionId?: string;
  modelId?: string;
  externalId?: string;
}

export interface OutcomeTarget {
  index: number;
  predictionId: string;
  predictedAt: Date;
  modelId: string;
  modelName: string;
  versionId: string | null;
  predictedLabel: string | null;
  predictedValue: number | null;
  pPositive: number | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  existing: (OutcomeValues & { recordedAt: Date }) | null;
}

export interface NewOutcome extends OutcomeValues {
  predictionId: string;
  predictedAt: Date;
  modelId: string;
  versionId: string | null;
  predictedLabel: string | null;
  predictedValue: number | null;
  pPositive: number | null;
}

const FIND_TARGETS = `
WITH refs AS (
  SELECT * FROM unnest($1::int[], $2::text[], $3::uuid[], $4::text[]) AS r(idx, prediction_id, model_id, external_id)
), keys AS (
  SELECT r.idx, k.id, k.predicted_at FROM refs r JOIN prediction_keys k ON k.id = r.prediction_id
  UNION ALL
  SELECT r.idx, k.id, k.predicted_at FROM refs r
  JOIN prediction_keys k ON k.model_id = r.model_id AND k.external_id = r.external_id
  WHERE r.prediction_id IS NULL
)
SELECT keys.idx, p.id, p.predicted_at, p.model_id, m.name AS model_name, p.version_id, p.predicted_label, p.predicted_value, p.p_positive,
  p.confidence, p.probabilities,
  o.actual_label, o.actual_value, o.correct, o.error, o.absolute_error, o.absolute_percentage_error, o.p_actual,
  o.source, o.observed_at, o.label_delay_seconds, o.recorded_at
FROM keys JOIN predictions p ON p.id = keys.id AND p.predicted_at = keys.predicted_at
JOIN models m ON m.id = p.model_id
LEFT JOIN outcomes o ON o.prediction_id = p.id AND o.predicted_at = p.predicted_at`;

// The outcome row and the prediction's labeled_at change together, in one statement.
const INSERT_OUTCOMES = `
WITH input AS (
  SELECT * FROM json_to_recordset($1::json) AS t(
    prediction_id text, predicted_at timestamptz, model_id uuid, version_id uuid, actual_label text,
    actual_value float8, predicted_label text, predicted_value float8, p_positive float8, p_actual float8,
    correct boolean, error float8, absolute_error float8, absolute_percentage_error float8, source outcome_source,
    observed_at timestamptz, label_delay_seconds float8)
), inserted AS (
  INSERT INTO outcomes (prediction_id, predicted_at, model_id, version_id, actual_label, actual_value, predicted_label,
    predicted_value, p_positive, p_actual, correct, error, absolute_error, absolute_percentage_error, source,
    observed_at, label_delay_seconds)
  SELECT prediction_id, predicted_at, model_id, version_id, actual_label, actual_value, predicted_label,
    predicted_value, p_positive, p_actual, correct, error, absolute_error, absolute_percentage_error, source,
    observed_at, label_delay_seconds
  FROM input ORDER BY prediction_id
  ON CONFLICT (prediction_id, predicted_at) DO NOTHING
  RETURNING prediction_id, predicted_at, recorded_at
), marked AS (
  UPDATE predictions p SET labeled_at = i.recorded_at FROM inserted i
  WHERE p.id = i.prediction_id AND p.predicted_at = i.predicted_at
), released AS (
  -- A labeled prediction leaves the labeling queue, and whatever claim held it lets it go.
  DELETE FROM labeling_claim_items c USING inserted i WHERE c.prediction_id = i.prediction_id
)
SELECT prediction_id, recorded_at FROM inserted`;

export class OutcomesRepository {
  constructor(private readonly pool: pg.Pool) {}

  async findTargets(refs: OutcomeTargetRef[]): Promise<OutcomeTarget[]> {
    if (refs.length === 0) return [];
    const { rows } = await this.pool.query(FIND_TARGETS, [
      refs.map((r) => r.index),
      refs.map((r) => r.predictionId ?? null),
      refs.map((r) => r.modelId ?? null),
      refs.map((r) => r.externalId ?? null),
    ]);
    return rows.map((row) => ({
      index: row.idx,
      predictionId: row.id,
      predictedAt: row.predicted_at,
      modelId: row.model_id,
      modelName: row.model_name,
      versionId: row.version_id,
      predictedLabel: row.predicted_label,
      predictedValue: row.predicted_value,
      pPositive: row.p_positive,
      confidence: row.confidence,
      probabilities: row.probabilities,
      existing: row.observed_at
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
    }));
  }

  /** Inserts outcomes for predictions that have none yet; returns the recorded time of each inserted one. */
  async insertNew(rows: NewOutcome[]): Promise<Map<string, Date>> {
    if (rows.length === 0) return new Map();
    const payload = JSON.stringify(
      rows.map((o) => ({
        prediction_id: o.predictionId,
        predicted_at: o.predictedAt,
        model_id: o.modelId,
        version_id: o.versionId,
        actual_label: o.actualLabel,
        actual_value: o.actualValue,
        predicted_label: o.predictedLabel,
        predicted_value: o.predictedValue,
        p_positive: o.pPositive,
        p_actual: o.pActual,
        correct: o.correct,
        error: o.error,
        absolute_error: o.absoluteError,
        absolute_percentage_error: o.absolutePercentageError,
        source: o.source,
        observed_at: o.observedAt,
        label_delay_seconds: o.labelDelaySeconds,
      })),
    );
    const { rows: inserted } = await withRetryOnDeadlock(() =>
      this.pool.query<{ prediction_id: string; recorded_at: Date }>(INSERT_OUTCOMES, [payload]),
    );
    return new Map(inserted.map((r) => [r.prediction_id, r.recorded_at]));
  }
}
