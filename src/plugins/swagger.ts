import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const OPENAPI_INFO = {
  title: 'Hindsight',
  version: '1.0.0',
  description:
    'Closes the feedback loop of machine-learning models in production: log predictions, record outcomes, ' +
    'measure models on live outcomes, detect drift, retrain, promote or roll back.\n\n' +
    'Authenticate with **Authorize** and an API key (`Authorization: Bearer hs_…`). Errors are RFC 9457 ' +
    '`application/problem+json`.',
};

const TAGS = [
  { name: 'models', description: 'Register and configure models' },
  { name: 'versions', description: 'Model versions: registry, promotion, rollback' },
  { name: 'predictions', description: 'Log predictions, single or in batches, and read them back' },
  { name: 'outcomes', description: 'Record what actually happened' },
  { name: 'performance', description: 'How good a model really is: metrics, history and trend, error analysis, feature importance' },
  { name: 'drift', description: 'Data, prediction and concept drift between windows (or a training baseline), stored reports, streaming detectors' },
  { name: 'experiments', description: 'A/B tests between versions: assignment of units, per-arm metrics, significance (fixed or sequential), winner, promotion' },
  { name: 'labeling', description: 'Active learning: the most uncertain unlabeled predictions first, and claims so two labelers never take the same one' },
  { name: 'retraining', description: 'The retraining loop: policy, decision with reasons, retrain requests with their delivery log, the trainer’s callback' },
  { name: 'datasets', description: 'Frozen, versioned training snapshots of labeled predictions, with a content hash, streamed as JSONL or CSV' },
  { name: 'webhooks', description: 'The signed training webhook (Standard Webhooks) and subscriptions to promotion and rollback events' },
  { name: 'reports', description: 'The learning report of a model over a period: as JSON, and as a self-contained page with charts' },
  { name: 'jobs', description: 'Scheduled jobs (daily and weekly learning, tier schedules, webhook delivery): schedules, manual runs, the run ledger' },
  { name: 'alerts', description: 'Alerts: degradation, drift, retraining, experiments, failed jobs, custom; acknowledgement, resolution, the notification webhook' },
  { name: 'api-keys', description: 'API keys and their scopes (admin)' },
  { name: 'ops', description: 'Liveness, readiness and the API description' },
];

export async function registerSwagger(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: OPENAPI_INFO,
      servers: [{ url: publicUrl }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: `hs_XXXXXXXX_…`, or HINDSIGHT_ADMIN_KEY' },
        },
      },
      security: [{ bearerAuth: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // validatorUrl: no call to the online validator (the CSP's img-src would refuse its badge, and the spec stays here).
    uiConfig: { persistAuthorization: true, displayRequestDuration: true, tryItOutEnabled: true, validatorUrl: null },
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { scope: 'public' } }, async () => app.swagger());
}
