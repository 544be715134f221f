import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { compileBodyValidator } from '../../plugins/validation.js';
import type { PredictionIngestService } from '../../services/prediction-ingest.js';
import type { PredictionQueryService } from '../../services/prediction-query.js';
import { envelopeOnly, itemPrefix, sendBatch } from '../batch.js';
import { ModelParams, Page, problems } from '../schemas.js';
import { BatchResultSchema, ListPredictionsQuery, PREDICTION_EXAMPLE, PredictionBodySchema, PredictionId, PredictionSchema, batchBody } from './schemas.js';

export const predictionRoutes: FastifyPluginAsyncTypebox<{ ingest: PredictionIngestService; query: PredictionQueryService }> = async (
  app,
  { ingest, query },
) => {
  const checkItem = compileBodyValidator(PredictionBodySchema);

  app.post('/v1/predictions', {
    schema: {
      tags: ['predictions'],
      summary: 'Log a prediction',
      description:
        'Idempotent by `id`, or by `model` + `externalId`: the same body again answers 200 with the stored prediction, a different body 409. ' +
        'An inline `actual` records the outcome at the same time.',
      body: PredictionBodySchema,
      response: { 201: PredictionSchema, 200: PredictionSchema, ...problems(404, 409, 413, 422) },
    },
    config: { scope: 'ingest' },
    handler: async (request, reply) => {
      const [result] = await ingest.ingest([request.body], request.principal, () => '/body');
      if (result!.status === 'failed') throw result!.error;
      if (result!.status === 'created') return reply.code(201).send(await query.viewCreated(result!));
      return reply.code(200).send(await query.get(result!.id));
    },
  });

  app.post('/v1/predictions/batch', {
    schema: {
      tags: ['predictions'],
      summary: 'Log up to 10,000 predictions',
      description:
        'Each item is validated and stored on its own: valid items are stored even when others fail. Results come in input order. ' +
        '201 when every item was created, 207 when any failed, 200 when none failed but some were retries (`duplicate`). More than 10,000 items: 413.',
      body: batchBody(PredictionBodySchema, PREDICTION_EXAMPLE),
      response: { 201: BatchResultSchema, 200: BatchResultSchema, 207: BatchResultSchema, ...problems(413) },
    },
    validatorCompiler: envelopeOnly,
    config: { scope: 'ingest' },
    handler: async (request, reply) => {
      const items = (request.body as { items: unknown[] }).items;
      return sendBatch(request, reply, await ingest.ingest(items, request.principal, itemPrefix, checkItem));
    },
  });

  app.get('/v1/predictions/:id', {
    schema: {
      tags: ['predictions'],
      summary: 'Get a prediction with its outcome',
      params: Type.Object({ id: PredictionId }, { additionalProperties: false }),
      response: { 200: PredictionSchema, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => query.get(request.params.id, request.principal),
  });

  app.get('/v1/models/:model/predictions', {
    schema: {
      tags: ['predictions'],
      summary: 'List a model’s predictions, newest first',
      params: ModelParams,
      querystring: ListPredictionsQuery,
      response: { 200: Page(PredictionSchema), ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => query.list(request.params.model, request.query),
  });
};
