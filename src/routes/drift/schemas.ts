import { Type } from 'typebox';
import { CORRECTIONS } from '../../domain/drift/column-drift.js';
import { DRIFT_METHODS } from '../../domain/drift/methods.js';
import { SEVERITIES } from '../../domain/drift/severity.js';
import { SampleSchema } from '../performance/common-schemas.js';
import { DateTime, LabelOrNumber, Nullable, Slug } from '../schemas.js';

const Num = (description: string) => Type.Number({ description });
const NullableNum = (description: string) => Nullable(Type.Number({ description }));
export const SeveritySchema = Type.Enum([...SEVERITIES], { description: 'none < low < medium < high < critical (rule `hindsight-drift-severity` v1, see the README)' });

// Every window parameter is optional and has no example: Swagger UI would pre-fill them all, and a mix of forms is a 400.
export const DriftQueryProperties = {
  reference: Type.Optional(
    Type.String({
      maxLength: 16,
      description: 'The reference: a duration (`<n>` + m, h, d or w) ending where the current window starts — default `30d` — or `baseline`, the training baseline uploaded for the version (PUT …/baseline)',
    }),
  ),
  current: Type.Optional(Type.String({ maxLength: 16, description: 'The current window: a duration ending now, default `7d`' })),
  referenceFrom: Type.Optional(Type.String({ format: 'date-time', description: 'Start of the reference range [referenceFrom, referenceTo) of predictedAt; needs referenceTo' })),
  referenceTo: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive) of the reference range' })),
  currentFrom: Type.Optional(Type.String({ format: 'date-time', description: 'Start of the current range [currentFrom, currentTo); needs currentTo' })),
  currentTo: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive) of the current range' })),
  version: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Only this version’s predictions in both windows, and its baseline with reference=baseline (422 when unknown)' })),
  method: Type.Optional(Type.Enum([...DRIFT_METHODS], { description: 'Force one test for every feature and output (where it applies; otherwise the default is kept and `details.methodNote` says why). Default: Evidently’s rule by type and reference size' })),
  threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'Threshold of the forced `method` (p-value tests: drift when the adjusted p < threshold; distances: when the statistic ≥ threshold). Needs `method`' })),
  logBase: Type.Optional(Type.Enum(['e', '2'], { description: 'Log base of Jensen–Shannon: `e` (Evidently’s, default) or `2` (a distance in [0, 1]); the threshold stays 0.1' })),
  correction: Type.Optional(Type.Enum([...CORRECTIONS], { description: 'Multiple-testing correction of the p-value tests; default benjamini-hochberg' })),
};

export const DriftQuerySchema = Type.Object(DriftQueryProperties, { additionalProperties: false });

const BinningSchema = Type.Object(
  {
    kind: Type.Enum(['sturges', 'categorical'], { description: 'sturges: numpy’s Sturges edges over reference ∪ current (numeric features with more than 20 distinct reference values); categorical: one bin per value' }),
    bins: Type.Integer(),
    edges: Nullable(Type.Array(Type.Number(), { description: 'bins are [edge_i, edge_i+1), the last one closed' })),
    categories: Nullable(Type.Array(LabelOrNumber)),
    referencePercents: Type.Array(Type.Number(), { description: 'share of the reference in each bin (PSI: after zero filling)' }),
    currentPercents: Type.Array(Type.Number()),
    omittedBins: Type.Integer({ description: 'bins not listed (only the 50 most populated are; the test used all)' }),
  },
  { description: 'The binning of Evidently 0.4.x get_binned_data' },
);

const Shares = (description: string) => Type.Object({ reference: Type.Number(), current: Type.Number() }, { description });

const DetailsSchema = Type.Object(
  {
    referenceCount: Type.Integer({ description: 'values compared in the reference (present and of the feature’s type)' }),
    currentCount: Type.Integer(),
    missing: Shares('share of rows where the feature is missing, null, or (numeric features) not a number'),
    typeMismatches: Type.Optional(Type.Object({ reference: Type.Integer(), current: Type.Integer(), note: Type.String() })),
    distinct: Type.Optional(Type.Object({ reference: Type.Integer(), current: Type.Integer() })),
    unseenCategories: Type.Optional(
      Type.Array(Type.Object({ value: Type.String(), count: Type.Integer(), currentShare: Type.Number() }), { description: 'values of the current window the reference never had (20 most frequent)' }),
    ),
    unseenCategoryCount: Type.Optional(Type.Integer()),
    unseenShare: Type.Optional(Type.Number({ description: 'share of the current window taken by unseen values' })),
    vanishedCategories: Type.Optional(Type.Array(Type.Object({ value: Type.String(), count: Type.Integer(), referenceShare: Type.Number() }), { description: 'reference values absent from the current window' })),
    methodChosenBy: Type.Optional(Type.Enum(['request', 'evidently-default'])),
    methodNote: Type.Optional(Type.String({ description: 'why a forced method was not used for this feature' })),
    pValueMethod: Type.Optional(Type.Enum(['exact', 'asymp'], { description: 'KS: the p-value scipy’s ks_2samp(method="auto") uses — exact up to 10,000 values per side' })),
    statisticLocation: Type.Optional(Num('KS: where the ECDFs differ most')),
    distance: Type.Optional(Num('Wasserstein: the raw distance (scipy.stats.wasserstein_distance)')),
    referenceStd: Type.Optional(Num('Wasserstein: std of the reference (ddof 0)')),
    normalizer: Type.Optional(Num('Wasserstein: max(referenceStd, 0.001); statistic = distance / normalizer')),
    statisticNote: Type.Optional(Type.String()),
    pValueNote: Type.Optional(Type.String()),
    logBase: Type.Optional(Type.Enum(['e', '2'])),
    epsilon: Type.Optional(
      Nullable(
        Type.Object(
          { reference: NullableNum('value empty reference bins were replaced with (null: none was empty)'), current: NullableNum('same for the current window'), rule: Type.String() },
          { description: 'PSI’s zero filling' },
        ),
      ),
    ),
    binning: Type.Optional(Nullable(BinningSchema)),
  },
  { description: 'How the result was obtained: counts, missing values, categories, binning, epsilon, log base, p-value method' },
);

const ColumnProperties = {
  type: Type.Enum(['numeric', 'categorical', 'boolean'], { description: 'inferred from the reference: numeric when every value is a number, boolean when every value is a boolean, else categorical' }),
  status: Type.Enum(['tested', 'missing_in_current', 'missing_in_reference', 'not_tested'], { description: 'missing_in_current: the feature disappeared (drifted, high); missing_in_reference: it is new (drifted, low)' }),
  method: Nullable(Type.Enum([...DRIFT_METHODS])),
  statistic: NullableNum('KS D, χ² statistic, z, PSI, normalised Wasserstein distance or Jensen–Shannon distance; null when not tested or infinite'),
  pValue: NullableNum('p-value of ks, chi2 and z (scipy’s), before correction; null for distances'),
  adjustedPValue: NullableNum('the p-value after the multiple-testing correction (see `correction`)'),
  threshold: NullableNum('p-value tests: drift when adjustedPValue < threshold (0.05); distances: when statistic ≥ threshold (0.1)'),
  drifted: Type.Boolean(),
  severity: SeveritySchema,
  effectSize: Nullable(Type.Object({ measure: Type.Literal('psi'), value: Type.Number() }, { description: 'PSI (Evidently 0.4.x) between the windows: the effect size behind the severity' })),
  reasons: Type.Array(Type.String(), { description: 'why it counts as drifted, or why it was not tested' }),
  details: DetailsSchema,
};

const ShiftSchema = Nullable(
  Type.Object(
    { measure: Type.String(), reference: Type.Number(), current: Type.Number(), difference: Num('current − reference'), changePercent: NullableNum('difference / |reference| × 100') },
    { description: 'How the output moved on average' },
  ),
);

const WindowSideSchema = Type.Object({
  kind: Type.Enum(['window', 'baseline']),
  from: Nullable(DateTime),
  to: Nullable(DateTime),
  version: Nullable(Type.String()),
  baselineCreatedAt: Nullable(DateTime),
  rows: Type.Integer({ description: 'predictions in the window (rows of the baseline)' }),
  labeled: Type.Integer({ description: 'of them with an outcome (baseline: with both prediction and actual)' }),
  sample: SampleSchema,
});

const ConceptSchema = Type.Object(
  {
    test: Type.Enum(['two-proportion-z', 'welch-t']),
    metric: Type.Enum(['accuracy', 'mae']),
    higherIsBetter: Type.Boolean(),
    reference: Type.Object({ n: Type.Integer(), mean: Num('accuracy (share correct) or mean absolute error') }),
    current: Type.Object({ n: Type.Integer(), mean: Type.Number() }),
    change: Num('current − reference'),
    changePercent: NullableNum('change / |reference| × 100'),
    statistic: NullableNum('z or t, positive when the current mean is higher'),
    pValue: NullableNum('two-sided'),
    df: NullableNum('Welch–Satterthwaite degrees of freedom'),
    alpha: Type.Number(),
    direction: Type.Enum(['degraded', 'improved', 'unchanged'], { description: 'unchanged unless p < alpha' }),
    drifted: Type.Boolean(),
    severity: SeveritySchema,
    bias: Nullable(
      Type.Object(
        { test: Type.Literal('welch-t'), referenceMean: Type.Number(), currentMean: Type.Number(), statistic: NullableNum(''), pValue: NullableNum('') },
        { description: 'regression: the signed errors (predicted − actual) tested the same way' },
      ),
    ),
  },
  { description: 'Concept drift from the outcomes: classification — pooled two-proportion z-test on correctness; regression — Welch’s t-test on absolute errors. Null (reason in `undefined.concept`) without labels in both windows' },
);

export const StreamSchema = Type.Object(
  {
    detector: Type.Enum(['ddm', 'page-hinkley']),
    version: Nullable(Type.String({ description: 'the version whose outcome stream this is (the production version when none was asked for)' })),
    status: Type.Enum(['stable', 'warning', 'drift']),
    samples: Type.Integer({ description: 'outcomes in the detector’s current run (it restarts after a drift)' }),
    totalSamples: Type.Integer(),
    since: Nullable(DateTime),
    statusSince: Nullable(DateTime),
    lastOutcomeAt: Nullable(DateTime),
    statistic: Nullable(Type.Object({ name: Type.String(), value: Type.Number() })),
    lastDrift: Nullable(Type.Object({ detectedAt: DateTime, samples: Type.Integer() })),
    driftCount: Type.Integer(),
    upToDate: Type.Boolean({ description: 'false when outcomes were still being read when the response was made' }),
    parameters: Type.Record(Type.String(), Type.Unsafe<string | number>({ type: ['string', 'number'] })),
  },
  { description: 'The streaming concept-drift detector on the outcomes, in arrival order: DDM (classification) or Page–Hinkley (regression)' },
);

export const SummarySchema = Type.Object({
  severity: SeveritySchema,
  driftedFeatures: Type.Array(Type.String()),
  driftedCount: Type.Integer(),
  featureCount: Type.Integer(),
  share: Num('driftedCount / featureCount'),
  kinds: Type.Array(Type.Enum(['data', 'prediction', 'concept']), { description: 'what drifted between the windows' }),
  levels: Type.Object(
    { data: SeveritySchema, prediction: SeveritySchema, concept: Nullable(SeveritySchema) },
    { description: 'the severity of each kind; `severity` combines them (the streaming detector is reported in `stream`, not rated here)' },
  ),
  recommendation: Type.String({ description: 'what to do, in words (mentions a drift or warning of the streaming detector too)' }),
});

export const REPORT_EXAMPLE = {
  model: 'nba-game-predictor',
  task: 'binary',
  version: null,
  reference: { kind: 'window', from: '2024-09-11T00:00:00.000Z', to: '2024-10-11T00:00:00.000Z', version: null, baselineCreatedAt: null, rows: 1210, labeled: 1180, sample: { rule: 'all predictions', size: 1210, population: 1210 } },
  current: { kind: 'window', from: '2024-10-11T00:00:00.000Z', to: '2024-10-18T00:00:00.000Z', version: null, baselineCreatedAt: null, rows: 290, labeled: 270, sample: { rule: 'all predictions', size: 290, population: 290 } },
  features: [
    {
      feature: 'homeElo',
      type: 'numeric',
      status: 'tested',
      method: 'wasserstein',
      statistic: 0.41,
      pValue: null,
      adjustedPValue: null,
      threshold: 0.1,
      drifted: true,
      severity: 'high',
      effectSize: { measure: 'psi', value: 0.38 },
      reasons: ['wasserstein 0.41 ≥ 0.1'],
      details: { referenceCount: 1210, currentCount: 290, missing: { reference: 0, current: 0 }, methodChosenBy: 'evidently-default', distance: 41.2, referenceStd: 100.5, normalizer: 100.5, binning: null },
    },
  ],
  skippedFeatures: [],
  prediction: { drifted: false, severity: 'none', meanShift: { measure: 'mean', reference: 0.52, current: 0.55, difference: 0.03, changePercent: 5.8 }, outputs: [] },
  concept: {
    test: 'two-proportion-z',
    metric: 'accuracy',
    higherIsBetter: true,
    reference: { n: 1180, mean: 0.68 },
    current: { n: 270, mean: 0.59 },
    change: -0.09,
    changePercent: -13.2,
    statistic: -2.8,
    pValue: 0.005,
    df: null,
    alpha: 0.05,
    direction: 'degraded',
    drifted: true,
    severity: 'high',
    bias: null,
  },
  stream: { detector: 'ddm', version: 'v3', status: 'warning', samples: 412, totalSamples: 1450, since: '2024-09-11T02:00:00.000Z', statusSince: '2024-10-16T20:00:00.000Z', lastOutcomeAt: '2024-10-17T23:10:00.000Z', statistic: { name: 'error rate of the run', value: 0.36 }, lastDrift: null, driftCount: 0, upToDate: true, parameters: { warmStart: 30, warningThreshold: 2, driftThreshold: 3 } },
  summary: { severity: 'critical', driftedFeatures: ['homeElo'], driftedCount: 1, featureCount: 3, share: 0.333, kinds: ['data', 'concept'], levels: { data: 'high', prediction: 'none', concept: 'high' }, recommendation: '1 of 3 features drifted: homeElo (high). Live accuracy got worse: 68.0% → 59.0% (−13.2%), p = 5.00e-3. Retrain now …' },
  correction: { method: 'benjamini-hochberg', alpha: 'each test’s threshold (0.05 by default)', appliedTo: 'the p-values of ks, chi2 and z', featureTests: 0, outputTests: 1 },
  severityRule: { name: 'hindsight-drift-severity', version: '1' },
  undefined: {},
  computedAt: '2024-10-18T00:00:01.000Z',
  durationMs: 85,
};

export const DriftReportProperties = {
  model: Slug,
  task: Type.Enum(['binary', 'multiclass', 'regression']),
  version: Nullable(Type.String({ description: 'the version filter, if any' })),
  reference: WindowSideSchema,
  current: WindowSideSchema,
  features: Type.Array(Type.Object({ feature: Type.String(), ...ColumnProperties }), { description: 'every feature seen in either window, the most severe first' }),
  skippedFeatures: Type.Array(Type.String(), { description: 'features beyond the 100 most often present, not compared' }),
  prediction: Nullable(
    Type.Object(
      {
        drifted: Type.Boolean(),
        severity: SeveritySchema,
        meanShift: ShiftSchema,
        outputs: Type.Array(Type.Object({ output: Type.String({ description: 'value (regression), label, pPositive (binary), probability:<label> (multiclass)' }), ...ColumnProperties, shift: ShiftSchema })),
      },
      { description: 'Drift of the model’s outputs, tested like the features' },
    ),
  ),
  concept: Nullable(ConceptSchema),
  stream: StreamSchema,
  summary: SummarySchema,
  correction: Type.Object({
    method: Type.Enum([...CORRECTIONS]),
    alpha: Type.String(),
    appliedTo: Type.String(),
    featureTests: Type.Integer({ description: 'feature p-values corrected together' }),
    outputTests: Type.Integer({ description: 'output p-values corrected together' }),
  }),
  severityRule: Type.Object({ name: Type.String(), version: Type.String() }, { description: 'the rule the severities follow (README, “Drift”)' }),
  undefined: Type.Record(Type.String(), Type.String(), { description: 'why a part is missing (features, prediction, concept), by part' }),
  computedAt: DateTime,
  durationMs: Type.Integer(),
};

export const DriftReportSchema = Type.Object(DriftReportProperties, { examples: [REPORT_EXAMPLE] });
