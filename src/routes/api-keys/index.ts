import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SCOPES } from '../../domain/access.js';
import { ForbiddenError, invalidField } from '../../errors.js';
import { type ApiKeyService, viewApiKey } from '../../services/api-keys.js';
import { decodeCursor, page } from '../../services/pagination.js';
import { DateTime, Nullable, Page, PageQuery, Slug, problems } from '../schemas.js';

const Scope = Type.Union(SCOPES.map((s) => Type.Literal(s)), { description: 'ingest: write predictions and outcomes; read: read everything; admin: everything' });

const ApiKeySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    prefix: Type.String({ description: 'the visible start of the key, to recognise it' }),
    scopes: Type.Array(Type.String()),
    models: Type.Array(Type.String(), { description: 'models the key is limited to; empty: all' }),
    createdAt: DateTime,
    expiresAt: Nullable(DateTime),
    revokedAt: Nullable(DateTime),
    lastUsedAt: Nullable(DateTime),
  },
  {
    examples: [
      {
        id: '5f0c6c1e-8a4b-4f7e-9a51-0d7b7f0e2a11',
        name: 'nba-serving',
        prefix: 'hs_Ab12Cd34',
        scopes: ['ingest'],
        models: ['nba-game-predictor'],
        createdAt: '2024-10-01T12:00:00.000Z',
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: '2024-10-18T23:00:00.000Z',
      },
    ],
  },
);

const CreatedKeySchema = Type.Intersect([ApiKeySchema, Type.Object({ key: Type.String({ description: 'the secret; shown only in this response' }) })]);

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(Scope, { minItems: 1, uniqueItems: true }),
    models: Type.Optional(Type.Array(Slug, { maxItems: 1000, uniqueItems: true, description: 'limit the key to these models' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false, examples: [{ name: 'nba-serving', scopes: ['ingest', 'read'], models: ['nba-game-predictor'] }] },
);

export const apiKeyRoutes: FastifyPluginAsyncTypebox<{ keys: ApiKeyService }> = async (app, { keys }) => {
  // An admin key limited to some models would otherwise mint itself an unlimited key, or revoke the keys of
  // other models: managing keys takes an admin key for every model.
  app.addHook('preHandler', async (request) => {
    const models = request.principal?.models;
    if (models) throw new ForbiddenError(`this API key is limited to the models ${[...models].join(', ')}; managing API keys needs an admin key for every model`);
  });

  app.post('/v1/api-keys', {
    schema: { tags: ['api-keys'], summary: 'Create an API key (the secret is shown once)', body: CreateKeyBody, response: { 201: CreatedKeySchema, ...problems() } },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      const { expiresAt, ...rest } = request.body;
      const expiry = expiresAt ? new Date(expiresAt) : null;
      if (expiry && expiry.getTime() <= Date.now()) throw invalidField('/body/expiresAt', 'must be in the future');
      const { key, record } = await keys.create({ ...rest, expiresAt: expiry });
      return reply.code(201).send({ ...viewApiKey(record), key });
    },
  });

  app.get('/v1/api-keys', {
    schema: { tags: ['api-keys'], summary: 'List API keys (never their secrets)', querystring: PageQuery, response: { 200: Page(ApiKeySchema), ...problems() } },
    config: { scope: 'admin' },
    handler: async (request) => {
      const position = decodeCursor(request.query.cursor, ['date', 'uuid']) as [Date, string] | undefined;
      const rows = await keys.list(request.query.limit + 1, position ? { createdAt: position[0], id: position[1] } : undefined);
      const { items, nextCursor } = page(rows, request.query.limit, (k) => [k.createdAt.toISOString(), k.id]);
      return { items: items.map(viewApiKey), nextCursor };
    },
  });

  app.delete('/v1/api-keys/:id', {
    schema: {
      tags: ['api-keys'],
      summary: 'Revoke an API key',
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
      response: { 200: ApiKeySchema, ...problems(404) },
    },
    config: { scope: 'admin' },
    handler: async (request) => viewApiKey(await keys.revoke(request.params.id)),
  });
};
