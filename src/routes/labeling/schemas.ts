import { Type } from 'typebox';
import { STRATEGIES } from '../../domain/uncertainty.js';
import { PredictionId } from '../predictions/schemas.js';
import { Cursor, DateTime, Nullable, Slug, VersionName } from '../schemas.js';

const Strategy = Type.Enum([...STRATEGIES], {
  default: 'least_confidence',
  description:
    '`least_confidence` = 1 − max p; `margin` = 1 − (p₁ − p₂), the two largest probabilities; `entropy` = −Σ p ln p / ln K (normalised to [0, 1], K = the model’s label count). ' +
    'Binary models use P(positive); multiclass ones their `probabilities`. Multiclass predictions with only a confidence are scored by least confidence, and under margin or entropy come after every scored prediction (ranked by least confidence, uncertainty null).',
});

export const QueueQuery = Type.Object(
  {
    strategy: Strategy,
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'page size' }),
    cursor: Type.Optional(Cursor),
    window: Type.Optional(Type.String({ maxLength: 16, description: 'predictedAt within this duration ending now (default 30d); or from + to' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'start of [from, to); needs to' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'end (exclusive); needs from' })),
    version: Type.Optional(VersionName),
  },
  { additionalProperties: false },
);

const QueueItem = Type.Object({
  id: Type.String(),
  externalId: Nullable(Type.String()),
  version: Nullable(Type.String()),
  unit: Nullable(Type.String()),
  features: Type.Record(Type.String(), Type.Any()),
  prediction: Type.String(),
  confidence: Nullable(Type.Number()),
  probabilities: Nullable(Type.Record(Type.String(), Type.Number())),
  predictedAt: DateTime,
  uncertainty: Nullable(Type.Number({ description: 'the strategy’s score in [0, 1]; null when the prediction carries too little to compute it' })),
  rankedBy: Type.Enum(['least_confidence', 'margin', 'entropy', 'recency'], {
    description: 'what placed it: the strategy; least_confidence for predictions with a confidence only; recency (last) for predictions with neither confidence nor probabilities',
  }),
});

const ITEM_EXAMPLE = {
  id: '0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f',
  externalId: '2024-10-18-LAL-BOS',
  version: 'v3',
  unit: null,
  features: { homeElo: 1620.5, restDays: 2, venue: 'TD Garden' },
  prediction: 'LAL',
  confidence: 0.52,
  probabilities: { LAL: 0.52, BOS: 0.48 },
  predictedAt: '2024-10-18T23:00:00.000Z',
  uncertainty: 0.48,
  rankedBy: 'least_confidence',
};

export const QueueSchema = Type.Object(
  {
    model: Slug,
    strategy: Type.Enum([...STRATEGIES]),
    window: Type.Object({ from: DateTime, to: DateTime }),
    filters: Type.Object({ version: Nullable(Type.String()) }),
    size: Type.Integer({ description: 'unlabeled, unclaimed predictions in the window: the whole queue' }),
    claimed: Type.Integer({ description: 'unlabeled predictions in the window held by a live claim (not listed)' }),
    items: Type.Array(QueueItem, { description: 'most uncertain first' }),
    nextCursor: Nullable(Type.String()),
  },
  {
    examples: [
      { model: 'nba-game-predictor', strategy: 'least_confidence', window: { from: '2024-09-18T23:00:00.000Z', to: '2024-10-18T23:00:00.000Z' }, filters: { version: null }, size: 312, claimed: 20, items: [ITEM_EXAMPLE], nextCursor: null },
    ],
  },
);

export const ClaimBody = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'claim the N most uncertain free predictions (by strategy, window, version)' })),
    predictionIds: Type.Optional(Type.Array(PredictionId, { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'or claim exactly these (all or nothing: 409 when any is labeled or claimed)' })),
    claimant: Type.String({ minLength: 1, maxLength: 200, description: 'who labels them' }),
    ttlSeconds: Type.Integer({ minimum: 1, maximum: 7 * 86_400, default: 900, description: 'how long the claim holds; default 900 (15 min)' }),
    strategy: Strategy,
    window: Type.Optional(Type.String({ maxLength: 16, description: 'with count: predictedAt within this duration ending now (default 30d)' })),
    version: Type.Optional(VersionName),
  },
  { additionalProperties: false, examples: [{ count: 10, claimant: 'alice', ttlSeconds: 900, strategy: 'entropy' }] },
);

export const ClaimSchema = Type.Object(
  {
    id: Nullable(Type.String({ format: 'uuid', description: 'null when nothing could be claimed (the queue is empty)' })),
    model: Slug,
    claimant: Type.String(),
    claimedAt: Nullable(DateTime),
    expiresAt: Nullable(DateTime),
    strategy: Type.Enum([...STRATEGIES]),
    items: Type.Array(QueueItem),
  },
  {
    examples: [
      { id: '0192f6c5-0000-7000-8000-000000000001', model: 'nba-game-predictor', claimant: 'alice', claimedAt: '2024-10-19T09:00:00.000Z', expiresAt: '2024-10-19T09:15:00.000Z', strategy: 'least_confidence', items: [ITEM_EXAMPLE] },
    ],
  },
);

export const ClaimParams = Type.Object({ model: Slug, id: Type.String({ maxLength: 64, description: 'the claim id' }) }, { additionalProperties: false });
