import { Type } from 'typebox';
import { ModelSchema } from '../models/schemas.js';
import { DateTime, Nullable, Slug, VersionName } from '../schemas.js';

export const VersionSchema = Type.Object(
  {
    name: VersionName,
    status: Type.Union([Type.Literal('candidate'), Type.Literal('production'), Type.Literal('archived')]),
    description: Nullable(Type.String()),
    metrics: Nullable(Type.Record(Type.String(), Type.Number())),
    artifactUri: Nullable(Type.String()),
    replacedVersion: Nullable(Type.String({ description: 'the production version this one replaced when promoted; what a rollback restores' })),
    promotedAt: Nullable(DateTime),
    createdAt: DateTime,
    retrainRequestId: Nullable(Type.String({ format: 'uuid', description: 'lineage: the retrain request whose callback registered this version' })),
    datasetId: Nullable(Type.String({ format: 'uuid', description: 'lineage: the dataset it was trained on (GET /v1/datasets/{id})' })),
  },
  {
    examples: [
      {
        name: 'v3',
        status: 'production',
        description: 'retrained on October games',
        metrics: { accuracy: 0.71, logLoss: 0.55 },
        artifactUri: 's3://models/nba/v3',
        replacedVersion: 'v2',
        promotedAt: '2024-10-02T08:00:00.000Z',
        createdAt: '2024-10-01T12:00:00.000Z',
        retrainRequestId: '0192f1c4-7a1e-7c3b-9d2a-5b8e6f4a3c21',
        datasetId: '0192f1c4-7a1f-7e55-8a10-3c9d2e7b6f01',
      },
    ],
  },
);

export const CreateVersionBody = Type.Object(
  {
    name: VersionName,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    metrics: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.Number({ finite: true }), { maxProperties: 200, description: 'training metrics' })),
    artifactUri: Type.Optional(Type.String({ maxLength: 2000 })),
    status: Type.Optional(
      Type.Union([Type.Literal('candidate'), Type.Literal('production')], { description: '`production` registers and promotes it at once; default `candidate`' }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ name: 'v3', description: 'retrained on October games', metrics: { accuracy: 0.71 }, artifactUri: 's3://models/nba/v3' }],
  },
);

export const VersionParams = Type.Object({ model: Slug, version: VersionName }, { additionalProperties: false });

export const ReasonBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false, examples: [{ reason: 'better live accuracy' }] },
);

export const TransitionSchema = Type.Object({
  action: Type.Union([Type.Literal('promoted'), Type.Literal('unchanged'), Type.Literal('rolled_back')]),
  productionVersion: Nullable(Type.String()),
  previousVersion: Nullable(Type.String()),
  model: ModelSchema,
});
