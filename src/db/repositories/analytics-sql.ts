import type { BucketUnit } from '../../domain/buckets.js';
import type { ResolvedWindow } from '../../domain/window.js';

/**
 * The SQL of the analytics endpoints, as pure builders: each returns the exact statement (text and
 * parameters) the service runs, so that a benchmark can time an endpoint against the same SQL run
 * directly (see `performanceStatements`). Aggregates run in PostgreSQL; only samples that a statistical
 * test needs travel to the service.
 */

export type OutcomeSource = 'ground_truth' | 'human';
export type { BucketUnit };
export type AnalyticsTask = 'binary' | 'multiclass' | 'regression';
/** How rows are grouped: not at all, per model version, per outcome source, or per UTC time bucket of predicted_at. */
export type Grouping = { by: 'none' } | { by: 'version' } | { by: 'source' } | { by: 'bucket'; unit: BucketUnit };

export interface AnalyticsFilter {
  modelId: string;
  window: ResolvedWindow;
  versionId?: string | undefined;
  source?: OutcomeSource | undefined;
}

export interface Statement {
  text: string;
  values: unknown[];
}

export const NO_GROUPING: Grouping = { by: 'none' };
/** Upper edges of the 10 equal-width calibration bins (bin i holds [i/10, (i+1)/10), the last one closes at 1). */
export const CALIBRATION_BINS = 10;
export const CALIBRATION_THRESHOLDS = Array.from({ length: CALIBRATION_BINS - 1 }, (_, i) => (i + 1) / CALIBRATION_BINS);
export const DELAY_QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;
export const RESIDUAL_QUANTILES = [0.25, 0.5, 0.75, 0.9, 0.95, 0.99] as const;
/** Deterministic sample order: by the md5 of the prediction id (bytewise), ties by id. */
export const SAMPLE_ORDER = `md5(prediction_id) COLLATE "C", prediction_id COLLATE "C"`;

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const TRUNC_UNIT: Record<BucketUnit, string> = { hour: `'hour'`, day: `'day'`, week: `'week'` };

function groupKey(grouping: Grouping): string {
  switch (grouping.by) {
    case 'none':
      return 'NULL::text';
    case 'version':
      return 'version_id::text';
    case 'source':
      return 'source::text';
    case 'bucket':
      return `date_trunc(${TRUNC_UNIT[grouping.unit]}, predicted_at, 'UTC')`;
  }
}

/**
 * CTE `base`: the labeled predictions (rows of `outcomes`) selected by the filter, with the group key g.
 * Not materialized, so each statement reads only the columns it uses, through the (model_id, predicted_at)
 * index and monthly partition pruning.
 */
function baseCte(filter: AnalyticsFilter, grouping: Grouping, p: Params): string {
  const where = [`model_id = ${p.add(filter.modelId)}::uuid`];
  if (filter.versionId !== undefined) where.push(`version_id = ${p.add(filter.versionId)}::uuid`);
  if (filter.source !== undefined) where.push(`source = ${p.add(filter.source)}::outcome_source`);
  const w = filter.window;
  let from: string;
  if (w.kind === 'range') {
    where.push(`predicted_at >= ${p.add(w.from)}::timestamptz`, `predicted_at < ${p.add(w.to)}::timestamptz`);
    from = `outcomes WHERE ${where.join(' AND ')}`;
  } else {
    from = `(SELECT * FROM outcomes WHERE ${where.join(' AND ')} ORDER BY predicted_at DESC, prediction_id DESC LIMIT ${p.add(w.n)}::int) last_n`;
  }
  return `base AS NOT MATERIALIZED (SELECT ${groupKey(grouping)} AS g, * FROM ${from})`;
}

/** The residual of a labeled prediction: predicted − actual (regression), 1 − P(actual label) (classification). */
export const residualExpression = (task: AnalyticsTask) => (task === 'regression' ? 'error' : '1 - p_actual');

/**
 * Per group: counts, the span of predicted_at, label delays (percentile_cont is numpy's linear percentile),
 * correct predictions (classification) and the sums the regression metrics are derived from.
 */
export function summarySql(filter: AnalyticsFilter, grouping: Grouping, task: AnalyticsTask): Statement {
  const p = new Params();
  const base = baseCte(filter, grouping, p);
  const columns = [
    'count(*)::int AS n',
    'min(predicted_at) AS first_at',
    'max(predicted_at) AS last_at',
    'avg(label_delay_seconds) AS delay_mean',
    'max(label_delay_seconds) AS delay_max',
    `percentile_cont(ARRAY[${DELAY_QUANTILES.join(', ')}]::float8[]) WITHIN GROUP (ORDER BY label_delay_seconds) AS delay_pct`,
  ];
  if (task !== 'regression') columns.push('count(*) FILTER (WHERE correct)::int AS correct');
  if (task === 'regression') {
    columns.push(
      'sum(absolute_error) AS abs_sum',
      'sum(error * error) AS sq_sum',
      'sum(error) AS err_sum',
      'var_pop(actual_value) AS actual_var_pop',
      'count(absolute_percentage_error)::int AS ape_n',
      'sum(absolute_percentage_error) AS ape_sum',
    );
  }
  return { text: `WITH ${base} SELECT g, ${columns.join(', ')} FROM base GROUP BY g`, values: p.values };
}

/** Per group: counts of (actual label, predicted label) — multiclass; binary models get them from probabilityLevelsSql. */
export function confusionSql(filter: AnalyticsFilter, grouping: Grouping): Statement {
  const p = new Params();
  const base = baseCte(filter, grouping, p);
  return {
    text: `WITH ${base} SELECT g, actual_label AS actual, predicted_label AS predicted, count(*)::int AS n FROM base GROUP BY 1, 2, 3`,
    values: p.values,
  };
}

/**
 * Binary models, in one pass: rows are collapsed to their distinct P(positive) ("levels", rows without one
 * form the NULL level), each level with its counts of positives and of the confusion cells. Per group and
 * calibration bin (width_bucket on the bin edges: 0 … 9, NULL for the rows without P(positive)) it returns
 * those counts, Σ P(positive), the log likelihood Σ y·ln p + (1 − y)·ln(1 − p) with p clipped to
 * [1e-15, 1 − 1e-15], the Brier sum Σ (p − y)², and the positives' average ranks of P(positive) summed and
 * doubled so they stay integers (ROC AUC in its Mann–Whitney form: a level of n tied scores above `below`
 * others has average rank below + (n + 1)/2). Only distinct scores are sorted.
 */
export function probabilityLevelsSql(filter: AnalyticsFilter, grouping: Grouping, positiveLabel: string | null): Statement {
  const p = new Params();
  const base = baseCte(filter, grouping, p);
  const pos = p.add(positiveLabel);
  const thresholds = p.add(CALIBRATION_THRESHOLDS);
  const clipped = 'least(greatest(score, 1e-15::float8), 1 - 1e-15::float8)';
  return {
    text: `WITH ${base},
levels AS (
  SELECT g, p_positive AS score, count(*) AS n,
    count(*) FILTER (WHERE actual_label = ${pos}) AS pos,
    count(*) FILTER (WHERE actual_label = ${pos} AND predicted_label = ${pos}) AS tp,
    count(*) FILTER (WHERE actual_label <> ${pos} AND predicted_label = ${pos}) AS fp,
    count(*) FILTER (WHERE actual_label = ${pos} AND predicted_label <> ${pos}) AS fn
  FROM base GROUP BY g, p_positive
), ranked AS (
  SELECT *, sum(n) FILTER (WHERE score IS NOT NULL) OVER (PARTITION BY g ORDER BY score) - n AS below FROM levels
)
SELECT g, width_bucket(score, ${thresholds}::float8[]) AS bin,
  sum(n)::float8 AS n, sum(pos)::float8 AS positives, sum(tp)::float8 AS tp, sum(fp)::float8 AS fp, sum(fn)::float8 AS fn,
  sum(score * n) AS sum_p,
  sum(pos * ln(${clipped}) + (n - pos) * ln(1 - ${clipped})) FILTER (WHERE score IS NOT NULL) AS log_likelihood,
  sum(pos * (1 - score) * (1 - score) + (n - pos) * score * score) AS brier_sum,
  sum(pos * (2 * below + n + 1)) FILTER (WHERE score IS NOT NULL)::float8 AS twice_rank_sum
FROM ranked GROUP BY 1, 2`,
    values: p.values,
  };
}

/**
 * Per group: all predictions (labeled or not) in the range, for label coverage. A `last=N` window passes the
 * span its rows cover, [first, last] inclusive. Predictions have no outcome source: grouped by source, the
 * count is the window's total (one group, key null), which every source's coverage is a share of.
 */
export function predictionCountSql(
  filter: AnalyticsFilter,
  grouping: Grouping,
  range: { from: Date; to: Date; inclusive: boolean },
): Statement {
  const p = new Params();
  const where = [
    `model_id = ${p.add(filter.modelId)}::uuid`,
    `predicted_at >= ${p.add(range.from)}::timestamptz`,
    `predicted_at ${range.inclusive ? '<=' : '<'} ${p.add(range.to)}::timestamptz`,
  ];
  if (filter.versionId !== undefined) where.push(`version_id = ${p.add(filter.versionId)}::uuid`);
  const key = grouping.by === 'source' ? 'NULL::text' : groupKey(grouping);
  return { text: `SELECT ${key} AS g, count(*)::int AS n FROM predictions WHERE ${where.join(' AND ')} GROUP BY 1`, values: p.values };
}

/** Per group: labeled predictions by version (history marks the versions seen in each bucket). */
export function versionMixSql(filter: AnalyticsFilter, grouping: Grouping): Statement {
  const p = new Params();
  const base = baseCte(filter, grouping, p);
  return { text: `WITH ${base} SELECT g, version_id::text AS version_id, count(*)::int AS n FROM base GROUP BY 1, 2`, values: p.values };
}

/**
 * The statements behind GET /v1/models/{model}/performance for one grouping, in the order the service
 * runs them (concurrently). For a `last=N` window, label coverage needs one more statement
 * (predictionCountSql over the span the summary found).
 */
export function performanceStatements(
  filter: AnalyticsFilter,
  grouping: Grouping,
  model: { task: AnalyticsTask; positiveLabel: string | null },
): { summary: Statement; confusion?: Statement; levels?: Statement; predictions?: Statement } {
  const statements: ReturnType<typeof performanceStatements> = { summary: summarySql(filter, grouping, model.task) };
  if (model.task === 'multiclass') statements.confusion = confusionSql(filter, grouping);
  if (model.task === 'binary') statements.levels = probabilityLevelsSql(filter, grouping, model.positiveLabel);
  if (filter.window.kind === 'range') {
    statements.predictions = predictionCountSql(filter, grouping, { from: filter.window.from, to: filter.window.to, inclusive: false });
  }
  return statements;
}

/**
 * Residual distribution: counts and mean in a first pass, then the central moment sums Σd², Σd³, Σd⁴
 * (d = x − mean) and the linear percentiles in a second.
 */
export function residualSummarySql(filter: AnalyticsFilter, task: AnalyticsTask): Statement {
  const p = new Params();
  const base = baseCte(filter, NO_GROUPING, p);
  const d = '(r.x - m.mu)';
  return {
    text: `WITH ${base},
r AS NOT MATERIALIZED (SELECT ${residualExpression(task)} AS x, predicted_at FROM base),
m AS (SELECT count(*)::int AS total, count(x)::int AS n, avg(x) AS mu, min(predicted_at) AS first_at, max(predicted_at) AS last_at FROM r)
SELECT m.*, a.* FROM m CROSS JOIN LATERAL (
  SELECT sum(${d} * ${d}) AS s2, sum(${d} * ${d} * ${d}) AS s3, sum((${d} * ${d}) * (${d} * ${d})) AS s4, min(r.x) AS min, max(r.x) AS max,
    percentile_cont(ARRAY[${RESIDUAL_QUANTILES.join(', ')}]::float8[]) WITHIN GROUP (ORDER BY r.x) AS pct
  FROM r WHERE r.x IS NOT NULL
) a`,
    values: p.values,
  };
}

/** The deterministic residual sample for tests that need raw values (Shapiro–Wilk): the first `limit` in SAMPLE_ORDER. */
export function residualSampleSql(filter: AnalyticsFilter, task: AnalyticsTask, limit: number): Statement {
  const p = new Params();
  const base = baseCte(filter, NO_GROUPING, p);
  const x = residualExpression(task);
  return { text: `WITH ${base} SELECT ${x} AS x FROM base WHERE ${x} IS NOT NULL ORDER BY ${SAMPLE_ORDER} LIMIT ${p.add(limit)}::int`, values: p.values };
}

/**
 * Counts of residuals in `bins` equal-width bins over [lower, upper] (width_bucket; values on or past the
 * upper edge count in the last bin, below the lower edge in the first), for the report's histogram. Only the
 * non-empty bins come back: `bin` is 1-based.
 */
export function residualHistogramSql(filter: AnalyticsFilter, task: AnalyticsTask, range: { lower: number; upper: number; bins: number }): Statement {
  const p = new Params();
  const base = baseCte(filter, NO_GROUPING, p);
  const bins = p.add(range.bins);
  return {
    text: `WITH ${base}, r AS NOT MATERIALIZED (SELECT ${residualExpression(task)} AS x FROM base)
SELECT least(greatest(width_bucket(x, ${p.add(range.lower)}::float8, ${p.add(range.upper)}::float8, ${bins}::int), 1), ${bins}::int) AS bin, count(*)::int AS n
FROM r WHERE x IS NOT NULL GROUP BY 1 ORDER BY 1`,
    values: p.values,
  };
}

/**
 * The deterministic sample of labeled predictions with their features (error segments, feature importance):
 * the first `limit` in SAMPLE_ORDER, with the group key (time bucket for feature-importance history).
 */
export function featureSampleSql(filter: AnalyticsFilter, grouping: Grouping, task: AnalyticsTask, limit: number): Statement {
  const p = new Params();
  const base = baseCte(filter, grouping, p);
  const modelId = p.add(filter.modelId);
  // One primary-key probe per sampled row (LATERAL … LIMIT 1 keeps it a nested loop, pruned to one partition).
  return {
    text: `WITH ${base},
s AS (
  SELECT g, prediction_id, predicted_at, actual_value, actual_label, correct, ${residualExpression(task)} AS residual
  FROM base ORDER BY ${SAMPLE_ORDER} LIMIT ${p.add(limit)}::int
)
SELECT s.g, s.actual_value, s.actual_label, s.correct, s.residual, f.features
FROM s CROSS JOIN LATERAL (
  SELECT pr.features FROM predictions pr WHERE pr.id = s.prediction_id AND pr.predicted_at = s.predicted_at AND pr.model_id = ${modelId}::uuid LIMIT 1
) f
ORDER BY ${SAMPLE_ORDER.replaceAll('prediction_id', 's.prediction_id')}`,
    values: p.values,
  };
}

/** Labeled predictions selected by the filter (the population a sample is drawn from) and the span of their predicted_at. */
export function labeledSpanSql(filter: AnalyticsFilter): Statement {
  const p = new Params();
  const base = baseCte(filter, NO_GROUPING, p);
  return { text: `WITH ${base} SELECT count(*)::int AS n, min(predicted_at) AS first_at, max(predicted_at) AS last_at FROM base`, values: p.values };
}
