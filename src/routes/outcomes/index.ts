import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { compileBodyValidator } from '../../plugins/validation.js';
import type { OutcomeIngestService } from '../../services/outcome-ingest.js';
import { envelopeOnly, itemPrefix, sendBatch } from '../batch.js';
import { BatchResultSchema, OUTCOME_EXAMPLE, OutcomeBodySchema, RecordedOutcomeSchema, batchBody } from '../predictions/schemas.js';
import { problems } from '../schemas.js';

export const outcomeRoutes: FastifyPluginAsyncTypebox<{ outcomes: OutcomeIngestService }> = async (app, { outcomes }) => {
  const checkItem = compileBodyValidator(OutcomeBodySchema);

  app.post('/v1/outcomes', {
    schema: {
      tags: ['outcomes'],
      summary: 'Record the actual outcome of a prediction',
      description:
        'By `predictionId`, or by `model` + `externalId`. The answer says what was learned: `correct` (classification) or ' +
        '`error` = predicted − actual, `absoluteError`, `absolutePercentageError` (regression), and `labelDelaySeconds`. ' +
        'The same actual again is 200; a different actual for a labeled prediction is 409.',
      body: OutcomeBodySchema,
      response: { 201: RecordedOutcomeSchema, 200: RecordedOutcomeSchema, ...problems(404, 409, 422) },
    },
    config: { scope: 'ingest' },
    handler: async (request, reply) => {
      const [result] = await outcomes.record([request.body], request.principal, () => '/body');
      if (result!.status === 'failed') throw result!.error;
      return reply.code(result!.status === 'created' ? 201 : 200).send(result!.outcome);
    },
  });

  app.post('/v1/outcomes/batch', {
    schema: {
      tags: ['outcomes'],
      summary: 'Record up to 10,000 outcomes',
      description: 'Same result shape as the prediction batch; `id` is the prediction id.',
      body: batchBody(OutcomeBodySchema, OUTCOME_EXAMPLE),
      response: { 201: BatchResultSchema, 200: BatchResultSchema, 207: BatchResultSchema, ...problems(413) },
    },
    validatorCompiler: envelopeOnly,
    config: { scope: 'ingest' },
    handler: async (request, reply) => {
      const items = (request.body as { items: unknown[] }).items;
      const results = await outcomes.record(items, request.principal, itemPrefix, checkItem);
      return sendBatch(
        request,
        reply,
        results.map((r) => (r.status === 'failed' ? r : { index: r.index, status: r.status, id: r.outcome.predictionId })),
      );
    },
  });
};
