import type pg from 'pg';
import type { Moments } from '../../stats/index.js';

/** What one arm's predictions in an experiment's span add up to (overall, or for one UTC day). */
export interface ArmAggregate {
  versionId: string;
  /** null: the arm's total over the span. */
  day: string | null;
  predictions: number;
  units: number;
  /** Predictions whose unit is assigned to another arm by the experiment's hash. */
  misassigned: number;
  labeled: number;
  humanLabeled: number;
  /** Moments of the metric's per-prediction quantity. */
  moments: Moments;
  correct: number;
  mae: number | null;
  mse: number | null;
  mape: number | null;
  mapeCount: number;
  meanError: number | null;
}

export interface ArmMetricsQuery {
  experimentId: string;
  modelId: string;
  /** In arm order (position 0 = control). */
  versionIds: string[];
  /** Cumulative normalised weights without the final 1: the lower bounds of arms 1 … k−1. */
  thresholds: number[];
  metric: 'accuracy' | 'mae' | 'rmse' | 'mape';
  from: Date;
  to: Date | null;
  outcomeSource: 'ground_truth' | 'human' | null;
}

const QUANTITY_SQL: Record<ArmMetricsQuery['metric'], string> = {
  accuracy: 'o.correct::int::float8',
  mae: 'o.absolute_error',
  rmse: 'o.error * o.error',
  mape: 'o.absolute_percentage_error',
};

/**
 * The SQL of an experiment's results: one pass over the arms' predictions in the span (those with a unit),
 * each with its outcome (of the experiment's source), per arm and UTC day and per arm overall. The unit's
 * assigned arm is recomputed here with the rule of src/domain/assignment.ts: the first 53 bits of
 * SHA-256(experimentId ":" unit) over 2^53, bucketed by the cumulative weights.
 */
export function armMetricsSql(q: ArmMetricsQuery): { text: string; values: unknown[] } {
  const x = QUANTITY_SQL[q.metric];
  return {
    text: `
WITH arms AS (
  SELECT version_id, (ord - 1)::int AS arm FROM unnest($2::uuid[]) WITH ORDINALITY AS a(version_id, ord)
), rows AS (
  SELECT p.version_id, a.arm, p.unit, date_trunc('day', p.predicted_at, 'UTC') AS day,
    width_bucket((('x' || substr(encode(sha256(convert_to($3::text || ':' || p.unit, 'UTF8')), 'hex'), 1, 14))::bit(56)::bigint >> 3)::float8
      / 9007199254740992.0, $4::float8[]) AS assigned,
    o.prediction_id IS NOT NULL AS labeled, o.source, o.correct, o.error, o.absolute_error, o.absolute_percentage_error, ${x} AS x
  FROM predictions p
  JOIN arms a ON a.version_id = p.version_id
  LEFT JOIN outcomes o ON o.prediction_id = p.id AND o.predicted_at = p.predicted_at AND ($7::outcome_source IS NULL OR o.source = $7::outcome_source)
  WHERE p.model_id = $1::uuid AND p.version_id = ANY($2::uuid[]) AND p.unit IS NOT NULL
    AND p.predicted_at >= $5::timestamptz AND ($6::timestamptz IS NULL OR p.predicted_at < $6::timestamptz)
)
SELECT version_id::text AS version_id, day, GROUPING(day) AS total,
  count(*)::int AS predictions, count(DISTINCT unit)::int AS units, count(*) FILTER (WHERE assigned <> arm)::int AS misassigned,
  count(*) FILTER (WHERE labeled)::int AS labeled, count(*) FILTER (WHERE source = 'human')::int AS human,
  count(x)::int AS n, avg(x) AS mean, var_pop(x) * count(x) AS m2, count(*) FILTER (WHERE correct)::int AS correct,
  avg(absolute_error) AS mae, avg(error * error) AS mse, avg(absolute_percentage_error) AS mape,
  count(absolute_percentage_error)::int AS mape_n, avg(error) AS mean_error
FROM rows GROUP BY GROUPING SETS ((version_id, day), (version_id))`,
    values: [q.modelId, q.versionIds, q.experimentId, q.thresholds, q.from, q.to, q.outcomeSource],
  };
}

export class ExperimentMetricsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async armAggregates(q: ArmMetricsQuery): Promise<ArmAggregate[]> {
    const { text, values } = armMetricsSql(q);
    const { rows } = await this.pool.query(text, values);
    return rows.map((r) => ({
      versionId: r.version_id,
      day: r.total === 1 ? null : (r.day as Date).toISOString(),
      predictions: r.predictions,
      units: r.units,
      misassigned: r.misassigned,
      labeled: r.labeled,
      humanLabeled: r.human,
      moments: { n: r.n, mean: r.mean ?? 0, m2: r.m2 ?? 0 },
      correct: r.correct,
      mae: r.mae,
      mse: r.mse,
      mape: r.mape,
      mapeCount: r.mape_n,
      meanError: r.mean_error,
    }));
  }
}
