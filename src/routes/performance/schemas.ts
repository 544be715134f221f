import { Type } from 'typebox';
import { DateTime, Nullable } from '../schemas.js';
import { BucketUnitSchema, NullableNumber, ReasonsSchema, ScopeProperties, WindowQueryProperties } from './common-schemas.js';

export const PerformanceQuery = Type.Object(
  {
    ...WindowQueryProperties,
    groupBy: Type.Optional(
      Type.Enum(['version', 'source'], {
        description: '`version`: also return the metrics of each version in `groups`; `source`: of each outcome source (ground_truth, human), each source’s labelCoverage being its share of all the window’s predictions',
      }),
    ),
  },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object(
  {
    ...WindowQueryProperties,
    bucket: BucketUnitSchema({ default: 'day', description: 'UTC time bucket of predicted_at (weeks start on Monday); at most 1000 buckets per request' }),
  },
  { additionalProperties: false },
);

const Probability = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });

const ConfusionMatrix = {
  labels: Type.Array(Type.String(), { description: 'row and column order (sorted)' }),
  matrix: Type.Array(Type.Array(Type.Integer()), { description: 'matrix[i][j]: labeled predictions whose actual label is labels[i] and predicted label labels[j]' }),
};

const BinaryMetrics = Type.Object(
  {
    accuracy: Probability('share of predictions whose predicted label equals the actual label'),
    precision: Probability('TP / (TP + FP) for the positive label; 0 when nothing was predicted positive'),
    recall: Probability('TP / (TP + FN); 0 when no actual is positive'),
    f1: Probability('2·precision·recall / (precision + recall); 0 when both are 0'),
    rocAuc: NullableNumber('ROC AUC of P(positive) (Mann–Whitney form, ties get average ranks); null with one class'),
    logLoss: NullableNumber('−mean(y·ln p + (1−y)·ln(1−p)), p = P(positive) clipped to [1e-15, 1 − 1e-15]'),
    brier: NullableNumber('mean((p − y)²)'),
    ece: NullableNumber('expected calibration error: Σ (bin count / n)·|fraction positive − mean P(positive)| over 10 equal-width bins'),
    reliability: Type.Array(
      Type.Object({
        lower: Type.Number(),
        upper: Type.Number({ description: 'bins are [lower, upper); the last also holds 1' }),
        count: Type.Integer(),
        meanPredicted: NullableNumber('mean P(positive) in the bin; null when empty'),
        fractionPositive: NullableNumber('share of actual positives in the bin; null when empty'),
      }),
      { description: 'the reliability diagram behind ECE' },
    ),
    probabilityCount: Type.Integer({ description: 'labeled predictions with P(positive): the rows rocAuc, logLoss, brier and ece are computed on' }),
    positiveLabel: Type.String(),
    confusionMatrix: Type.Object({
      ...ConfusionMatrix,
      tp: Type.Integer(),
      fp: Type.Integer(),
      tn: Type.Integer(),
      fn: Type.Integer(),
    }),
  },
  { title: 'BinaryMetrics', description: 'Hard label = the predicted label the client logged; P(positive) for AUC, log loss, Brier and ECE' },
);

const MulticlassMetrics = Type.Object(
  {
    accuracy: Probability('share of predictions whose predicted label equals the actual label'),
    macroF1: Probability('unweighted mean of the per-label F1 over every label seen as actual or predicted'),
    perLabel: Type.Array(
      Type.Object({
        label: Type.String(),
        precision: Probability('correct predictions of the label / predictions of the label (0 when never predicted)'),
        recall: Probability('correct predictions of the label / actuals of the label (0 when never actual)'),
        f1: Probability('2PR / (P + R)'),
        support: Type.Integer({ description: 'labeled predictions whose actual is the label' }),
      }),
    ),
    confusionMatrix: Type.Object(ConfusionMatrix),
  },
  { title: 'MulticlassMetrics' },
);

const RegressionMetrics = Type.Object(
  {
    mae: Type.Number({ description: 'mean |predicted − actual|' }),
    rmse: Type.Number({ description: 'sqrt(mean (predicted − actual)²)' }),
    r2: NullableNumber('1 − SS_res/SS_tot (scikit-learn: 1 or 0 when the actuals are constant); null under 2 rows'),
    mape: NullableNumber('mean |predicted − actual| / |actual| × 100 over actuals ≠ 0 (percent)'),
    mapeCount: Type.Integer({ description: 'rows MAPE is computed on (actual ≠ 0)' }),
    meanError: Type.Number({ description: 'mean (predicted − actual): the bias; positive = over-prediction' }),
  },
  { title: 'RegressionMetrics' },
);

const LabelDelay = Nullable(
  Type.Object(
    {
      mean: Type.Number(),
      p50: Type.Number(),
      p90: Type.Number(),
      p95: Type.Number(),
      p99: Type.Number(),
      max: Type.Number(),
    },
    { description: 'Seconds from predictedAt to observedAt of the outcomes (linear percentiles)' },
  ),
);

const MeasurementProperties = {
  sampleCount: Type.Integer({ description: 'labeled predictions the metrics are computed on' }),
  predictionCount: Type.Integer({ description: 'predictions in the window, labeled or not (for last=N: in the span of those N)' }),
  labelCoverage: NullableNumber('sampleCount / predictionCount'),
  labelDelaySeconds: LabelDelay,
  metrics: Nullable(Type.Union([BinaryMetrics, MulticlassMetrics, RegressionMetrics], { description: 'the task’s metrics; null without labeled predictions' })),
  undefined: ReasonsSchema,
};

const BINARY_EXAMPLE = {
  model: 'nba-game-predictor',
  task: 'binary',
  window: { from: '2024-10-11T00:00:00.000Z', to: '2024-10-18T00:00:00.000Z' },
  filters: { version: null, source: null },
  sampleCount: 412,
  predictionCount: 430,
  labelCoverage: 0.958,
  labelDelaySeconds: { mean: 9120, p50: 9000, p90: 10800, p95: 11700, p99: 14400, max: 18000 },
  metrics: {
    accuracy: 0.68,
    precision: 0.7,
    recall: 0.66,
    f1: 0.679,
    rocAuc: 0.74,
    logLoss: 0.59,
    brier: 0.205,
    ece: 0.041,
    reliability: [{ lower: 0, upper: 0.1, count: 3, meanPredicted: 0.07, fractionPositive: 0 }],
    probabilityCount: 412,
    positiveLabel: 'LAL',
    confusionMatrix: { labels: ['BOS', 'LAL'], matrix: [[143, 59], [73, 137]], tp: 137, fp: 59, tn: 143, fn: 73 },
  },
  undefined: {},
};

export const PerformanceSchema = Type.Object(
  {
    ...ScopeProperties,
    ...MeasurementProperties,
    note: Type.Optional(Type.String({ description: 'why there are no metrics (empty window)' })),
    groups: Type.Optional(
      Type.Array(
        Type.Object({
          version: Type.Optional(Nullable(Type.String({ description: 'groupBy=version: the version; null for predictions logged without one' }))),
          source: Type.Optional(Type.Enum(['ground_truth', 'human'], { description: 'groupBy=source: who observed the outcomes' })),
          ...MeasurementProperties,
          note: Type.Optional(Type.String()),
        }),
        { description: 'with groupBy: the same per version, or per outcome source' },
      ),
    ),
  },
  { examples: [BINARY_EXAMPLE] },
);

export const TrendSchema = Type.Object(
  {
    direction: Type.Union([Type.Literal('improving'), Type.Literal('degrading'), Type.Literal('stable')]),
    metric: Type.String({ description: 'accuracy (classification, higher is better) or mae (regression, lower is better)' }),
    test: Type.Literal('mann-kendall'),
    alpha: Type.Number({ description: 'significance level: a trend is only called with p < alpha' }),
    points: Type.Integer({ description: 'non-empty buckets tested (at least 4 are needed)' }),
    statistic: NullableNumber('Mann–Kendall S = Σ sign(x_j − x_i), i < j'),
    z: NullableNumber('continuity-corrected normal score of S'),
    pValue: NullableNumber('two-sided p-value'),
    tau: NullableNumber('Kendall tau = S / (n(n−1)/2)'),
    senSlope: NullableNumber('Sen’s slope: median change of the metric per bucket'),
    reason: Type.String(),
  },
  { description: 'improving / degrading when the Mann–Kendall test finds a monotonic trend in the primary metric (p < 0.05), else stable' },
);

export const HistorySchema = Type.Object(
  {
    ...ScopeProperties,
    bucket: BucketUnitSchema(),
    metric: Type.String({ description: 'the metric the trend is decided on' }),
    sampleCount: Type.Integer(),
    buckets: Type.Array(
      Type.Object({
        start: DateTime,
        end: DateTime,
        ...MeasurementProperties,
        versions: Type.Array(Type.Object({ version: Nullable(Type.String()), sampleCount: Type.Integer() }), { description: 'versions seen in the bucket' }),
        versionChanged: Type.Boolean({ description: 'the set of versions differs from the previous non-empty bucket' }),
      }),
      { description: 'every bucket of the window, oldest first, empty ones included (metrics null)' },
    ),
    trend: TrendSchema,
    note: Type.Optional(Type.String()),
  },
  {
    examples: [
      {
        model: 'delivery-eta',
        task: 'regression',
        window: { from: '2024-10-01T00:00:00.000Z', to: '2024-10-31T00:00:00.000Z' },
        filters: { version: null, source: null },
        bucket: 'week',
        metric: 'mae',
        sampleCount: 120,
        buckets: [
          {
            start: '2024-09-30T00:00:00.000Z',
            end: '2024-10-07T00:00:00.000Z',
            sampleCount: 30,
            predictionCount: 31,
            labelCoverage: 0.968,
            labelDelaySeconds: { mean: 2400, p50: 2300, p90: 3300, p95: 3500, p99: 3600, max: 3600 },
            metrics: { mae: 3.1, rmse: 4.2, r2: 0.81, mape: 9.4, mapeCount: 30, meanError: 0.4 },
            undefined: {},
            versions: [{ version: 'v3', sampleCount: 30 }],
            versionChanged: false,
          },
        ],
        trend: { direction: 'degrading', metric: 'mae', test: 'mann-kendall', alpha: 0.05, points: 5, statistic: 10, z: 2.2, pValue: 0.027, tau: 1, senSlope: 0.6, reason: 'mae increases over 5 buckets' },
      },
    ],
  },
);
