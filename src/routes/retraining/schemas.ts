import { Type } from 'typebox';
import { MAX_LAST } from '../../domain/window.js';
import { DateTime, Nullable, Slug, VersionName } from '../schemas.js';

const Duration = (description: string, example: string) =>
  Type.String({ maxLength: 16, description: `${description} A duration: a positive integer and m, h, d or w (e.g. 1h, 6h, 24h, 7d).`, examples: [example] });
const Share = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 1, description });
const Positive = (description: string) => Type.Number({ exclusiveMinimum: 0, description });
const Severity = Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')]);
const Task = Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')]);

const Tier = Type.Object(
  {
    name: Type.String({ maxLength: 32, description: 'a slug, unique in the policy; passed to the trainer, which decides what the tier trains' }),
    every: Type.String({ maxLength: 16, description: 'how often the tier is retrained on schedule (a duration)' }),
  },
  { additionalProperties: false },
);

const LastN = Type.Object(
  {
    n: Type.Integer({ minimum: 1, maximum: 100_000, description: 'how many of the latest labeled predictions' }),
    accuracyBelow: Share('retrain when their accuracy is below this'),
  },
  { additionalProperties: false },
);

const POLICY_EXAMPLE = {
  minSamples: 50,
  window: '7d',
  accuracyBelow: 0.6,
  lastN: { n: 10, accuracyBelow: 0.55 },
  driftSeverity: 'high',
  cooldown: '6h',
  autoTrigger: true,
  minImprovement: 0.02,
  tiers: [
    { name: 'tier1', every: '1h' },
    { name: 'tier2', every: '6h' },
    { name: 'tier3', every: '24h' },
  ],
};

/** Every field optional: a PUT replaces the policy, omitted fields take their defaults, null switches a check off. */
export const PolicyBody = Type.Object(
  {
    minSamples: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'labeled predictions the window needs before its metrics are judged (default 50)' })),
    window: Type.Optional(Duration('The window (ending now) of accuracyBelow and the error limits; also how recent a drift report must be. Default 7d.', '7d')),
    accuracyBelow: Type.Optional(Nullable(Share('classification: retrain when accuracy over `window` is below this (default null: off)'))),
    lastN: Type.Optional(Nullable(Type.Union([LastN], { description: 'classification: retrain when the last n labeled predictions are less accurate than accuracyBelow (default {n: 10, accuracyBelow: 0.55})' }))),
    maxMape: Type.Optional(Nullable(Positive('regression: retrain when MAPE (percent) over `window` is above this (default 30)'))),
    maxMae: Type.Optional(Nullable(Positive('regression: retrain when MAE over `window` is above this (default null: off)'))),
    maxRmse: Type.Optional(Nullable(Positive('regression: retrain when RMSE over `window` is above this (default null: off)'))),
    driftSeverity: Type.Optional(Nullable(Type.Union(Severity.anyOf, { description: 'retrain when the latest drift report (within `window`) is at least this severe (default high; null: off)' }))),
    cooldown: Type.Optional(Nullable(Duration('No new request of the same tier until this long after the last one completed (default 6h; null: none).', '6h'))),
    autoTrigger: Type.Optional(Type.Boolean({ description: 'let the daily job start a request when the decision says so (default false)' })),
    minImprovement: Type.Optional(
      Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'how much better a candidate must be to be promoted: accuracy points (absolute), or the relative MAE reduction for regression (default 0.02)' }),
    ),
    autoRollback: Type.Optional(Type.Boolean({ description: 'roll a promoted version back automatically when it is significantly worse than the one it replaced (default true)' })),
    trainingWindow: Type.Optional(Duration('The window of the dataset frozen for each retrain request. Default 30d.', '30d')),
    tiers: Type.Optional(Type.Array(Tier, { maxItems: 20, description: 'named schedules, e.g. tier1 every 1h, tier2 every 6h, tier3 every 24h (default none)' })),
  },
  { additionalProperties: false, examples: [POLICY_EXAMPLE, { maxMape: 20, maxMae: 4.5, cooldown: '12h' }] },
);

export const PolicySchema = Type.Object(
  {
    model: Slug,
    task: Task,
    minSamples: Type.Integer(),
    window: Type.String(),
    accuracyBelow: Nullable(Type.Number()),
    lastN: Nullable(LastN),
    maxMape: Nullable(Type.Number()),
    maxMae: Nullable(Type.Number()),
    maxRmse: Nullable(Type.Number()),
    driftSeverity: Nullable(Type.String()),
    cooldown: Nullable(Type.String()),
    autoTrigger: Type.Boolean(),
    minImprovement: Type.Number(),
    autoRollback: Type.Boolean(),
    trainingWindow: Type.String(),
    tiers: Type.Array(Tier),
    isDefault: Type.Boolean({ description: 'true while no policy was stored: the task’s defaults' }),
    updatedAt: Nullable(DateTime),
  },
  {
    examples: [
      {
        model: 'nba-game-predictor',
        task: 'binary',
        ...POLICY_EXAMPLE,
        maxMape: null,
        maxMae: null,
        maxRmse: null,
        autoRollback: true,
        trainingWindow: '30d',
        isDefault: false,
        updatedAt: '2024-10-18T23:00:00.000Z',
      },
    ],
  },
);

const NumberOrText = Type.Unsafe<number | string | null>({ type: ['number', 'string', 'null'] });

export const CheckSchema = Type.Object({
  name: Type.String({ description: 'minSamples, accuracy, lastNAccuracy, mape, mae, rmse, drift, openRequest, cooldown, webhook' }),
  kind: Type.Union([Type.Literal('precondition'), Type.Literal('trigger'), Type.Literal('guard')], {
    description: 'precondition: makes the metric checks judgeable; trigger: fails = a reason to retrain; guard: fails = no request can start now',
  }),
  value: NumberOrText,
  threshold: NumberOrText,
  window: Nullable(Type.String()),
  result: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('insufficient_data'), Type.Literal('skipped')]),
  detail: Type.String(),
});

export const DecisionSchema = Type.Object(
  {
    model: Slug,
    task: Task,
    productionVersion: Nullable(Type.String({ description: 'the version whose predictions are judged (all predictions when null)' })),
    evaluatedAt: DateTime,
    shouldRetrain: Type.Boolean({ description: 'a trigger failed and no guard blocks: a request should start now' }),
    reasons: Type.Array(Type.String(), { description: 'why retraining is needed (failed triggers)' }),
    blockedBy: Type.Array(Type.String(), { description: 'why it cannot start now although needed (failed guards)' }),
    checks: Type.Array(CheckSchema),
  },
  {
    examples: [
      {
        model: 'nba-game-predictor',
        task: 'binary',
        productionVersion: 'v3',
        evaluatedAt: '2024-10-19T06:00:00.000Z',
        shouldRetrain: true,
        reasons: ['accuracy 0.52 over the last 7d is below 0.6'],
        blockedBy: [],
        checks: [
          { name: 'minSamples', kind: 'precondition', value: 412, threshold: 50, window: '7d', result: 'pass', detail: '412 labeled predictions in the last 7d (at least 50)' },
          { name: 'accuracy', kind: 'trigger', value: 0.52, threshold: 0.6, window: '7d', result: 'fail', detail: 'accuracy 0.52 over the last 7d is below 0.6' },
          { name: 'drift', kind: 'trigger', value: null, threshold: 'high', window: '7d', result: 'skipped', detail: 'no drift report' },
          { name: 'cooldown', kind: 'guard', value: null, threshold: '6h', window: null, result: 'pass', detail: 'no completed retrain request yet' },
        ],
      },
    ],
  },
);

const DatasetWindow = Type.Object(
  {
    window: Type.Optional(Type.String({ maxLength: 16, description: 'a duration ending now (default: the policy’s trainingWindow)' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    last: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LAST, description: 'the last N labeled predictions' })),
    version: Type.Optional(VersionName),
  },
  { additionalProperties: false, description: 'which labeled predictions the frozen dataset holds: one window form, optionally one version' },
);

export const TriggerBody = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 2000, description: 'why; passed to the trainer in `reasons`' }),
    tier: Type.Optional(Type.String({ maxLength: 32, description: 'one of the policy’s tiers; none: the trainer’s default' })),
    force: Type.Optional(Type.Boolean({ description: 'start even during the cooldown' })),
    dataset: Type.Optional(DatasetWindow),
  },
  { additionalProperties: false, examples: [{ reason: 'accuracy dropped after the trade deadline' }, { reason: 'scheduled', tier: 'tier2', dataset: { window: '90d' } }] },
);

const AttemptSchema = Type.Object({
  attempt: Type.Integer(),
  at: DateTime,
  statusCode: Nullable(Type.Integer()),
  durationMs: Nullable(Type.Integer()),
  error: Nullable(Type.String({ description: 'null on success' })),
});

const JsonObject = Type.Record(Type.String(), Type.Unknown());

export const RequestSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    model: Slug,
    tier: Nullable(Type.String()),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('succeeded'), Type.Literal('failed')], {
      description: 'pending: being delivered; delivered: the trainer accepted the webhook; succeeded/failed: the trainer reported back (or delivery was given up)',
    }),
    trigger: Type.Union([Type.Literal('manual'), Type.Literal('auto')]),
    reason: Type.String(),
    reasons: Type.Array(Type.String()),
    forced: Type.Boolean({ description: 'started during the cooldown with force' }),
    productionVersion: Nullable(Type.String()),
    dataset: Type.Object({ id: Type.String({ format: 'uuid' }), number: Type.Integer(), rows: Type.Integer(), sha256: Type.String(), url: Type.String() }),
    callbackUrl: Type.String(),
    delivery: Nullable(
      Type.Object({
        webhookId: Type.String({ description: 'the webhook-id header, the same in every attempt' }),
        status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')]),
        attemptCount: Type.Integer(),
        nextAttemptAt: Nullable(DateTime),
        lastError: Nullable(Type.String()),
        attempts: Type.Array(AttemptSchema),
      }),
    ),
    result: Nullable(JsonObject),
    resultReceivedAt: Nullable(DateTime),
    candidate: Nullable(
      Type.Object({
        version: Nullable(Type.String()),
        gate: Type.Object({
          status: Nullable(Type.Union([Type.Literal('awaiting_live'), Type.Literal('kept'), Type.Literal('promoted'), Type.Literal('rejected'), Type.Literal('superseded')])),
          reason: Nullable(Type.String()),
          evaluatedAt: Nullable(DateTime),
          detail: Nullable(JsonObject),
        }),
      }),
    ),
    failureReason: Nullable(Type.String()),
    createdAt: DateTime,
    deliveredAt: Nullable(DateTime),
    completedAt: Nullable(DateTime),
  },
  {
    examples: [
      {
        id: '0192f1c4-7a1e-7c3b-9d2a-5b8e6f4a3c21',
        model: 'nba-game-predictor',
        tier: null,
        status: 'delivered',
        trigger: 'auto',
        reason: 'automatic: accuracy 0.52 over the last 7d is below 0.6',
        reasons: ['accuracy 0.52 over the last 7d is below 0.6'],
        forced: false,
        productionVersion: 'v3',
        dataset: { id: '0192f1c4-7a1f-7e55-8a10-3c9d2e7b6f01', number: 4, rows: 1210, sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', url: 'https://hindsight.example.com/v1/datasets/0192f1c4-7a1f-7e55-8a10-3c9d2e7b6f01/rows?format=jsonl' },
        callbackUrl: 'https://hindsight.example.com/v1/retrain-requests/0192f1c4-7a1e-7c3b-9d2a-5b8e6f4a3c21/result',
        delivery: {
          webhookId: 'msg_0192f1c47a207b4c8e1f2a3b4c5d6e7f',
          status: 'succeeded',
          attemptCount: 2,
          nextAttemptAt: null,
          lastError: null,
          attempts: [
            { attempt: 1, at: '2024-10-19T06:00:00.120Z', statusCode: 503, durationMs: 84, error: 'HTTP 503: upstream busy' },
            { attempt: 2, at: '2024-10-19T06:00:05.310Z', statusCode: 202, durationMs: 61, error: null },
          ],
        },
        result: null,
        resultReceivedAt: null,
        candidate: null,
        failureReason: null,
        createdAt: '2024-10-19T06:00:00.100Z',
        deliveredAt: '2024-10-19T06:00:05.371Z',
        completedAt: null,
      },
    ],
  },
);

export const CallbackBody = Type.Object(
  {
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    version: Type.Optional(Type.Union([VersionName], { description: 'succeeded: the new version’s name (required)' })),
    metrics: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.Number({ finite: true }), { maxProperties: 200, description: 'succeeded: training metrics, e.g. accuracy or mae (the gate compares them with production’s)' })),
    artifactUri: Type.Optional(Type.String({ maxLength: 2000, description: 'succeeded: where the trained artifact is' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'failed: what went wrong (required)' })),
  },
  {
    additionalProperties: false,
    examples: [
      { status: 'succeeded', version: 'v4', metrics: { accuracy: 0.74, logLoss: 0.52 }, artifactUri: 's3://models/nba/v4' },
      { status: 'failed', message: 'not enough rows in the dataset for tier3' },
    ],
  },
);

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
