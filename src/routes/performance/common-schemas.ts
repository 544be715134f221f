import { Type } from 'typebox';
import { MAX_LAST } from '../../domain/window.js';
import { DateTime, Nullable, Slug } from '../schemas.js';

/** Pieces shared by the analytics contracts (performance, errors, feature importance). */

const OutcomeSource = Type.Enum(['ground_truth', 'human']);

export const WindowQueryProperties = {
  window: Type.Optional(
    Type.String({
      maxLength: 16,
      description: 'A duration ending now, `<n>` + `m`, `h`, `d` or `w`: `24h`, `7d`, `30d`. The default (7d) when no window form is given. Use exactly one of `window`, `from` + `to`, `last`.',
    }),
  ),
  // No examples on these: Swagger UI would pre-fill them all, and a mix of window forms is a 400.
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Start of the half-open range [from, to) of predicted_at, e.g. 2024-10-01T00:00:00Z; needs `to`' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'End (exclusive) of the range; needs `from`' })),
  last: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LAST, description: 'The last N labeled predictions by predicted_at, e.g. 100' })),
  version: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', description: 'Only this version’s predictions (422 when the model has no such version)' })),
  source: Type.Optional(Type.Enum(['ground_truth', 'human'], { description: 'Only outcomes from this source: `ground_truth` or `human` (a labeling team)' })),
};

export const WindowSchema = Type.Object(
  {
    from: Nullable(DateTime),
    to: Nullable(DateTime),
    last: Type.Optional(Type.Integer({ description: 'present for `last=N`: from/to are then the predicted_at of the oldest and newest of those N (inclusive), null when there are none' })),
  },
  { description: 'The window analysed: [from, to) of predicted_at, or the last N labeled predictions' },
);

export const FiltersSchema = Type.Object({
  version: Nullable(Type.String({ description: 'the version filter, if any' })),
  source: Nullable(OutcomeSource),
});

export const ReasonsSchema = Type.Record(Type.String(), Type.String(), {
  description: 'Why each null metric is undefined, by metric name (e.g. `rocAuc`: "only one class …"); empty when every metric is defined',
  examples: [{ rocAuc: 'only one class ("LAL") among the 40 labeled predictions with P(positive): ROC AUC needs both' }],
});

export const ScopeProperties = {
  model: Slug,
  task: Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')]),
  window: WindowSchema,
  filters: FiltersSchema,
};

export const NullableNumber = (description: string) => Nullable(Type.Number({ description }));

export const SampleSchema = Type.Object(
  {
    rule: Type.String({ description: 'how the sample is drawn, deterministically' }),
    size: Type.Integer({ description: 'rows in the sample' }),
    population: Type.Integer({ description: 'rows it is drawn from' }),
  },
  { description: 'The deterministic sample a computation ran on' },
);

export const BucketUnitSchema = (options: { description?: string; default?: string } = {}) => Type.Enum(['hour', 'day', 'week'], options);
