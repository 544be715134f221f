import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { LabelingQueueService } from '../../services/labeling-queue.js';
import { ModelParams, problems } from '../schemas.js';
import { ClaimBody, ClaimParams, ClaimSchema, QueueQuery, QueueSchema } from './schemas.js';

export const labelingRoutes: FastifyPluginAsyncTypebox<{ labeling: LabelingQueueService }> = async (app, { labeling }) => {
  app.get('/v1/models/:model/labeling-queue', {
    schema: {
      tags: ['labeling'],
      summary: 'Unlabeled predictions, most uncertain first',
      description:
        'Active learning: the predictions whose labels teach the model most. Excludes labeled predictions and those held by a live claim. ' +
        'Label them through `POST /v1/outcomes` with `source: "human"`: a labeled prediction leaves the queue and its claim. Regression models have no uncertainty score: 422.',
      params: ModelParams,
      querystring: QueueQuery,
      response: { 200: QueueSchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => labeling.queue(request.params.model, request.query),
  });

  app.post('/v1/models/:model/labeling-queue/claims', {
    schema: {
      tags: ['labeling'],
      summary: 'Claim predictions to label, for a time',
      description:
        'So that two labelers never take the same prediction: a prediction is in at most one live claim, even under concurrent requests. `count` takes the N most uncertain free ones ' +
        '(201; 200 with `id: null` when the queue is empty); `predictionIds` takes exactly those or nothing (404 unknown, 409 labeled or claimed by someone else). The claim lapses after ttlSeconds.',
      params: ModelParams,
      body: ClaimBody,
      response: { 201: ClaimSchema, 200: ClaimSchema, ...problems(404, 409, 422) },
    },
    config: { scope: 'ingest' },
    handler: async (request, reply) => {
      const { status, body } = await labeling.claim(request.params.model, request.body);
      return reply.code(status).send(body);
    },
  });

  app.delete('/v1/models/:model/labeling-queue/claims/:id', {
    schema: {
      tags: ['labeling'],
      summary: 'Release a claim',
      description: 'Its unlabeled predictions return to the queue at once. Releasing again is harmless (204).',
      params: ClaimParams,
      response: { 204: Type.Null({ description: 'released' }), ...problems(404) },
    },
    config: { scope: 'ingest' },
    handler: async (request, reply) => {
      await labeling.release(request.params.model, request.params.id);
      return reply.code(204).send(null);
    },
  });
};
