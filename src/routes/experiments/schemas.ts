import { Type } from 'typebox';
import { EXPERIMENT_METRICS } from '../../domain/experiment-metrics.js';
import { TransitionSchema } from '../versions/schemas.js';
import { DateTime, Limit, Cursor, Nullable, Slug, VersionName } from '../schemas.js';

const Metric = Type.Enum([...EXPERIMENT_METRICS], {
  description: 'classification: `accuracy` (two-proportion z-test on correctness); regression: `mae` (Welch t-test on absolute errors), `rmse` (on squared errors) or `mape` (on absolute percentage errors). Default: accuracy / mae',
});
const Mode = Type.Enum(['fixed', 'sequential'], {
  description:
    '`sequential` (default): mSPRT, always-valid p-values and confidence sequences; read the results as often as you like and stop when there is a winner. ' +
    '`fixed`: classic fixed-horizon test, more power at a planned end but only valid read once: needs endsAt or duration, and decides no winner before the end',
});
const Status = Type.Enum(['running', 'concluded']);
const ExperimentId = Type.String({ format: 'uuid', description: 'the experiment id', examples: ['0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f'] });
export const ExperimentParams = Type.Object({ id: ExperimentId }, { additionalProperties: false });
const Confidence = Type.Number({ exclusiveMinimum: 0.5, exclusiveMaximum: 1, description: 'default 0.95: a winner needs p < 1 − confidence' });

export const CreateExperimentBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$', description: 'unique' }),
    model: Slug,
    arms: Type.Array(
      Type.Object(
        {
          version: VersionName,
          weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'share of units, relative to the other arms (normalised); default 1' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 2, maxItems: 10, description: 'distinct registered versions of the model; the first is the control' },
    ),
    metric: Type.Optional(Metric),
    minSamplesPerArm: Type.Optional(Type.Integer({ minimum: 2, maximum: 100_000_000, description: 'labeled predictions every arm needs before a winner can be declared; default 30' })),
    confidence: Type.Optional(Confidence),
    mode: Type.Optional(Mode),
    tau: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 10, description: 'sequential mode: the mSPRT mixing standard deviation, as an effect size in standard deviations of the metric (Cohen’s d); default 0.1' }),
    ),
    outcomeSource: Type.Optional(
      Type.Enum(['any', 'ground_truth', 'human'], { description: 'which outcomes count; default any. Human labels from the labeling queue are not a random sample: prefer ground_truth when you have it' }),
    ),
    startsAt: Type.Optional(Type.String({ format: 'date-time', description: 'default now; predictions before it do not count' })),
    endsAt: Type.Optional(Type.String({ format: 'date-time', description: 'predictions from then on do not count; required in fixed mode (or duration)' })),
    duration: Type.Optional(Type.String({ maxLength: 16, description: 'instead of endsAt: `<n>` + m|h|d|w after startsAt, e.g. 14d' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'nba-v4-vs-v3', model: 'nba-game-predictor', arms: [{ version: 'v3', weight: 1 }, { version: 'v4', weight: 1 }], metric: 'accuracy', mode: 'sequential' },
      { name: 'eta-v8-fixed', model: 'delivery-eta', arms: [{ version: 'v7' }, { version: 'v8' }], metric: 'mae', mode: 'fixed', duration: '14d', minSamplesPerArm: 200 },
    ],
  },
);

const EXPERIMENT_EXAMPLE = {
  id: '0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f',
  name: 'nba-v4-vs-v3',
  model: 'nba-game-predictor',
  task: 'binary',
  metric: 'accuracy',
  mode: 'sequential',
  arms: [{ version: 'v3', weight: 0.5 }, { version: 'v4', weight: 0.5 }],
  minSamplesPerArm: 30,
  confidence: 0.95,
  tau: 0.1,
  outcomeSource: 'any',
  description: null,
  status: 'running',
  startsAt: '2024-10-18T00:00:00.000Z',
  endsAt: null,
  concludedAt: null,
  winner: null,
  createdAt: '2024-10-18T00:00:00.000Z',
};

export const ExperimentSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    model: Slug,
    task: Type.Enum(['binary', 'multiclass', 'regression']),
    metric: Metric,
    mode: Mode,
    arms: Type.Array(Type.Object({ version: Type.String(), weight: Type.Number({ description: 'normalised: the weights sum to 1' }) }), { description: 'the first is the control' }),
    minSamplesPerArm: Type.Integer(),
    confidence: Type.Number(),
    tau: Nullable(Type.Number({ description: 'sequential mode only' })),
    outcomeSource: Type.Enum(['any', 'ground_truth', 'human']),
    description: Nullable(Type.String()),
    status: Status,
    startsAt: DateTime,
    endsAt: Nullable(DateTime),
    concludedAt: Nullable(DateTime),
    winner: Nullable(Type.String({ description: 'set when concluded with a winner' })),
    createdAt: DateTime,
  },
  { examples: [EXPERIMENT_EXAMPLE] },
);

export const ListExperimentsQuery = Type.Object(
  { model: Type.Optional(Slug), status: Type.Optional(Status), limit: Limit, cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

export const AssignmentQuery = Type.Object(
  { unit: Type.String({ minLength: 1, maxLength: 256, description: 'the experiment unit (user, session, …), as logged with the predictions', examples: ['user-42'] }) },
  { additionalProperties: false },
);

export const AssignmentSchema = Type.Object(
  {
    experiment: Type.String({ format: 'uuid' }),
    model: Slug,
    unit: Type.String(),
    version: Type.String({ description: 'the version to serve this unit (and to log its predictions with, with `unit`)' }),
    arm: Type.Integer({ description: 'index in arms; 0 is the control' }),
    control: Type.Boolean(),
    status: Status,
    point: Type.Number({ description: 'the unit’s point u in [0, 1): the first 53 bits of SHA-256("<experiment id>:<unit>") / 2^53; the arm is the first whose cumulative weight exceeds u' }),
  },
  {
    examples: [{ experiment: '0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f', model: 'nba-game-predictor', unit: 'user-42', version: 'v4', arm: 1, control: false, status: 'running', point: 0.7316 }],
  },
);

const NullableNumber = (description: string) => Nullable(Type.Number({ description }));

const ComparisonSchema = Type.Object({
  version: Type.String(),
  control: Type.String(),
  test: Type.Enum(['two-proportion-z', 'welch-t', 'msprt-normal-mixture']),
  difference: NullableNumber('treatment − control of the metric’s per-prediction quantity (accuracy, absolute error, squared error, APE); at the latest look in sequential mode'),
  standardError: NullableNumber('of the difference (pooled for the z-test)'),
  statistic: NullableNumber('z (two-proportion), t (Welch), or the mixture likelihood ratio Λ at the latest look (mSPRT)'),
  df: NullableNumber('Welch–Satterthwaite degrees of freedom (Welch only)'),
  pValue: NullableNumber('two-sided p; in sequential mode the always-valid p-value (running minimum of 1/Λ over the daily looks)'),
  adjustedPValue: NullableNumber('Holm-adjusted over the comparisons (equal to pValue with two arms)'),
  confidenceInterval: Nullable(
    Type.Object(
      { level: Type.Number(), lower: Type.Number(), upper: Type.Number() },
      { description: 'of the difference: Welch t interval, Wald interval of two proportions, or (sequential) the confidence sequence, intersected over the looks; not adjusted for multiple arms' },
    ),
  ),
  looks: Nullable(Type.Integer({ description: 'sequential mode: daily looks with enough data' })),
  significant: Type.Boolean({ description: 'adjustedPValue < 1 − confidence' }),
  better: Nullable(Type.Enum(['treatment', 'control'], { description: 'which side is better, when significant' })),
  note: Nullable(Type.String({ description: 'why no test could be run, or what is special about it' })),
});

const ArmResultSchema = Type.Object({
  version: Type.String(),
  weight: Type.Number(),
  control: Type.Boolean(),
  predictions: Type.Integer({ description: 'predictions of the version in the span that carry a unit' }),
  units: Type.Integer({ description: 'distinct units among them (what the SRM check counts)' }),
  misassigned: Type.Integer({ description: 'of those predictions, how many come from units the assignment sends to another arm' }),
  n: Type.Integer({ description: 'labeled predictions the test runs on (for mape: with actual ≠ 0)' }),
  humanLabeled: Type.Integer({ description: 'of the labeled, how many by humans' }),
  value: NullableNumber('the experiment’s metric for the arm'),
  metrics: Type.Record(Type.String(), Nullable(Type.Number()), { description: 'accuracy; or mae, rmse, mape, mapeCount, meanError' }),
});

const SrmSchema = Type.Object(
  {
    test: Type.Literal('chi-square-goodness-of-fit'),
    unit: Type.Literal('units'),
    observed: Type.Array(Type.Number(), { description: 'distinct units per arm' }),
    expected: Type.Array(Type.Number(), { description: 'total units × weight' }),
    statistic: NullableNumber('Σ (observed − expected)² / expected'),
    df: Type.Integer(),
    pValue: NullableNumber('χ² upper tail'),
    threshold: Type.Number({ description: '0.001' }),
    detected: Type.Boolean({ description: 'p < threshold: the split is broken and no winner is declared' }),
    note: Nullable(Type.String()),
  },
  { description: 'sample-ratio-mismatch check: do the units per arm follow the weights?' },
);

export const ResultsSchema = Type.Object(
  {
    experiment: Type.Object({
      id: Type.String(),
      name: Type.String(),
      model: Slug,
      metric: Metric,
      mode: Mode,
      status: Status,
      confidence: Type.Number(),
      minSamplesPerArm: Type.Integer(),
    }),
    span: Type.Object({ from: DateTime, to: Nullable(DateTime) }, { description: 'predictedAt range counted: [startsAt, endsAt)' }),
    computedAt: DateTime,
    frozen: Type.Boolean({ description: 'true once concluded: the results as they were then' }),
    arms: Type.Array(ArmResultSchema),
    test: Type.Object({
      name: Type.Enum(['two-proportion-z', 'welch-t', 'msprt-normal-mixture']),
      quantity: Type.String({ description: 'the per-prediction quantity whose means are compared' }),
      correction: Type.Enum(['holm', 'none'], { description: 'holm with more than two arms: each arm against the control, Holm–Bonferroni adjusted' }),
      sequential: Nullable(Type.Object({ method: Type.String(), reference: Type.String(), tau: Type.Number(), looks: Type.String() })),
    }),
    comparisons: Type.Array(ComparisonSchema, { description: 'each arm against the control (arm 0)' }),
    srm: SrmSchema,
    winner: Nullable(Type.String({ description: 'the better version, when every arm has minSamplesPerArm, the split is sound, the test is significant (and, in fixed mode, the experiment has ended)' })),
    reason: Type.String({ description: 'why there is a winner, or why not' }),
    warnings: Type.Array(Type.String()),
  },
  {
    examples: [
      {
        experiment: { id: '0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f', name: 'nba-v4-vs-v3', model: 'nba-game-predictor', metric: 'accuracy', mode: 'sequential', status: 'running', confidence: 0.95, minSamplesPerArm: 30 },
        span: { from: '2024-10-18T00:00:00.000Z', to: null },
        computedAt: '2024-11-01T08:00:00.000Z',
        frozen: false,
        arms: [
          { version: 'v3', weight: 0.5, control: true, predictions: 1210, units: 1210, misassigned: 0, n: 1180, humanLabeled: 0, value: 0.652, metrics: { accuracy: 0.652 } },
          { version: 'v4', weight: 0.5, control: false, predictions: 1195, units: 1195, misassigned: 0, n: 1170, humanLabeled: 0, value: 0.711, metrics: { accuracy: 0.711 } },
        ],
        test: {
          name: 'msprt-normal-mixture',
          quantity: 'correct (1) or not (0): the difference of accuracies',
          correction: 'none',
          sequential: { method: 'mSPRT with a normal mixture (always-valid p-value, confidence sequence)', reference: 'Johari, Koomen, Pekelis & Walsh, KDD 2017', tau: 0.1, looks: 'daily' },
        },
        comparisons: [
          {
            version: 'v4',
            control: 'v3',
            test: 'msprt-normal-mixture',
            difference: 0.059,
            standardError: 0.0193,
            statistic: 61.2,
            df: null,
            pValue: 0.0163,
            adjustedPValue: 0.0163,
            confidenceInterval: { level: 0.95, lower: 0.004, upper: 0.113 },
            looks: 14,
            significant: true,
            better: 'treatment',
            note: null,
          },
        ],
        srm: { test: 'chi-square-goodness-of-fit', unit: 'units', observed: [1210, 1195], expected: [1202.5, 1202.5], statistic: 0.094, df: 1, pValue: 0.76, threshold: 0.001, detected: false, note: null },
        winner: 'v4',
        reason: 'v4 has higher accuracy than control v3 (difference 0.059, always-valid p = 0.0163 < 0.05)',
        warnings: [],
      },
    ],
  },
);

export const ConcludeBody = Type.Object(
  {
    promote: Type.Optional(Type.Boolean({ description: 'also promote the winner to production (409 when there is none; then nothing changes)' })),
    reason: Type.Optional(Type.String({ maxLength: 2000, description: 'recorded with the promotion' })),
  },
  { additionalProperties: false, examples: [{ promote: true }] },
);

export const ConclusionSchema = Type.Object({
  experiment: ExperimentSchema,
  results: ResultsSchema,
  promotion: Nullable(TransitionSchema),
});
