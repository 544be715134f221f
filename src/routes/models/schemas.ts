import { Type } from 'typebox';
import { DateTime, Nullable, Slug, VersionName } from '../schemas.js';

const Label = Type.String({ minLength: 1, maxLength: 256 });

export const ModelSchema = Type.Object(
  {
    name: Slug,
    task: Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')]),
    labels: Type.Array(Type.String()),
    positiveLabel: Nullable(Type.String()),
    description: Nullable(Type.String()),
    productionVersion: Nullable(VersionName),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  {
    examples: [
      {
        name: 'nba-game-predictor',
        task: 'binary',
        labels: ['BOS', 'LAL'],
        positiveLabel: 'LAL',
        description: 'Predicts the winner of an NBA game',
        productionVersion: 'v3',
        createdAt: '2024-10-01T12:00:00.000Z',
        updatedAt: '2024-10-01T12:00:00.000Z',
      },
    ],
  },
);

export const CreateModelBody = Type.Object(
  {
    name: Slug,
    task: Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')], {
      description: 'binary and multiclass predictions are labels; regression predictions are numbers',
    }),
    labels: Type.Optional(
      Type.Array(Label, {
        maxItems: 1000,
        description: 'binary: exactly 2; multiclass: the allowed labels (omit to accept any); regression: omit',
      }),
    ),
    positiveLabel: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'binary only; defaults to the second label' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  {
    additionalProperties: false,
    examples: [
      { name: 'nba-game-predictor', task: 'binary', labels: ['BOS', 'LAL'], positiveLabel: 'LAL', description: 'Predicts the winner of an NBA game' },
      { name: 'delivery-eta', task: 'regression', description: 'Minutes until delivery' },
    ],
  },
);

export const PatchModelBody = Type.Object(
  {
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    labels: Type.Optional(Type.Array(Label, { maxItems: 1000, description: 'multiclass only: the new label set; labels can be added, not removed' })),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ description: 'Winner of an NBA game, home-court aware' }] },
);
