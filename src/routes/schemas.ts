import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

/** Shared pieces of the HTTP contract. */

export const Slug = Type.String({
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$',
  description: 'lowercase letters, digits and hyphens; 1–64 characters',
  examples: ['nba-game-predictor'],
});

export const VersionName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'letters, digits, ".", "_" and "-"; 1–64 characters',
  examples: ['v3'],
});

export const DateTime = Type.String({ format: 'date-time', examples: ['2024-10-18T23:00:00Z'] });
/**
 * `T | null`. For schemas with a single `type` this is a type array (`["string", "null"]`), which the
 * response serialiser writes directly; `anyOf` would make it validate each value at run time to pick a branch.
 */
export const Nullable = <T extends TSchema>(schema: T): TUnsafe<Static<T> | null> => {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === 'string') return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] });
  return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()]));
};

/** A label or a number, as one type array (see Nullable). */
export const LabelOrNumber = Type.Unsafe<string | number>({ type: ['string', 'number'] });

export const ModelParams = Type.Object({ model: Slug }, { additionalProperties: false });

export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'page size' });
export const Cursor = Type.String({ maxLength: 2000, description: 'the nextCursor of the previous page' });
export const PageQuery = Type.Object({ limit: Limit, cursor: Type.Optional(Cursor) }, { additionalProperties: false });

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String({ description: 'pass as `cursor` for the next page; null on the last page' })) });

export const FieldErrorSchema = Type.Object({
  path: Type.String({ description: 'JSON Pointer into the request, e.g. /body/items/3/confidence', examples: ['/body/confidence'] }),
  message: Type.String({ examples: ['must be <= 1'] }),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ examples: ['https://hindsight.dev/problems/validation'] }),
    title: Type.String({ examples: ['Invalid request'] }),
    status: Type.Integer({ examples: [400] }),
    detail: Type.String({ examples: ['/body/confidence: must be <= 1'] }),
    instance: Type.Optional(Type.String({ examples: ['/v1/predictions'] })),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

/** Every error response points at the one shared Problem schema (registered by the app; one entry in OpenAPI components). */
export const ProblemRef = Type.Unsafe<Static<typeof ProblemSchema>>({ $ref: 'Problem#' });

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; `errors` names each field and rule',
  401: 'Missing or invalid API key',
  403: 'The key lacks the scope or the model',
  404: 'Unknown resource, named in `detail`',
  409: 'Conflicts with what is stored',
  413: 'Body or batch too large',
  415: 'The body is not application/json (or another type the route takes)',
  422: 'Well-formed but impossible for this model',
  429: 'Rate limited (per API key); retry after `Retry-After` seconds',
  503: 'Database unavailable; retry after `Retry-After` seconds',
};

/** Problem responses for the given statuses (400, 401, 403 and 503 are added to every route). */
export function problems(...statuses: number[]): Record<number, unknown> {
  const all = [...new Set([400, 401, 403, ...statuses, 503])].sort();
  return problemResponses(all);
}

/** Problem responses for exactly these statuses. */
export function problemResponses(statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: PROBLEM_DESCRIPTIONS[status], content: { 'application/problem+json': { schema: ProblemRef } } }]),
  );
}
