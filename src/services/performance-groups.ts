import type { AnalyticsRepository, GroupKey, Grouping, SummaryRow } from '../db/repositories/analytics.js';
import { DELAY_QUANTILES } from '../db/repositories/analytics-sql.js';
import { type GroupAggregates, type Reasons, type TaskMetrics, metricsOf } from '../domain/performance-metrics.js';
import type { AnalysisScope } from './analysis-scope.js';

export interface LabelDelay {
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** The performance of one group of labeled predictions (all of a window, one version, or one time bucket). */
export interface Measurement {
  sampleCount: number;
  predictionCount: number;
  labelCoverage: number | null;
  labelDelaySeconds: LabelDelay | null;
  metrics: TaskMetrics | null;
  undefined: Reasons;
  note?: string;
  /** predicted_at of the first and last labeled prediction (null when there is none). */
  span: { first: Date | null; last: Date | null };
}

/**
 * Runs the performance SQL for a grouping and turns each group's aggregates into metrics. For a
 * `last=N` window the prediction counts (label coverage) are taken over the span the N rows cover.
 */
export async function measureGroups(repo: AnalyticsRepository, scope: AnalysisScope, grouping: Grouping): Promise<Map<GroupKey, Measurement>> {
  const rows = await repo.performance(scope.filter, grouping, { task: scope.model.task, positiveLabel: scope.model.positiveLabel });
  let predictions = rows.predictions;
  if (!predictions) {
    const span = overallSpan(rows.summary);
    predictions = span.first && span.last ? await repo.predictionCounts(scope.filter, grouping, { from: span.first, to: span.last, inclusive: true }) : new Map();
  }
  const summaries = new Map(rows.summary.map((r) => [r.g, r]));
  const confusion = byGroup(rows.confusion);
  const levels = byGroup(rows.levels);
  const result = new Map<GroupKey, Measurement>();
  // By source, every source's labels are a share of all the window's predictions (which have no source).
  const bySource = grouping.by === 'source';
  for (const key of new Set<GroupKey>([...summaries.keys(), ...(bySource ? [] : predictions.keys())])) {
    const summary = summaries.get(key);
    const predictionCount = (bySource ? predictions.get(null) : predictions.get(key)) ?? 0;
    if (!summary || summary.n === 0) {
      result.set(key, emptyMeasurement(predictionCount));
      continue;
    }
    const aggregates: GroupAggregates = { ...summary, confusion: confusion.get(key) ?? [], levels: levels.get(key) ?? [] };
    result.set(key, measurement(scope, summary, aggregates, predictionCount));
  }
  return result;
}

function byGroup<T extends { g: GroupKey }>(rows: T[]): Map<GroupKey, T[]> {
  const map = new Map<GroupKey, T[]>();
  for (const row of rows) {
    const list = map.get(row.g);
    if (list) list.push(row);
    else map.set(row.g, [row]);
  }
  return map;
}

export function overallSpan(summary: readonly { firstAt: Date; lastAt: Date }[]): { first: Date | null; last: Date | null } {
  let first: Date | null = null;
  let last: Date | null = null;
  for (const r of summary) {
    if (!first || r.firstAt < first) first = r.firstAt;
    if (!last || r.lastAt > last) last = r.lastAt;
  }
  return { first, last };
}

/** The measurement of a group without labeled predictions. */
export function emptyMeasurement(predictionCount: number): Measurement {
  const reasons: Reasons = {};
  if (predictionCount === 0) reasons.labelCoverage = 'no predictions in the window';
  return {
    sampleCount: 0,
    predictionCount,
    labelCoverage: predictionCount === 0 ? null : 0,
    labelDelaySeconds: null,
    metrics: null,
    undefined: reasons,
    note:
      predictionCount === 0
        ? 'no predictions in this window'
        : `${predictionCount} prediction${predictionCount === 1 ? '' : 's'} in this window, none labeled yet: record outcomes with POST /v1/outcomes`,
    span: { first: null, last: null },
  };
}

function measurement(scope: AnalysisScope, summary: SummaryRow, aggregates: GroupAggregates, predictionCount: number): Measurement {
  const { metrics, undefined: reasons } = metricsOf(scope.model.task, aggregates, scope.model);
  const [p50, p90, p95, p99] = DELAY_QUANTILES.map((_, i) => summary.delayPercentiles[i]!);
  return {
    sampleCount: summary.n,
    // Never below the labeled count: a prediction and its outcome share predicted_at.
    predictionCount: Math.max(predictionCount, summary.n),
    labelCoverage: summary.n / Math.max(predictionCount, summary.n),
    labelDelaySeconds: { mean: summary.delayMean, p50: p50!, p90: p90!, p95: p95!, p99: p99!, max: summary.delayMax },
    metrics,
    undefined: reasons,
    span: { first: summary.firstAt, last: summary.lastAt },
  };
}

/** A measurement as it appears in a response (its span lives in the window echo or bucket bounds). */
export function publicMeasurement(m: Measurement): Omit<Measurement, 'span'> {
  const { span: _span, ...rest } = m;
  return rest;
}
