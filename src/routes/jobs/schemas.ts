import { Type } from 'typebox';
import { Cursor, DateTime, Limit, Nullable } from '../schemas.js';

const Status = Type.Union([Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('skipped')]);
const Trigger = Type.Union([Type.Literal('schedule'), Type.Literal('manual')]);

const RUN_EXAMPLE = {
  id: '5d0c4a2e-91f3-4b6a-8e27-0c3f9b1d2a64',
  job: 'daily-learning',
  slot: '2024-10-18T03:15:00.000Z',
  trigger: 'schedule',
  status: 'succeeded',
  replicaId: 'hindsight-7d9f8:1',
  requestedBy: null,
  startedAt: '2024-10-18T03:15:00.012Z',
  heartbeatAt: '2024-10-18T03:15:04.530Z',
  finishedAt: '2024-10-18T03:15:04.530Z',
  durationMs: 4518,
  result: { models: 1, visited: 1, failed: 0, alerts: { raised: 2, repeated: 0, resolved: 0 }, retrainRequests: [{ model: 'nba-game-predictor', requestId: '8f1e…' }] },
  error: null,
};

const runFields = {
  id: Type.String({ format: 'uuid' }),
  job: Type.String(),
  slot: Type.String({ format: 'date-time', description: 'the scheduled fire time the run belongs to (a manual run: when it was requested); one run per job and slot across every replica' }),
  trigger: Trigger,
  status: Type.Union(Status.anyOf, { description: 'skipped: the previous run was still going; failed with "abandoned: …": its process died during the run' }),
  replicaId: Type.String({ description: 'the Hindsight process that ran it (HINDSIGHT_REPLICA_ID, default host:pid)' }),
  requestedBy: Nullable(Type.String({ description: 'the API key of a manual run' })),
  startedAt: DateTime,
  heartbeatAt: DateTime,
  finishedAt: Nullable(DateTime),
  durationMs: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
};

export const RunSchema = Type.Object(
  { ...runFields, result: Nullable(Type.Object({}, { additionalProperties: true, description: 'the job’s summary: per model for the learning jobs' })) },
  { examples: [RUN_EXAMPLE] },
);

const BriefRun = Type.Object(runFields);

export const JobSchema = Type.Object(
  {
    name: Type.String({ description: 'daily-learning, weekly-learning, webhook-delivery, or tier:<model>:<tier>' }),
    description: Type.String(),
    kind: Type.Union([Type.Literal('cron'), Type.Literal('interval')]),
    schedule: Type.String({ description: 'the cron expression (seconds first when it has six fields), or "every <duration>" for a tier' }),
    timezone: Type.String({ description: 'the time zone of a cron schedule (TZ); interval slots are counted in UTC' }),
    model: Nullable(Type.String({ description: 'the model of a tier job' })),
    nextRunAt: Nullable(DateTime),
    running: Nullable(BriefRun),
    lastRun: Nullable(Type.Union([BriefRun], { description: 'the latest run of any status, without its result' })),
  },
  {
    examples: [
      {
        name: 'daily-learning',
        description: 'Per model: performance snapshot, drift report, error analysis, …',
        kind: 'cron',
        schedule: '0 15 3 * * *',
        timezone: 'UTC',
        model: null,
        nextRunAt: '2024-10-19T03:15:00.000Z',
        running: null,
        lastRun: { ...RUN_EXAMPLE, result: undefined },
      },
    ],
  },
);

export const JobList = Type.Object({ items: Type.Array(JobSchema) });

export const JobParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z0-9:._-]+$', examples: ['daily-learning'] }) }, { additionalProperties: false });
export const RunParams = Type.Object({ name: JobParams.properties.name, id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const RunNowQuery = Type.Object(
  { wait: Type.Boolean({ default: false, description: 'answer once the run finished (200; up to 5 minutes, then 202 with the run so far)' }) },
  { additionalProperties: false },
);

export const RunsQuery = Type.Object({ status: Type.Optional(Status), trigger: Type.Optional(Trigger), limit: Limit, cursor: Type.Optional(Cursor) }, { additionalProperties: false });

export const RunPage = Type.Object({ items: Type.Array(RunSchema), nextCursor: Nullable(Type.String()) });
