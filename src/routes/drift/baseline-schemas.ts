import { Type } from 'typebox';
import { Features } from '../predictions/schemas.js';
import { DateTime, Nullable, Slug, VersionName } from '../schemas.js';

/** Rows per `application/json` upload; larger baselines are streamed as NDJSON. */
export const BASELINE_JSON_MAX_ROWS = 100_000;

const LabelOrValue = (description: string) =>
  Type.Optional(Type.Unsafe<string | number>({ type: ['string', 'number'], finite: true, minLength: 1, maxLength: 256, description }));

export const BaselineRowSchema = Type.Object(
  {
    features: Features,
    prediction: LabelOrValue('what the model predicted for this training row: a label, or a number (regression)'),
    actual: LabelOrValue('the true label or value'),
  },
  { additionalProperties: false },
);

const ROW_EXAMPLE = { features: { homeElo: 1620.5, restDays: 2, venue: 'TD Garden' }, prediction: 'LAL', actual: 'BOS' };

export const BaselineJsonBody = Type.Object(
  { rows: Type.Array(BaselineRowSchema, { minItems: 1, maxItems: BASELINE_JSON_MAX_ROWS }) },
  { additionalProperties: false, examples: [{ rows: [ROW_EXAMPLE] }] },
);

export const BaselineQuery = Type.Object(
  { version: Type.Optional(VersionName) },
  { additionalProperties: false },
);

export const BaselineSchema = Type.Object(
  {
    model: Slug,
    version: Nullable(Type.String({ description: 'the version the baseline belongs to; null: the model-level baseline of a model without a production version' })),
    rows: Type.Integer(),
    predictions: Type.Integer({ description: 'rows with a prediction (prediction drift against the baseline needs them)' }),
    actuals: Type.Integer({ description: 'rows with an actual (concept drift needs both prediction and actual)' }),
    featureSchema: Type.Record(Type.String(), Type.Enum(['numeric', 'categorical', 'boolean']), { description: 'feature → type inferred over every row' }),
    features: Type.Array(Type.Object({ name: Type.String(), type: Type.Enum(['numeric', 'categorical', 'boolean']), present: Type.Integer(), missingShare: Type.Number() })),
    createdAt: DateTime,
  },
  {
    examples: [
      {
        model: 'nba-game-predictor',
        version: 'v3',
        rows: 50000,
        predictions: 50000,
        actuals: 50000,
        featureSchema: { homeElo: 'numeric', restDays: 'numeric', venue: 'categorical' },
        features: [{ name: 'homeElo', type: 'numeric', present: 50000, missingShare: 0 }],
        createdAt: '2024-10-18T09:00:00.000Z',
      },
    ],
  },
);

export const NDJSON_DESCRIPTION =
  'One JSON object per line, `{"features": {…}, "prediction"?: …, "actual"?: …}`, streamed into the database as it arrives (any size up to 1,000,000 rows; a line up to 1 MiB).';
