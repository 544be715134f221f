import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AlertService } from '../../services/alerts.js';
import { problems } from '../schemas.js';
import { AlertPage, AlertParams, AlertSchema, CreateAlertBody, ListAlertsQuery, NoteBody } from './schemas.js';

export const alertRoutes: FastifyPluginAsyncTypebox<{ alerts: AlertService }> = async (app, { alerts }) => {
  app.get('/v1/alerts', {
    schema: {
      tags: ['alerts'],
      summary: 'Alerts, most recently seen first',
      description:
        'Filters: `since=24h` (seen within the last 24 hours) or `from`/`to`, `model`, `type` (exact, or a prefix such as `drift.*`), `severity` (at least), `status`. ' +
        'A key limited to some models sees only their alerts.',
      querystring: ListAlertsQuery,
      response: { 200: AlertPage, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => alerts.list(request.query, request.principal),
  });

  app.get('/v1/alerts/:id', {
    schema: { tags: ['alerts'], summary: 'One alert', params: AlertParams, response: { 200: AlertSchema, ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => alerts.get(request.params.id, request.principal),
  });

  app.post('/v1/alerts', {
    schema: {
      tags: ['alerts'],
      summary: 'Raise a custom alert',
      description:
        'For conditions Hindsight cannot see (a labeling backlog, an upstream outage). The type is namespaced: `custom.<name>`. While an alert with the same key ' +
        '(default: type and model) is unresolved, raising it again counts on it and answers 200; a new alert is a 201. It is notified like every other alert.',
      body: CreateAlertBody,
      response: { 201: AlertSchema, 200: AlertSchema, ...problems(404) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      const { alert, created } = await alerts.create(request.body, request.principal);
      return reply.code(created ? 201 : 200).send(alert);
    },
  });

  app.post('/v1/alerts/:id/acknowledge', {
    schema: {
      tags: ['alerts'],
      summary: 'Acknowledge an alert: someone is on it',
      description:
        'Idempotent: an acknowledged alert is answered as it is. The condition seen again still counts on it; an escalation above its peak severity opens it again. ' +
        'A resolved alert cannot be acknowledged (409).',
      params: AlertParams,
      body: NoteBody,
      response: { 200: AlertSchema, ...problems(404, 409) },
    },
    config: { scope: 'admin' },
    handler: (request) => alerts.acknowledge(request.params.id, request.body?.note, request.principal),
  });

  app.post('/v1/alerts/:id/resolve', {
    schema: {
      tags: ['alerts'],
      summary: 'Resolve an alert',
      description:
        'Closes the alert (idempotent). The daily job resolves the alerts of conditions it measures (degradation, drift, retraining, experiments, failed jobs) once they clear; ' +
        'events such as a failed delivery, a disabled webhook or a rollback are resolved by a person. The same condition later opens a new alert.',
      params: AlertParams,
      body: NoteBody,
      response: { 200: AlertSchema, ...problems(404) },
    },
    config: { scope: 'admin' },
    handler: (request) => alerts.resolve(request.params.id, request.body?.note, request.principal),
  });
};
