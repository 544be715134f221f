import { Type } from 'typebox';
import { MAX_LAST } from '../../domain/window.js';
import { DateTime, Nullable, Slug, VersionName } from '../schemas.js';

export const CreateDatasetBody = Type.Object(
  {
    window: Type.Optional(Type.String({ maxLength: 16, description: 'a duration ending now, e.g. 30d (default: the policy’s trainingWindow); or give from + to, or last' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'start of [from, to) of predicted_at' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    last: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LAST, description: 'the last N labeled predictions' })),
    version: Type.Optional(VersionName),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  {
    additionalProperties: false,
    examples: [{ window: '30d', name: 'october', description: 'games up to the trade deadline' }, { from: '2024-10-01T00:00:00Z', to: '2024-11-01T00:00:00Z', version: 'v3' }],
  },
);

export const DatasetSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    model: Slug,
    number: Type.Integer({ description: 'the dataset’s number within its model: 1, 2, 3, …' }),
    name: Nullable(Type.String()),
    description: Nullable(Type.String()),
    window: Type.Object({ from: Nullable(DateTime), to: Nullable(DateTime), last: Type.Optional(Type.Integer()) }, { description: '[from, to) of predicted_at, or the last N labeled predictions' }),
    version: Nullable(Type.String({ description: 'the version filter, if any' })),
    rowCount: Type.Integer(),
    bytes: Type.Integer({ description: 'size of the JSONL export' }),
    featureSchema: Type.Record(Type.String(), Type.String(), { description: 'feature → number, string, boolean, null (only nulls) or mixed' }),
    sha256: Type.String({ description: 'SHA-256 (hex) of the JSONL export, byte for byte' }),
    retrainRequestId: Nullable(Type.String({ format: 'uuid', description: 'the retrain request it was frozen for, if any' })),
    createdAt: DateTime,
    links: Type.Object({ jsonl: Type.String(), csv: Type.String() }),
  },
  {
    examples: [
      {
        id: '0192f1c4-7a1f-7e55-8a10-3c9d2e7b6f01',
        model: 'nba-game-predictor',
        number: 4,
        name: 'october',
        description: null,
        window: { from: '2024-09-19T06:00:00.000Z', to: '2024-10-19T06:00:00.000Z' },
        version: null,
        rowCount: 1210,
        bytes: 301877,
        featureSchema: { homeElo: 'number', restDays: 'number', venue: 'string' },
        sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        retrainRequestId: null,
        createdAt: '2024-10-19T06:00:00.000Z',
        links: {
          jsonl: 'https://hindsight.example.com/v1/datasets/0192f1c4-7a1f-7e55-8a10-3c9d2e7b6f01/rows?format=jsonl',
          csv: 'https://hindsight.example.com/v1/datasets/0192f1c4-7a1f-7e55-8a10-3c9d2e7b6f01/rows?format=csv',
        },
      },
    ],
  },
);

export const RowsQuery = Type.Object(
  {
    format: Type.Union([Type.Literal('jsonl'), Type.Literal('csv')], { default: 'jsonl' }),
    expires: Type.Optional(Type.Integer({ minimum: 0, description: 'signed download URL: Unix seconds until which it is valid' })),
    signature: Type.Optional(Type.String({ maxLength: 200, description: 'signed download URL: the signature (as given in a retrain.requested webhook’s dataset.downloadUrl)' })),
  },
  { additionalProperties: false },
);
