import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type JobsApi, WAIT_LIMIT_MS } from '../../jobs/api.js';
import { problems } from '../schemas.js';
import { JobList, JobParams, RunNowQuery, RunPage, RunParams, RunSchema, RunsQuery } from './schemas.js';

export const jobRoutes: FastifyPluginAsyncTypebox<{ jobs: JobsApi }> = async (app, { jobs }) => {
  app.get('/v1/jobs', {
    schema: {
      tags: ['jobs'],
      summary: 'Scheduled jobs: schedule, time zone, next run, last run',
      description:
        '`daily-learning`, `weekly-learning` and `webhook-delivery` (cron, in TZ), and one `tier:<model>:<tier>` job per tier of every policy with autoTrigger on ' +
        '(slots at the multiples of the tier’s period since midnight UTC).',
      response: { 200: JobList, ...problems() },
    },
    config: { scope: 'read' },
    handler: async (request) => ({ items: await jobs.list(request.principal) }),
  });

  app.post('/v1/jobs/:name/runs', {
    schema: {
      tags: ['jobs'],
      summary: 'Run a job now',
      description:
        'Starts a run on this replica, recorded in the same ledger as scheduled runs (trigger `manual`, slot: now), and answers 202 with it; poll ' +
        '`GET /v1/jobs/{name}/runs/{id}`, or send `wait=true` to get the finished run (200). 409 while a run of the job is going, on any replica.',
      params: JobParams,
      querystring: RunNowQuery,
      response: { 202: RunSchema, 200: RunSchema, ...problems(404, 409) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      const { run, finished } = await jobs.runNow(request.params.name, request.principal, request.query.wait ? WAIT_LIMIT_MS : 0);
      return reply.code(finished ? 200 : 202).send(run);
    },
  });

  app.get('/v1/jobs/:name/runs', {
    schema: {
      tags: ['jobs'],
      summary: 'Runs of a job, newest first, with duration, result and error',
      params: JobParams,
      querystring: RunsQuery,
      response: { 200: RunPage, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => jobs.runs(request.params.name, request.query, request.principal),
  });

  app.get('/v1/jobs/:name/runs/:id', {
    schema: { tags: ['jobs'], summary: 'One run of a job', params: RunParams, response: { 200: RunSchema, ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => jobs.run(request.params.name, request.params.id, request.principal),
  });
};
