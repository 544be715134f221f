import { Type } from 'typebox';
import { Cursor, DateTime, Limit, Nullable, Slug } from '../schemas.js';

const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const Status = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]);

const ALERT_EXAMPLE = {
  id: '0b6f3c1e-7a2d-4e8b-9c51-3f2a8d4e6b17',
  type: 'drift.concept',
  severity: 'critical',
  peakSeverity: 'critical',
  status: 'open',
  model: 'nba-game-predictor',
  title: 'nba-game-predictor: concept drift, live performance got worse (high)',
  detail: 'live accuracy 0.8 (400 outcomes) → 0.55 (200), -31.25%; two-proportion-z p = 1.20e-10 (drift report 3c9d…)',
  dedupeKey: 'drift.concept:6a1e2f4c-…',
  count: 3,
  firstSeenAt: '2024-10-18T03:15:04.120Z',
  lastSeenAt: '2024-10-20T03:15:03.870Z',
  source: 'hindsight',
  createdBy: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  acknowledgementNote: null,
  resolvedAt: null,
  resolvedBy: null,
  resolution: null,
};

export const AlertSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.String({ description: 'dotted: performance.degraded, drift.feature, drift.prediction, drift.concept, drift.stream, retrain.triggered, retrain.recommended, retrain.failed, retrain.delivery_failed, webhook.disabled, model.rolled_back, model.rollback_recommended, experiment.srm, experiment.concluded, job.failed, or custom.*' }),
    severity: Type.Union(Severity.anyOf, { description: 'the latest severity' }),
    peakSeverity: Type.Union(Severity.anyOf, { description: 'the highest severity while unresolved; a raise above it is an escalation (notified, and re-opens an acknowledged alert)' }),
    status: Type.Union(Status.anyOf, { description: 'open → acknowledged (someone is on it) → resolved (by a person, or by the daily job once the condition cleared)' }),
    model: Nullable(Slug),
    title: Type.String(),
    detail: Type.String(),
    dedupeKey: Type.String({ description: 'one unresolved alert per key: the same condition again counts on it (count, lastSeenAt)' }),
    count: Type.Integer({ minimum: 1, description: 'how many times the condition was seen while the alert was unresolved' }),
    firstSeenAt: DateTime,
    lastSeenAt: DateTime,
    source: Type.Union([Type.Literal('hindsight'), Type.Literal('custom')]),
    createdBy: Nullable(Type.String({ description: 'the API key that raised a custom alert' })),
    acknowledgedAt: Nullable(DateTime),
    acknowledgedBy: Nullable(Type.String()),
    acknowledgementNote: Nullable(Type.String()),
    resolvedAt: Nullable(DateTime),
    resolvedBy: Nullable(Type.String({ description: '"hindsight" when the daily job saw the condition clear, else the API key' })),
    resolution: Nullable(Type.String()),
  },
  { examples: [ALERT_EXAMPLE] },
);

export const AlertPage = Type.Object({ items: Type.Array(AlertSchema), nextCursor: Nullable(Type.String()) }, { examples: [{ items: [ALERT_EXAMPLE], nextCursor: null }] });

export const ListAlertsQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ maxLength: 16, description: 'alerts seen within this long before now: a duration (24h, 7d)', examples: ['24h'] })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'alerts last seen at or after (with `to`, instead of `since`)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'alerts first seen before' })),
    model: Type.Optional(Slug),
    type: Type.Optional(Type.String({ maxLength: 100, pattern: '^[a-z0-9_.*-]+$', description: 'an exact type, or a prefix ending in * (`drift.*`)', examples: ['drift.*'] })),
    severity: Type.Optional(Type.Union(Severity.anyOf, { description: 'at least this severe' })),
    status: Type.Optional(Status),
    limit: Limit,
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const CreateAlertBody = Type.Object(
  {
    type: Type.String({ pattern: '^custom\\.[a-z0-9][a-z0-9._-]{0,62}$', description: 'namespaced under custom.: custom.<name>', examples: ['custom.label_backlog'] }),
    severity: Severity,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    detail: Type.Optional(Type.String({ maxLength: 4000 })),
    model: Type.Optional(Slug),
    dedupeKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'alerts with the same key are one alert until resolved (default: type and model)' })),
  },
  {
    additionalProperties: false,
    examples: [{ type: 'custom.label_backlog', severity: 'warning', title: '3,000 predictions wait for labels', detail: 'the labeling team is a week behind', model: 'nba-game-predictor' }],
  },
);

export const NoteBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false, examples: [{ note: 'looking into the upstream feed' }] },
);

export const AlertParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
