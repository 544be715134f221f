import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertModelAccess } from '../../domain/access.js';
import type { ModelService } from '../../services/models.js';
import { ModelParams, Page, PageQuery, problems } from '../schemas.js';
import { CreateModelBody, ModelSchema, PatchModelBody } from './schemas.js';

export const modelRoutes: FastifyPluginAsyncTypebox<{ models: ModelService }> = async (app, { models }) => {
  app.post('/v1/models', {
    schema: { tags: ['models'], summary: 'Register a model', body: CreateModelBody, response: { 201: ModelSchema, ...problems(409) } },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      assertModelAccess(request.principal, request.body.name);
      return reply.code(201).send(await models.create(request.body));
    },
  });

  app.get('/v1/models', {
    schema: { tags: ['models'], summary: 'List models', querystring: PageQuery, response: { 200: Page(ModelSchema), ...problems() } },
    config: { scope: 'read' },
    handler: (request) => models.list(request.principal, request.query.limit, request.query.cursor),
  });

  app.get('/v1/models/:model', {
    schema: { tags: ['models'], summary: 'Get a model', params: ModelParams, response: { 200: ModelSchema, ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => models.get(request.params.model),
  });

  app.patch('/v1/models/:model', {
    schema: {
      tags: ['models'],
      summary: 'Change a model’s description or (multiclass) add labels',
      params: ModelParams,
      body: PatchModelBody,
      response: { 200: ModelSchema, ...problems(404, 422) },
    },
    config: { scope: 'admin' },
    handler: (request) => models.update(request.params.model, request.body),
  });
};
