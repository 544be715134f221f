import type pg from 'pg';
import type { GroupAggregates, ProbabilityBin } from '../../domain/performance-metrics.js';
import {
  type AnalyticsFilter,
  type AnalyticsTask,
  type Grouping,
  type Statement,
  featureSampleSql,
  labeledSpanSql,
  performanceStatements,
  predictionCountSql,
  residualHistogramSql,
  residualSampleSql,
  residualSummarySql,
  versionMixSql,
} from './analytics-sql.js';

export type { AnalyticsFilter, AnalyticsTask, BucketUnit, Grouping, OutcomeSource } from './analytics-sql.js';

/** A group key as the service sees it: null (no grouping, or no version), a version id, or a bucket start (ISO). */
export type GroupKey = string | null;

/** The group's counts and the task's error sums, as the domain's aggregates name them. */
export interface SummaryRow extends Pick<GroupAggregates, 'n' | 'correct' | 'absSum' | 'sqSum' | 'errSum' | 'actualVarPop' | 'apeN' | 'apeSum'> {
  g: GroupKey;
  firstAt: Date;
  lastAt: Date;
  delayMean: number;
  delayMax: number;
  /** Label delay percentiles at DELAY_QUANTILES. */
  delayPercentiles: number[];
}

export interface ConfusionRow {
  g: GroupKey;
  actual: string;
  predicted: string;
  n: number;
}

/** Binary models: per group and calibration bin (null: rows without P(positive)), see probabilityLevelsSql. */
export interface LevelRow extends ProbabilityBin {
  g: GroupKey;
}

export interface PerformanceRows {
  summary: SummaryRow[];
  confusion: ConfusionRow[];
  levels: LevelRow[];
  /** Predictions (labeled or not) per group; absent for `last=N` windows until the span is known. */
  predictions?: Map<GroupKey, number>;
}

export interface ResidualSummaryRow {
  /** Labeled predictions in the scope (with or without a residual). */
  total: number;
  firstAt: Date | null;
  lastAt: Date | null;
  n: number;
  mean: number | null;
  s2: number | null;
  s3: number | null;
  s4: number | null;
  min: number | null;
  max: number | null;
  percentiles: number[] | null;
}

export interface SampleRow {
  g: GroupKey;
  actualValue: number | null;
  actualLabel: string | null;
  correct: boolean | null;
  residual: number | null;
  features: Record<string, unknown>;
}

const key = (g: unknown): GroupKey => (g === null || g === undefined ? null : g instanceof Date ? g.toISOString() : String(g));

/** Runs the analytics SQL of analytics-sql.ts and maps its rows; the statements run concurrently where independent. */
export class AnalyticsRepository {
  constructor(private readonly pool: pg.Pool) {}

  private async rows(statement: Statement | undefined): Promise<Record<string, unknown>[]> {
    if (!statement) return [];
    return (await this.pool.query(statement.text, statement.values)).rows;
  }

  async performance(filter: AnalyticsFilter, grouping: Grouping, model: { task: AnalyticsTask; positiveLabel: string | null }): Promise<PerformanceRows> {
    const { summary, confusion, levels, predictions } = await runPerformanceSql(this.pool, filter, grouping, model);
    return {
      summary: summary.map(toSummary),
      confusion: confusion.map((r) => ({ g: key(r.g), actual: r.actual as string, predicted: r.predicted as string, n: r.n as number })),
      levels: levels.map((r) => ({
        g: key(r.g),
        bin: r.bin as number | null,
        n: r.n as number,
        positives: r.positives as number,
        tp: r.tp as number,
        fp: r.fp as number,
        fn: r.fn as number,
        sumP: r.sum_p as number | null,
        logLikelihood: r.log_likelihood as number | null,
        brierSum: r.brier_sum as number | null,
        twiceRankSum: r.twice_rank_sum as number | null,
      })),
      ...(predictions ? { predictions: countsByGroup(predictions) } : {}),
    };
  }

  async predictionCounts(filter: AnalyticsFilter, grouping: Grouping, range: { from: Date; to: Date; inclusive: boolean }): Promise<Map<GroupKey, number>> {
    return countsByGroup(await this.rows(predictionCountSql(filter, grouping, range)));
  }

  async versionMix(filter: AnalyticsFilter, grouping: Grouping): Promise<{ g: GroupKey; versionId: string | null; n: number }[]> {
    return (await this.rows(versionMixSql(filter, grouping))).map((r) => ({ g: key(r.g), versionId: (r.version_id as string | null) ?? null, n: r.n as number }));
  }

  async residualSummary(filter: AnalyticsFilter, task: AnalyticsTask): Promise<ResidualSummaryRow> {
    const [r] = await this.rows(residualSummarySql(filter, task));
    if (!r) return { total: 0, firstAt: null, lastAt: null, n: 0, mean: null, s2: null, s3: null, s4: null, min: null, max: null, percentiles: null };
    return {
      total: r.total as number,
      firstAt: r.first_at as Date | null,
      lastAt: r.last_at as Date | null,
      n: r.n as number,
      mean: r.mu as number | null,
      s2: r.s2 as number | null,
      s3: r.s3 as number | null,
      s4: r.s4 as number | null,
      min: r.min as number | null,
      max: r.max as number | null,
      percentiles: r.pct as number[] | null,
    };
  }

  async residualSample(filter: AnalyticsFilter, task: AnalyticsTask, limit: number): Promise<number[]> {
    return (await this.rows(residualSampleSql(filter, task, limit))).map((r) => r.x as number);
  }

  async featureSample(filter: AnalyticsFilter, grouping: Grouping, task: AnalyticsTask, limit: number): Promise<SampleRow[]> {
    return (await this.rows(featureSampleSql(filter, grouping, task, limit))).map((r) => ({
      g: key(r.g),
      actualValue: r.actual_value as number | null,
      actualLabel: r.actual_label as string | null,
      correct: r.correct as boolean | null,
      residual: r.residual as number | null,
      features: (r.features ?? {}) as Record<string, unknown>,
    }));
  }

  /** Residual counts per equal-width bin over [lower, upper]: one count per bin, empty bins included. */
  async residualHistogram(filter: AnalyticsFilter, task: AnalyticsTask, range: { lower: number; upper: number; bins: number }): Promise<number[]> {
    const counts = new Array<number>(range.bins).fill(0);
    for (const r of await this.rows(residualHistogramSql(filter, task, range))) counts[(r.bin as number) - 1] = r.n as number;
    return counts;
  }

  async labeledSpan(filter: AnalyticsFilter): Promise<{ n: number; first: Date | null; last: Date | null }> {
    const [r] = await this.rows(labeledSpanSql(filter));
    return { n: (r?.n as number | undefined) ?? 0, first: (r?.first_at as Date | null | undefined) ?? null, last: (r?.last_at as Date | null | undefined) ?? null };
  }
}

/**
 * Runs the statements of GET …/performance (performanceStatements) concurrently, exactly as the endpoint does,
 * and returns their raw rows: what a benchmark times as "the same SQL run directly".
 */
export async function runPerformanceSql(
  pool: pg.Pool,
  filter: AnalyticsFilter,
  grouping: Grouping,
  model: { task: AnalyticsTask; positiveLabel: string | null },
): Promise<{ summary: Record<string, unknown>[]; confusion: Record<string, unknown>[]; levels: Record<string, unknown>[]; predictions?: Record<string, unknown>[] }> {
  const s = performanceStatements(filter, grouping, model);
  const run = async (statement: Statement | undefined) => (statement ? (await pool.query(statement.text, statement.values)).rows : []);
  const [summary, confusion, levels, predictions] = await Promise.all([run(s.summary), run(s.confusion), run(s.levels), s.predictions ? run(s.predictions) : undefined]);
  return { summary, confusion, levels, ...(predictions ? { predictions } : {}) };
}

function countsByGroup(rows: Record<string, unknown>[]): Map<GroupKey, number> {
  return new Map(rows.map((r) => [key(r.g), r.n as number]));
}

function toSummary(r: Record<string, unknown>): SummaryRow {
  const row: SummaryRow = {
    g: key(r.g),
    n: r.n as number,
    firstAt: r.first_at as Date,
    lastAt: r.last_at as Date,
    delayMean: r.delay_mean as number,
    delayMax: r.delay_max as number,
    delayPercentiles: r.delay_pct as number[],
  };
  if ('correct' in r) row.correct = r.correct as number;
  if ('abs_sum' in r) {
    row.absSum = r.abs_sum as number;
    row.sqSum = r.sq_sum as number;
    row.errSum = r.err_sum as number;
    row.actualVarPop = r.actual_var_pop as number;
    row.apeN = r.ape_n as number;
    row.apeSum = r.ape_sum as number | null;
  }
  return row;
}
