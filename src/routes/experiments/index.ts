import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ExperimentService } from '../../services/experiments.js';
import { Page, problems } from '../schemas.js';
import {
  AssignmentQuery,
  AssignmentSchema,
  ConcludeBody,
  ConclusionSchema,
  CreateExperimentBody,
  ExperimentParams,
  ExperimentSchema,
  ListExperimentsQuery,
  ResultsSchema,
} from './schemas.js';

export const experimentRoutes: FastifyPluginAsyncTypebox<{ experiments: ExperimentService }> = async (app, { experiments }) => {
  app.post('/v1/experiments', {
    schema: {
      tags: ['experiments'],
      summary: 'Start an A/B experiment between versions of a model',
      description:
        'Arms are distinct registered versions of the model, the first being the control; weights are normalised. A prediction belongs to an arm when it was logged with the arm’s ' +
        'version **and a `unit`**, with predictedAt in [startsAt, endsAt). A model runs one experiment at a time (409 otherwise): predictions carry no experiment id.',
      body: CreateExperimentBody,
      response: { 201: ExperimentSchema, ...problems(404, 409, 422) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => reply.code(201).send(await experiments.create(request.body, request.principal)),
  });

  app.get('/v1/experiments', {
    schema: {
      tags: ['experiments'],
      summary: 'List experiments, newest first',
      querystring: ListExperimentsQuery,
      response: { 200: Page(ExperimentSchema), ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => experiments.list(request.query, request.principal),
  });

  app.get('/v1/experiments/:id', {
    schema: { tags: ['experiments'], summary: 'Get an experiment', params: ExperimentParams, response: { 200: ExperimentSchema, ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => experiments.get(request.params.id, request.principal),
  });

  app.get('/v1/experiments/:id/assignment', {
    schema: {
      tags: ['experiments'],
      summary: 'Which version to serve a unit',
      description:
        'Deterministic and stateless: u = first 53 bits of SHA-256("<experiment id>:<unit>") / 2^53, and the arm is the first whose cumulative weight exceeds u. ' +
        'Serve that version and log the predictions with it and with `unit`. Once the experiment is concluded every unit gets the winner (or the control when there was none). ' +
        'The definition is cached for 5 s, so the serving side may call this on every request.',
      params: ExperimentParams,
      querystring: AssignmentQuery,
      response: { 200: AssignmentSchema, ...problems(404) },
    },
    config: { scope: 'ingest' },
    handler: (request) => experiments.assignment(request.params.id, request.query.unit, request.principal),
  });

  app.get('/v1/experiments/:id/results', {
    schema: {
      tags: ['experiments'],
      summary: 'Per-arm metrics, the test against the control, the split check and the winner',
      description:
        'Fixed mode: two-proportion z-test on correctness (accuracy) or Welch’s t-test on the per-prediction errors, with the confidence interval of the difference. ' +
        'Sequential mode: the mSPRT (Johari et al. 2017) with an always-valid p-value and confidence sequence over daily looks. More than two arms: each against the control, Holm-corrected. ' +
        'Sample ratio mismatch: χ² goodness of fit of units per arm against the weights (p < 0.001 flags it). After conclusion the results are frozen.',
      params: ExperimentParams,
      response: { 200: ResultsSchema, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => experiments.resultsOf(request.params.id, request.principal),
  });

  app.post('/v1/experiments/:id/conclude', {
    schema: {
      tags: ['experiments'],
      summary: 'Stop an experiment, optionally promoting its winner',
      description: 'Freezes the results (later outcomes change nothing) and the winner. With `promote: true` the winner becomes the production version; 409 when there is no winner (the experiment then stays running).',
      params: ExperimentParams,
      body: Type.Optional(ConcludeBody),
      response: { 200: ConclusionSchema, ...problems(404, 409) },
    },
    config: { scope: 'admin' },
    handler: (request) => experiments.conclude(request.params.id, request.body ?? {}, request.principal),
  });
};
