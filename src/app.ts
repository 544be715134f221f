import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createDatabase, type Database } from './db/client.js';
import { readMigrations } from './db/migrate.js';
import { PartitionManager } from './db/partitions.js';
import { AnalyticsRepository } from './db/repositories/analytics.js';
import { ApiKeysRepository } from './db/repositories/api-keys.js';
import { ExperimentMetricsRepository } from './db/repositories/experiment-metrics.js';
import { ExperimentsRepository } from './db/repositories/experiments.js';
import { LabelingRepository } from './db/repositories/labeling.js';
import { BaselinesRepository } from './db/repositories/baselines.js';
import { CatalogRepository } from './db/repositories/catalog.js';
import { DriftReportsRepository } from './db/repositories/drift-reports.js';
import { DriftStreamRepository } from './db/repositories/drift-stream.js';
import { DriftRepository } from './db/repositories/drift.js';
import { ModelsRepository } from './db/repositories/models.js';
import { OutcomesRepository } from './db/repositories/outcomes.js';
import { PredictionsRepository } from './db/repositories/predictions.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerNdjsonParser } from './plugins/ndjson.js';
import { registerSwagger } from './plugins/swagger.js';
import { registerJsonParser, registerValidation } from './plugins/validation.js';
import { apiKeyRoutes } from './routes/api-keys/index.js';
import { ProblemSchema } from './routes/schemas.js';
import { driftRoutes } from './routes/drift/index.js';
import { experimentRoutes } from './routes/experiments/index.js';
import { labelingRoutes } from './routes/labeling/index.js';
import { modelRoutes } from './routes/models/index.js';
import { opsRoutes } from './routes/ops/index.js';
import { outcomeRoutes } from './routes/outcomes/index.js';
import { performanceRoutes } from './routes/performance/index.js';
import { predictionRoutes } from './routes/predictions/index.js';
import { versionRoutes } from './routes/versions/index.js';
import { AlertsRepository } from './db/repositories/alerts.js';
import { DatasetsRepository } from './db/repositories/datasets.js';
import { RetrainRepository } from './db/repositories/retrain.js';
import { WebhooksRepository } from './db/repositories/webhooks.js';
import { datasetRoutes } from './routes/datasets/index.js';
import { retrainingRoutes } from './routes/retraining/index.js';
import { compareRoutes } from './routes/versions/compare.js';
import { webhookRoutes } from './routes/webhooks/index.js';
import { AlertService } from './services/alerts.js';
import { DatasetService } from './services/datasets.js';
import { deliveryAlerts } from './services/delivery-alerts.js';
import { PromotionGateService } from './services/promotion-gate.js';
import { type DriftSeverityProvider, RetrainDecisionService } from './services/retrain-decision.js';
import { RetrainPolicyService } from './services/retrain-policies.js';
import { RetrainService } from './services/retrain-requests.js';
import { WebhookConfigService } from './services/webhook-config.js';
import { SecretBox } from './webhooks/secrets.js';
import { type Resolver, systemResolver } from './webhooks/ssrf.js';
import { type DeliverySettings, DeliveryWorker } from './webhooks/worker.js';
import { ApiKeyService } from './services/api-keys.js';
import { BaselineService } from './services/baselines.js';
import { ModelCatalog } from './services/catalog.js';
import { DriftReportService } from './services/drift-reports.js';
import { DriftStreamService } from './services/drift-stream.js';
import { DriftService } from './services/drift.js';
import { ErrorAnalysisService } from './services/error-analysis.js';
import { ExperimentResultsService } from './services/experiment-results.js';
import { ExperimentService } from './services/experiments.js';
import { FeatureImportanceService } from './services/feature-importance.js';
import { HealthService } from './services/health.js';
import { LabelingQueueService } from './services/labeling-queue.js';
import { ModelService } from './services/models.js';
import { OutcomeIngestService } from './services/outcome-ingest.js';
import { PerformanceService } from './services/performance.js';
import { PredictionIngestService } from './services/prediction-ingest.js';
import { PredictionQueryService } from './services/prediction-query.js';

export interface Services {
  db: Database;
  keys: ApiKeyService;
  /** Drift: compute-and-store reports (the daily job), and the streaming detectors' events (alerts). */
  driftReports: DriftReportService;
  driftStream: DriftStreamService;
  experiments: ExperimentService;
  partitions: PartitionManager;
  /** The retraining loop: alerts core, requests (evaluateAndTrigger), the gate (evaluateCandidate, checkRecentPromotion), webhook delivery. */
  alerts: AlertService;
  retrain: RetrainService;
  gate: PromotionGateService;
  delivery: DeliveryWorker;
}

/** Seams for tests of the retraining loop: the delivery schedule and timeout, DNS resolution, the drift provider. */
export interface AppOverrides {
  delivery?: Partial<DeliverySettings>;
  resolve?: Resolver;
  driftSeverity?: DriftSeverityProvider;
}

export type App = FastifyInstance & { services: Services };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Composition root: database → repositories → services → routes. The caller listens and migrates. */
export async function buildApp(config: Readonly<Config> & { databaseUrl: string }, overrides: AppOverrides = {}): Promise<App> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'headers.authorization'],
      ...(process.stdout.isTTY && config.logLevel !== 'silent' ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } } : {}),
    },
    genReqId: (req) => {
      const header = req.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
    bodyLimit: config.bodyLimitBytes,
    ajv: { customOptions: { strict: false } },
    return503OnClosing: true,
  });

  const db = createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize, queryTimeoutMs: config.databaseQueryTimeoutMs }, (error) => app.log.warn({ err: error }, 'idle database connection lost'));
  app.addHook('onClose', () => db.close());
  const partitions = new PartitionManager(db.pool);
  const modelsRepo = new ModelsRepository(db.prisma);
  const catalog = new ModelCatalog(new CatalogRepository(db.pool));
  const predictionsRepo = new PredictionsRepository(db.pool, partitions);
  const keys = new ApiKeyService(new ApiKeysRepository(db.prisma), config.adminKey, (error) => app.log.warn({ err: error }, 'could not record key use'));
  // Promotions and rollbacks wake the webhook delivery (model.version.* events) declared below.
  const models = new ModelService(modelsRepo, catalog, () => delivery.wake());
  const analytics = new AnalyticsRepository(db.pool);
  const health = new HealthService(db.pool, (await readMigrations()).map((m) => m.name));
  const driftStream = new DriftStreamService(new DriftStreamRepository(db.pool), app.log);
  // Outcome ingestion advances the streaming drift detectors without waiting for them.
  const onLabeled = (modelIds: string[]) => driftStream.notify(modelIds);
  app.addHook('preClose', () => driftStream.stop());

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  app.addSchema(ProblemSchema);
  registerJsonParser(app);
  registerNdjsonParser(app);
  registerValidation(app);
  registerErrorHandling(app);
  registerAuth(app, keys);
  await registerSwagger(app, config.publicUrl);

  await app.register(opsRoutes, { health });
  await app.register(modelRoutes, { models });
  await app.register(versionRoutes, { models });
  await app.register(predictionRoutes, {
    ingest: new PredictionIngestService(predictionsRepo, catalog, onLabeled),
    query: new PredictionQueryService(predictionsRepo, catalog),
  });
  await app.register(outcomeRoutes, { outcomes: new OutcomeIngestService(new OutcomesRepository(db.pool), catalog, onLabeled) });
  await app.register(apiKeyRoutes, { keys });
  await app.register(performanceRoutes, {
    performance: new PerformanceService(analytics, catalog),
    errors: new ErrorAnalysisService(analytics, catalog),
    features: new FeatureImportanceService(analytics, catalog),
  });
  const driftRepo = new DriftRepository(db.pool);
  const drift = new DriftService(driftRepo, new BaselinesRepository(db.pool), catalog, driftStream);
  const driftReports = new DriftReportService(drift, new DriftReportsRepository(db.pool), catalog);
  await app.register(driftRoutes, { drift, reports: driftReports, baselines: new BaselineService(new BaselinesRepository(db.pool), driftRepo, catalog) });

  const experiments = new ExperimentService(new ExperimentsRepository(db.prisma), new ExperimentResultsService(new ExperimentMetricsRepository(db.pool)), catalog, models);
  await app.register(experimentRoutes, { experiments });
  await app.register(labelingRoutes, { labeling: new LabelingQueueService(new LabelingRepository(db.pool), catalog) });

  // The retraining loop (issue 5): policy, decision, datasets, webhooks and their delivery, callbacks, the gate.
  const box = new SecretBox(config.secretsKey);
  const target = { allowPrivate: config.webhookAllowPrivate, resolve: overrides.resolve ?? systemResolver };
  const webhooksRepo = new WebhooksRepository(db.pool);
  const retrainRepo = new RetrainRepository(db.pool);
  const alerts = new AlertService(new AlertsRepository(db.pool), (alert, created) =>
    app.log.warn({ alert: { id: alert.id, type: alert.type, severity: alert.severity, count: alert.count } }, `${created ? 'alert' : 'alert again'}: ${alert.title}`),
  );
  const policies = new RetrainPolicyService(retrainRepo, catalog);
  const webhookConfig = new WebhookConfigService(webhooksRepo, catalog, box, target);
  const datasets = new DatasetService(db.pool, new DatasetsRepository(db.pool), catalog, policies, (modelId) => webhookConfig.trainingSecrets(modelId), config.publicUrl);
  const delivery = new DeliveryWorker(
    { repo: webhooksRepo, box, target, log: app.log, onFinished: deliveryAlerts(alerts) },
    { pollIntervalMs: config.webhookPollIntervalMs, ...overrides.delivery },
  );
  // server.ts starts the worker; closing the app waits for the deliveries in flight.
  app.addHook('preClose', () => delivery.stop());
  const livePerformance = new PerformanceService(analytics, catalog);
  // The decision's drift check reads the latest stored drift report (the daily job stores one per model).
  const driftSeverity: DriftSeverityProvider = overrides.driftSeverity ?? ((modelId) => driftReports.latestSeverity(modelId));
  const decisions = new RetrainDecisionService(models, policies, livePerformance, retrainRepo, webhooksRepo, driftSeverity);
  const retrain = new RetrainService({
    repo: retrainRepo,
    webhooks: webhooksRepo,
    webhookConfig,
    datasets,
    policies,
    decisions,
    models,
    modelsRepo,
    catalog,
    alerts,
    publicUrl: config.publicUrl,
    wake: () => delivery.wake(),
  });
  const gate = new PromotionGateService(models, modelsRepo, catalog, livePerformance, policies, retrainRepo, alerts);
  await app.register(retrainingRoutes, { policies, retrain });
  await app.register(datasetRoutes, { datasets });
  await app.register(webhookRoutes, { webhooks: webhookConfig });
  await app.register(compareRoutes, { gate });

  const services: Services = { db, keys, partitions, experiments, driftReports, driftStream, alerts, retrain, gate, delivery };
  return Object.assign(app as unknown as FastifyInstance, { services });
}
