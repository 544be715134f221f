import { Type } from 'typebox';
import { DateTime, Nullable, Slug, VersionName, LabelOrNumber } from '../schemas.js';

export const MAX_BATCH_ITEMS = 10_000;

const FeatureValue = Type.Unsafe<number | string | boolean | null>({ type: ['number', 'string', 'boolean', 'null'], maxLength: 4096, finite: true });
const Probability = Type.Number({ minimum: 0, maximum: 1 });
const Source = Type.Union([Type.Literal('ground_truth'), Type.Literal('human')], { description: 'who observed the actual; default ground_truth' });

export const PREDICTION_EXAMPLE = {
  model: 'nba-game-predictor',
  version: 'v3',
  externalId: '2024-10-18-LAL-BOS',
  features: { homeElo: 1620.5, restDays: 2, venue: 'TD Garden' },
  prediction: 'LAL',
  confidence: 0.78,
  probabilities: { LAL: 0.78, BOS: 0.22 },
  predictedAt: '2024-10-18T23:00:00Z',
};

export const OUTCOME_EXAMPLE = { model: 'nba-game-predictor', externalId: '2024-10-18-LAL-BOS', actual: 'BOS', observedAt: '2024-10-19T01:30:00Z' };

export const PredictionId = Type.String({
  pattern: '^[A-Za-z0-9._:~-]{1,128}$',
  description: 'client-chosen id (letters, digits, . _ : ~ -; up to 128); generated (UUIDv7) when absent',
  examples: ['2024-10-18-LAL-BOS-v3'],
});

// additionalProperties rather than Type.Record's patternProperties "^.*$": the same rule without a regex test per key.
export const Features = Type.Object({}, {
  additionalProperties: FeatureValue,
  maxProperties: 1000,
  propertyNames: { minLength: 1, maxLength: 256 },
  description: 'a flat object: numbers, strings (≤ 4096 chars), booleans or null',
  examples: [{ homeElo: 1620.5, restDays: 2, venue: 'TD Garden' }],
});

export const PredictionBodySchema = Type.Object(
  {
    model: Slug,
    version: Type.Optional(VersionName),
    id: Type.Optional(PredictionId),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'your id of the event (e.g. a game id); unique per model' })),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'experiment unit (user, session, …)' })),
    features: Features,
    prediction: Type.Unsafe<string | number>({
      type: ['string', 'number'],
      finite: true,
      minLength: 1,
      maxLength: 256,
      description: 'a label (classification) or a number (regression)',
    }),
    confidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'probability of the predicted label' })),
    probabilities: Type.Optional(
      Type.Record(Type.String(), Probability, { minProperties: 1, maxProperties: 1000, propertyNames: { minLength: 1, maxLength: 256 }, description: 'per label; must sum to 1 (±1e-6)' }),
    ),
    predictedAt: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
    actual: Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'number'], finite: true, minLength: 1, maxLength: 256, description: 'the outcome, when already known (backfill)' })),
    observedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the inline actual was observed; default: now' })),
    source: Type.Optional(Source),
  },
  { additionalProperties: false, examples: [PREDICTION_EXAMPLE] },
);

const LearnedFields = {
  correct: Type.Optional(Type.Boolean({ description: 'classification: prediction == actual' })),
  error: Type.Optional(Type.Number({ description: 'regression: predicted − actual' })),
  absoluteError: Type.Optional(Type.Number()),
  absolutePercentageError: Type.Optional(Nullable(Type.Number({ description: '|error| / |actual| × 100; null when actual is 0' }))),
  labelDelaySeconds: Type.Number({ description: 'observedAt − predictedAt' }),
};

export const OutcomeSchema = Type.Object({
  actual: LabelOrNumber,
  ...LearnedFields,
  source: Source,
  observedAt: DateTime,
  recordedAt: DateTime,
});

export const PredictionSchema = Type.Object(
  {
    id: Type.String(),
    model: Slug,
    version: Nullable(Type.String()),
    externalId: Nullable(Type.String()),
    unit: Nullable(Type.String()),
    features: Type.Record(Type.String(), Type.Any()),
    prediction: LabelOrNumber,
    confidence: Nullable(Type.Number()),
    probabilities: Nullable(Type.Record(Type.String(), Type.Number())),
    predictedAt: DateTime,
    createdAt: DateTime,
    outcome: Nullable(OutcomeSchema),
  },
  {
    examples: [
      {
        id: '0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f',
        model: 'nba-game-predictor',
        version: 'v3',
        externalId: '2024-10-18-LAL-BOS',
        unit: null,
        features: { homeElo: 1620.5, restDays: 2, venue: 'TD Garden' },
        prediction: 'LAL',
        confidence: 0.78,
        probabilities: { LAL: 0.78, BOS: 0.22 },
        predictedAt: '2024-10-18T23:00:00.000Z',
        createdAt: '2024-10-18T23:00:00.120Z',
        outcome: { actual: 'BOS', correct: false, labelDelaySeconds: 9000, source: 'ground_truth', observedAt: '2024-10-19T01:30:00.000Z', recordedAt: '2024-10-19T01:30:02.000Z' },
      },
    ],
  },
);

export const RecordedOutcomeSchema = Type.Object(
  {
    predictionId: Type.String(),
    model: Slug,
    version: Nullable(Type.String()),
    prediction: LabelOrNumber,
    actual: LabelOrNumber,
    ...LearnedFields,
    source: Source,
    observedAt: DateTime,
    recordedAt: DateTime,
  },
  {
    examples: [
      {
        predictionId: '0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f',
        model: 'nba-game-predictor',
        version: 'v3',
        prediction: 'LAL',
        actual: 'BOS',
        correct: false,
        labelDelaySeconds: 9000,
        source: 'ground_truth',
        observedAt: '2024-10-19T01:30:00.000Z',
        recordedAt: '2024-10-19T01:30:02.000Z',
      },
    ],
  },
);

export const OutcomeBodySchema = Type.Object(
  {
    predictionId: Type.Optional(PredictionId),
    model: Type.Optional(Slug),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    actual: Type.Unsafe<string | number>({ type: ['string', 'number'], finite: true, minLength: 1, maxLength: 256, description: 'a label (classification) or a number (regression)' }),
    observedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the outcome happened; default: now' })),
    source: Type.Optional(Source),
  },
  {
    additionalProperties: false,
    description: 'Name the prediction by `predictionId`, or by `model` + `externalId`.',
    examples: [
      OUTCOME_EXAMPLE,
      { predictionId: '0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f', actual: 'BOS', source: 'human' },
    ],
  },
);

const ItemStatus = Type.Union([Type.Literal('created'), Type.Literal('duplicate'), Type.Literal('failed')]);

export const BatchResultSchema = Type.Object({
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      status: ItemStatus,
      id: Type.Optional(Type.String({ description: 'the prediction id (created or duplicate)' })),
      error: Type.Optional(Type.Record(Type.String(), Type.Any(), { description: 'problem details of a failed item' })),
    }),
  ),
  created: Type.Integer(),
  duplicates: Type.Integer(),
  failed: Type.Integer(),
});

export const batchBody = <T extends object>(item: T, example: unknown) =>
  Type.Object(
    { items: Type.Array(item as never, { minItems: 1, maxItems: MAX_BATCH_ITEMS }) },
    { additionalProperties: false, examples: [{ items: [example] }] },
  );

export const ListPredictionsQuery = Type.Object(
  {
    from: Type.Optional(DateTime),
    to: Type.Optional(DateTime),
    version: Type.Optional(VersionName),
    labeled: Type.Optional(Type.Boolean({ description: 'true: only predictions with an outcome; false: only without' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
