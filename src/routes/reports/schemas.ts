import { Type } from 'typebox';
import { ReportListItem } from '../drift/report-schemas.js';
import { SeveritySchema, SummarySchema } from '../drift/schemas.js';
import { ExperimentSchema } from '../experiments/schemas.js';
import { ModelSchema } from '../models/schemas.js';
import { BucketUnitSchema, NullableNumber } from '../performance/common-schemas.js';
import { ErrorAnalysisSchema } from '../performance/errors-schemas.js';
import { HistorySchema, PerformanceSchema } from '../performance/schemas.js';
import { DecisionSchema, RequestSchema } from '../retraining/schemas.js';
import { VersionSchema } from '../versions/schemas.js';
import { DateTime, Nullable } from '../schemas.js';

/**
 * The learning report. Each part reuses the contract of the endpoint it comes from (performance, history,
 * errors, retrain decision and requests, versions, experiments), so a client that reads those reads this.
 */

export const ReportQuery = Type.Object(
  {
    period: Type.Optional(
      Type.String({ maxLength: 16, description: 'A duration ending now, `<n>` + m, h, d or w (default 7d). Or give `from` + `to` instead.' }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Start of the period [from, to); needs `to`' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive) of the period; needs `from`' })),
  },
  { additionalProperties: false },
);

const SummaryPart = Type.Object(
  {
    status: Type.Enum(['ok', 'watch', 'action'], {
      description: 'action: retraining is needed, drift is high or critical, a critical alert is open, or a retrain request failed; watch: anything else listed under attention; ok: nothing',
    }),
    headline: Type.String({ description: 'one sentence: the primary metric over the period and its trend, the drift severity, the version changes, the verdict' }),
    changes: Type.Array(Type.String(), { description: 'what changed in the period: the metric from the first to the last bucket, promotions and rollbacks, retrain requests, alerts' }),
    attention: Type.Array(Type.String(), { description: 'what needs a human: retraining needed or blocked, drift, a degrading trend, open alerts, failed requests, candidates before the gate, systematic errors, calibration, bias' }),
  },
  { description: 'The report in words' },
);

const VersionChangeSchema = Type.Object({
  at: DateTime,
  action: Type.Enum(['promoted', 'rolled_back']),
  version: Type.String({ description: 'the version in production after the change' }),
  previousVersion: Nullable(Type.String()),
  reason: Nullable(Type.String()),
});

const HistogramSchema = Type.Object(
  {
    residual: Type.String(),
    n: Type.Integer({ description: 'residuals counted' }),
    binWidth: NullableNumber('width of each bin (null when every residual is the same value: one bin)'),
    bins: Type.Array(Type.Object({ lower: Type.Number(), upper: Type.Number(), count: Type.Integer() }), {
      description: 'equal-width bins, empty ones included: [0, 1] in 20 bins for classification (1 − P(actual label)), [min, max] in √n bins (5 to 30) for regression',
    }),
  },
  { description: 'Counts of the residuals of the period per bin, aggregated in PostgreSQL (width_bucket) over every labeled prediction' },
);

const DriftFeatureSchema = Type.Object({
  feature: Type.String(),
  type: Type.String({ description: 'numeric, categorical or boolean' }),
  status: Type.String({ description: 'tested, missing_in_current, missing_in_reference, …' }),
  method: Nullable(Type.String({ description: 'the test: ks, chi2, z, wasserstein, jensenshannon, psi' })),
  statistic: NullableNumber('the test statistic'),
  pValue: NullableNumber('p-value tests only'),
  adjustedPValue: NullableNumber('after the multiple-testing correction'),
  threshold: NullableNumber('p-value below, or distance at or above, which the feature drifted'),
  drifted: Type.Boolean(),
  severity: SeveritySchema,
  psi: NullableNumber('PSI between the windows (the effect size the severity rule uses; the page charts it)'),
});

const DriftSnapshotSchema = Type.Object({
  id: Nullable(Type.String({ format: 'uuid', description: 'the stored report; null when computed for this report' })),
  createdAt: DateTime,
  trigger: Nullable(Type.String({ description: 'schedule (the daily job) or api; null when computed for this report' })),
  url: Nullable(Type.String({ description: 'the full stored report' })),
  reference: Type.Object({ kind: Type.Enum(['window', 'baseline']), from: Nullable(DateTime), to: Nullable(DateTime), rows: Type.Integer() }),
  current: Type.Object({ from: DateTime, to: DateTime, rows: Type.Integer() }),
  severity: SeveritySchema,
  summary: SummarySchema,
  concept: Nullable(
    Type.Object({
      metric: Type.Enum(['accuracy', 'mae']),
      reference: Type.Number(),
      current: Type.Number(),
      changePercent: NullableNumber(''),
      pValue: NullableNumber(''),
      direction: Type.String(),
      severity: SeveritySchema,
    }),
  ),
  prediction: Nullable(Type.Object({ drifted: Type.Boolean(), severity: SeveritySchema })),
  features: Type.Array(DriftFeatureSchema, { description: 'most concerning first' }),
});

const DriftPart = Type.Object(
  {
    source: Type.Enum(['stored', 'computed'], { description: 'stored: the newest drift report stored in the period; computed: none was stored, so one was computed for the report (period vs the 30 days before it) and not stored' }),
    note: Type.String(),
    latest: Nullable(DriftSnapshotSchema),
    series: Type.Array(
      Type.Object({
        id: ReportListItem.properties.id,
        createdAt: DateTime,
        trigger: Type.String(),
        severity: SeveritySchema,
        driftedCount: Type.Integer(),
        featureCount: Type.Integer(),
        conceptChangePercent: NullableNumber('relative change of accuracy or MAE between the windows'),
      }),
      { description: 'every drift report stored in the period (up to 500), oldest first: the severity over time' },
    ),
  },
  { description: 'Drift: the latest report in the period, and the severity of each one stored' },
);

const AlertSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  type: Type.String({ description: 'e.g. performance.degraded, drift.feature, retrain.failed, model.rolled_back' }),
  severity: Type.Enum(['info', 'warning', 'critical']),
  status: Type.String({ description: 'open or acknowledged' }),
  title: Type.String(),
  detail: Type.String(),
  count: Type.Integer({ description: 'how often the same open condition was raised' }),
  firstSeenAt: DateTime,
  lastSeenAt: DateTime,
  acknowledgedAt: Nullable(DateTime),
});

const CalibrationSchema = Type.Object(
  {
    available: Type.Boolean(),
    ece: NullableNumber('expected calibration error over the 10 bins'),
    probabilityCount: Type.Integer({ description: 'labeled predictions with P(positive)' }),
    bins: Type.Array(
      Type.Object({ lower: Type.Number(), upper: Type.Number(), count: Type.Integer(), meanPredicted: NullableNumber(''), fractionPositive: NullableNumber('') }),
      { description: 'the reliability diagram: mean predicted P(positive) vs the observed share of positives, per equal-width bin' },
    ),
    note: Nullable(Type.String({ description: 'why calibration is not available (not binary, no probabilities, no outcomes)' })),
  },
  { description: 'Calibration of a binary model’s P(positive), from the period’s metrics' },
);

export const LearningReportSchema = Type.Object(
  {
    model: ModelSchema,
    period: Type.Object({ from: DateTime, to: DateTime, label: Type.String({ description: '`7d`, or the range' }), bucket: BucketUnitSchema({ description: 'hour up to 2 days, day up to 60, week beyond' }) }),
    generatedAt: DateTime,
    summary: SummaryPart,
    performance: Type.Object(
      {
        metric: Type.Enum(['accuracy', 'mae'], { description: 'the primary metric: accuracy (classification) or MAE (regression)' }),
        higherIsBetter: Type.Boolean(),
        overall: PerformanceSchema,
        history: HistorySchema,
      },
      { description: 'GET …/performance?groupBy=version over the period, and GET …/performance/history with buckets sized to it' },
    ),
    versionChanges: Type.Array(VersionChangeSchema, { description: 'promotions and rollbacks in the period, oldest first' }),
    errors: Type.Object({ ...ErrorAnalysisSchema.properties, histogram: HistogramSchema }, { description: 'GET …/errors over the period (distribution, normality, bias, systematic errors in `segments`), with a histogram' }),
    drift: DriftPart,
    retraining: Type.Object(
      {
        decision: DecisionSchema,
        requests: Type.Array(RequestSchema, { description: 'requests created or completed in the period, and any still open, newest first, with delivery and candidate' }),
      },
      { description: 'The retrain decision as of now, and the requests of the period' },
    ),
    versions: Type.Array(VersionSchema, { description: 'the model’s versions, newest first (up to 100)' }),
    alerts: Type.Array(AlertSchema, { description: 'alerts of the model seen in the period: open first, then by severity and time (up to 100)' }),
    experiments: Type.Array(ExperimentSchema, { description: 'experiments of the model whose span meets the period' }),
    calibration: CalibrationSchema,
    links: Type.Record(Type.String(), Type.String(), { description: 'the same report as JSON and as a page, and the endpoints behind its parts' }),
  },
  { description: 'The learning report of a model over a period' },
);
