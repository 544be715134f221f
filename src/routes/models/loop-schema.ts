import { Type } from 'typebox';
import { DateTime, Nullable, VersionName } from '../schemas.js';
import { ModelSchema } from './schemas.js';

const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);

const LastRequest = Type.Object({ id: Type.String({ format: 'uuid' }), status: Type.String(), trigger: Type.String(), createdAt: DateTime, completedAt: Nullable(DateTime) });

export const LoopSchema = Type.Object(
  {
    productionVersion: Nullable(Type.Object({ name: VersionName, promotedAt: Nullable(DateTime) })),
    retrainInProgress: Type.Boolean({ description: 'a retrain request is open: being delivered, or the trainer has it' }),
    openRetrainRequest: Nullable(
      Type.Object({ id: Type.String({ format: 'uuid' }), tier: Nullable(Type.String()), status: Type.String(), trigger: Type.String(), reasons: Type.Array(Type.String()), createdAt: DateTime }),
    ),
    candidate: Nullable(
      Type.Object(
        { version: VersionName, retrainRequestId: Type.String({ format: 'uuid' }), gateStatus: Nullable(Type.String()), gateReason: Nullable(Type.String()) },
        { description: 'a trained version waiting for the validation gate (live outcomes)' },
      ),
    ),
    training: Type.Array(
      Type.Object({
        tier: Nullable(Type.String({ description: 'null: requests without a tier (the daily decision, or by hand)' })),
        every: Nullable(Type.String()),
        scheduled: Type.Boolean({ description: 'Hindsight starts these by itself (the policy’s autoTrigger)' }),
        lastRequest: Nullable(LastRequest),
        lastSucceededAt: Nullable(DateTime),
        nextDueAt: Nullable(Type.Union([DateTime], { description: 'a tier: its next slot; no tier: the next daily decision; null when not scheduled' })),
      }),
      { description: 'the last training per tier and when the next is due' },
    ),
    performance: Nullable(
      Type.Object(
        {
          takenAt: DateTime,
          window: Type.String(),
          version: Nullable(VersionName),
          sampleCount: Type.Integer(),
          metric: Type.String(),
          value: Nullable(Type.Number()),
          trend: Nullable(Type.Union([Type.Literal('improving'), Type.Literal('degrading'), Type.Literal('stable')])),
        },
        { description: 'the latest performance snapshot of the daily job (production version, policy window)' },
      ),
    ),
    drift: Nullable(Type.Object({ severity: Type.String(), reportId: Type.String({ format: 'uuid' }), createdAt: DateTime }, { description: 'the latest stored drift report' })),
    alerts: Type.Object({ open: Type.Integer(), acknowledged: Type.Integer(), highestSeverity: Nullable(Type.Union(Severity.anyOf)) }, { description: 'the unresolved alerts of the model' }),
    dailyLearning: Type.Object({ lastRunAt: Nullable(DateTime), lastRunStatus: Nullable(Type.String()), nextRunAt: Nullable(DateTime) }),
  },
  { description: 'where the feedback loop stands for this model (only on GET /v1/models/{model}; the list stays cheap)' },
);

const LOOP_EXAMPLE = {
  productionVersion: { name: 'v3', promotedAt: '2024-10-01T12:00:00.000Z' },
  retrainInProgress: true,
  openRetrainRequest: { id: '8f1e6c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', tier: null, status: 'delivered', trigger: 'auto', reasons: ['accuracy 0.55 over the last 7d is below 0.6'], createdAt: '2024-10-18T03:15:03.100Z' },
  candidate: null,
  training: [
    { tier: null, every: null, scheduled: true, lastRequest: { id: '8f1e6c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b', status: 'delivered', trigger: 'auto', createdAt: '2024-10-18T03:15:03.100Z', completedAt: null }, lastSucceededAt: '2024-09-30T03:15:09.000Z', nextDueAt: '2024-10-19T03:15:00.000Z' },
    { tier: 'tier1', every: '6h', scheduled: true, lastRequest: null, lastSucceededAt: null, nextDueAt: '2024-10-18T06:00:00.000Z' },
  ],
  performance: { takenAt: '2024-10-18T03:15:01.000Z', window: '7d', version: 'v3', sampleCount: 1200, metric: 'accuracy', value: 0.55, trend: 'degrading' },
  drift: { severity: 'high', reportId: '3c9d2b1a-4e5f-4a6b-9c7d-8e9f0a1b2c3d', createdAt: '2024-10-18T03:15:02.000Z' },
  alerts: { open: 3, acknowledged: 0, highestSeverity: 'critical' },
  dailyLearning: { lastRunAt: '2024-10-18T03:15:00.012Z', lastRunStatus: 'succeeded', nextRunAt: '2024-10-19T03:15:00.000Z' },
};

/** GET /v1/models/{model}: the model, and where its loop stands. */
export const ModelWithLoopSchema = Type.Object(
  { ...ModelSchema.properties, loop: LoopSchema },
  { examples: [{ ...(ModelSchema as unknown as { examples: Record<string, unknown>[] }).examples[0], loop: LOOP_EXAMPLE }] },
);
