import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertModelAccess } from '../../domain/access.js';
import type { LoopStatus } from '../../services/loop-status.js';
import type { ModelService } from '../../services/models.js';
import { ModelParams, Page, PageQuery, problems } from '../schemas.js';
import { ModelWithLoopSchema } from './loop-schema.js';
import { CreateModelBody, ModelSchema, PatchModelBody } from './schemas.js';

/** `loop`: where the feedback loop stands for a model (issue 6), on the single-model GET only. */
export const modelRoutes: FastifyPluginAsyncTypebox<{ models: ModelService; loop: (model: string) => Promise<LoopStatus> }> = async (app, { models, loop }) => {
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
    schema: {
      tags: ['models'],
      summary: 'Get a model, and where its feedback loop stands',
      description:
        '`loop`: the production version, the open retrain request (`retrainInProgress`), a candidate before the gate, the last training per tier and when the next is due, ' +
        'the latest performance snapshot and its trend, the latest drift severity, the unresolved alerts, and the daily job’s last and next run. ' +
        'Read from what the daily job stored: nothing is recomputed. `GET /v1/models` leaves `loop` out.',
      params: ModelParams,
      response: { 200: ModelWithLoopSchema, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: async (request) => {
      const [model, status] = await Promise.all([models.get(request.params.model), loop(request.params.model)]);
      return { ...model, loop: status };
    },
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
