import { NO_GROUPING, RESIDUAL_QUANTILES } from '../db/repositories/analytics-sql.js';
import type { AnalyticsRepository, SampleRow } from '../db/repositories/analytics.js';
import { MAX_CATEGORIES, featureColumns } from '../domain/feature-columns.js';
import type { Reasons } from '../domain/performance-metrics.js';
import { residualShape } from '../domain/residual-summary.js';
import { ALPHA, DISCRETE_MAX, MIN_SLICE, findSegments } from '../domain/segments.js';
import { shapiroWilk } from '../stats/index.js';
import { type AnalysisQuery, type AnalysisScope, resolveScope, scopeHeader } from './analysis-scope.js';
import type { ModelCatalog } from './catalog.js';

/** Shapiro–Wilk runs on at most this many residuals (its p-value approximation is validated up to 5000). */
export const NORMALITY_SAMPLE = 5000;
/** Segments and feature importance read the features of at most this many labeled predictions. */
export const FEATURE_SAMPLE = 50_000;

export const sampleRule = (limit: number, what: string) =>
  `the ${limit} ${what} whose prediction ids have the smallest md5 (ORDER BY md5(prediction_id) LIMIT ${limit}); all of them when there are fewer`;

/** GET …/errors: the residual distribution, its normality, the bias, and the feature segments where errors are systematic. */
export class ErrorAnalysisService {
  constructor(
    private readonly repo: AnalyticsRepository,
    private readonly catalog: ModelCatalog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async analyse(modelName: string, query: AnalysisQuery) {
    const scope = await resolveScope(this.catalog, modelName, query, this.now());
    const task = scope.model.task;
    const [summary, featureSample] = await Promise.all([
      this.repo.residualSummary(scope.filter, task),
      this.repo.featureSample(scope.filter, NO_GROUPING, task, FEATURE_SAMPLE),
    ]);
    const normalitySample = await this.normalitySample(scope, featureSample);
    const reasons: Reasons = {};
    const head = {
      ...scopeHeader(scope, { first: summary.firstAt, last: summary.lastAt }),
      residual: task === 'regression' ? 'predicted − actual' : '1 − P(actual label)',
      sampleCount: summary.total,
      n: summary.n,
      skipped: summary.total - summary.n,
    };
    if (summary.n === 0 || summary.mean === null) {
      return {
        ...head,
        ...nullDistribution(),
        segments: this.segments(scope, featureSample, summary.total),
        undefined: reasons,
        note:
          summary.total === 0
            ? 'no labeled predictions in this window'
            : `none of the ${summary.total} labeled predictions has a probability for its actual label: send probabilities (or confidence) with predictions`,
      };
    }
    const shape = residualShape({ n: summary.n, mean: summary.mean, s2: summary.s2 ?? 0, s3: summary.s3 ?? 0, s4: summary.s4 ?? 0 }, reasons);
    const pct = summary.percentiles ?? [];
    const [p25, p50, p75, p90, p95, p99] = RESIDUAL_QUANTILES.map((_, i) => pct[i]!);
    const percentiles = { p25: p25!, p50: p50!, p75: p75!, p90: p90!, p95: p95!, p99: p99! };
    let normality = null;
    if (normalitySample.length < 3) reasons.normality = 'Shapiro–Wilk needs at least 3 residuals';
    else {
      const sw = shapiroWilk(normalitySample);
      normality = {
        test: 'shapiro-wilk' as const,
        statistic: sw.statistic,
        pValue: Math.min(1, Math.max(0, sw.pValue)),
        sample: { rule: sampleRule(NORMALITY_SAMPLE, 'residuals'), size: normalitySample.length, population: summary.n },
      };
    }
    return {
      ...head,
      mean: summary.mean,
      median: p50!,
      std: shape.std,
      min: summary.min,
      max: summary.max,
      percentiles,
      skewness: shape.skewness,
      kurtosis: shape.kurtosis,
      normality,
      bias: shape.bias,
      segments: this.segments(scope, featureSample, summary.total),
      undefined: reasons,
    };
  }

  /**
   * The NORMALITY_SAMPLE residuals first in sample order. The feature sample is a prefix of that same order,
   * so its residuals are the answer whenever it holds enough of them (or is the whole window).
   */
  private async normalitySample(scope: AnalysisScope, featureSample: SampleRow[]): Promise<number[]> {
    const residuals = featureSample.flatMap((r) => (r.residual === null ? [] : [r.residual]));
    if (residuals.length >= NORMALITY_SAMPLE || featureSample.length < FEATURE_SAMPLE) return residuals.slice(0, NORMALITY_SAMPLE);
    return this.repo.residualSample(scope.filter, scope.model.task, NORMALITY_SAMPLE);
  }

  private segments(scope: AnalysisScope, rows: SampleRow[], population: number) {
    const mode = scope.model.task === 'regression' ? ('residual' as const) : ('accuracy' as const);
    const { columns, skipped } = featureColumns(rows);
    const analysis = findSegments(rows, columns, mode);
    return {
      sample: { rule: sampleRule(FEATURE_SAMPLE, 'labeled predictions'), size: rows.length, population },
      method: {
        compares: mode === 'residual' ? 'mean residual of the slice vs the rest (Welch t-test)' : 'accuracy of the slice vs the rest (two-proportion z-test, pooled)',
        numericSlices: `quintile bins of the sample (linear percentiles 20/40/60/80); one slice per value when a feature takes at most ${DISCRETE_MAX} values`,
        categoricalSlices: `the ${MAX_CATEGORIES} most frequent categories, the rest grouped; booleans are categories`,
        missingValues: 'a slice of their own',
        minSliceSize: MIN_SLICE,
        correction: 'holm' as const,
        alpha: ALPHA,
      },
      testedSlices: analysis.tested,
      features: analysis.features,
      skippedFeatures: skipped,
      slices: analysis.findings,
    };
  }
}

function nullDistribution() {
  return { mean: null, median: null, std: null, min: null, max: null, percentiles: null, skewness: null, kurtosis: null, normality: null, bias: null };
}
