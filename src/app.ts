import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
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
import { registerCommonResponses } from './plugins/common-responses.js';
import { registerRateLimits, registerSecurityHeaders } from './plugins/limits.js';
import { HindsightMetrics, registerMetrics } from './plugins/metrics.js';
import { countDeliveries, countOutcomes, countPredictions, publishPerformance } from './plugins/metrics-wiring.js';
import { ObservabilityRepository } from './db/repositories/observability.js';
import { registerErrorHandling, sendProblem } from './plugins/errors.js';
import { HttpError } from './errors.js';
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
import { reportRoutes } from './routes/reports/index.js';
import { ReportsRepository } from './db/repositories/reports.js';
import { ReportService } from './services/report.js';
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
// Scheduled learning and alerts (issue 6).
import { AlertEndpointRepository } from './db/repositories/alert-endpoint.js';
import { JobRunsRepository } from './db/repositories/job-runs.js';
import { LearningRepository } from './db/repositories/learning.js';
import { JobsApi } from './jobs/api.js';
import { buildScheduler } from './jobs/index.js';
import type { Scheduler } from './jobs/scheduler.js';
import { DAILY_LEARNING } from './domain/job-schedule.js';
import { alertRoutes } from './routes/alerts/index.js';
import { jobRoutes } from './routes/jobs/index.js';
import { AlertNotifier } from './services/alert-notifier.js';
import { DailyLearningService } from './services/daily-learning.js';
import { ExperimentWatch } from './services/experiment-watch.js';
import { LoopStatusService } from './services/loop-status.js';
import { WeeklyLearningService } from './services/weekly-learning.js';

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
  /** Prometheus instruments; the scheduler reports each finished run with `metrics.jobRun(job, status, seconds)`. */
  metrics: HindsightMetrics;
  /** Learning reports: `reports.build(model, { period })` (the weekly job builds one per model). */
  reports: ReportService;
  /** The scheduler (issue 6): server.ts starts it; `runNow(name)` starts a run by hand. */
  scheduler: Scheduler;
}

/** Seams for tests of the retraining loop: the delivery schedule and timeout, DNS resolution, the drift provider. */
export interface AppOverrides {
  delivery?: Partial<DeliverySettings>;
  resolve?: Resolver;
  driftSeverity?: DriftSeverityProvider;
  /** Where the pino logger writes (default stdout): the security tests read every line it wrote. */
  logStream?: { write(line: string): void };
}

export type App = FastifyInstance & { services: Services };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Composition root: database → repositories → services → routes. The caller listens and migrates. */
export async function buildApp(config: Readonly<Config> & { databaseUrl: string }, overrides: AppOverrides = {}): Promise<App> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'headers.authorization'],
      // A signed dataset download URL is a credential until it expires: its signature is not logged.
      serializers: {
        req: (request: FastifyRequest) => ({
          method: request.method,
          url: request.url.replace(/([?&]signature=)[^&#]*/gi, '$1[redacted]'),
          host: request.host,
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
      ...(overrides.logStream ? { stream: overrides.logStream } : {}),
      ...(!overrides.logStream && process.stdout.isTTY && config.logLevel !== 'silent' ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } } : {}),
    },
    genReqId: (req) => {
      const header = req.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // Node checks requestTimeout every 30 s by default: check often enough for the configured bound to hold. Node
    // also never enforces a requestTimeout shorter than headersTimeout (60 s) when it is set after construction,
    // as Fastify does: headersTimeout is brought down to it here.
    http: {
      connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.floor((config.requestTimeoutMs || 120_000) / 4))),
      headersTimeout: Math.min(60_000, config.requestTimeoutMs || 60_000),
    },
    ajv: { customOptions: { strict: false } },
    return503OnClosing: true,
    // A path parameter may be a client's prediction id (up to 128 characters): the router's default of 100
    // answered 414 for valid ids. Longer ones reach validation, which names the parameter (400).
    routerOptions: { maxParamLength: 1_000 },
    // The router's own refusals (a malformed %-escape, an overlong path parameter) are problem+json like every error.
    frameworkErrors: (error, request, reply) =>
      sendProblem(request, reply, new HttpError(400, 'bad-request', 'Bad request', error.code === 'FST_ERR_BAD_URL' ? 'the URL has a malformed %-escape' : 'a path parameter is too long')),
  });

  const db = createDatabase(config.databaseUrl, { poolSize: config.databasePoolSize, queryTimeoutMs: config.databaseQueryTimeoutMs }, (error) => app.log.warn({ err: error }, 'idle database connection lost'));
  app.addHook('onClose', () => db.close());
  const observability = new ObservabilityRepository(db.pool);
  const metrics = new HindsightMetrics({ pool: () => db.pool, poolMax: config.databasePoolSize, drift: () => observability.latestDriftReports(), snapshots: () => observability.latestPerformanceSnapshots() });
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
  registerSecurityHeaders(app, config.publicUrl);
  registerAuth(app, keys);
  registerCommonResponses(app);
  // After auth (rate limits are per key), before every route (their hooks are attached per route).
  await registerRateLimits(app, { ingestPerMinute: config.rateLimitIngestPerMinute, perMinute: config.rateLimitPerMinute });
  registerMetrics(app, { metrics, keys, token: config.metricsToken });
  await registerSwagger(app, config.publicUrl);

  await app.register(opsRoutes, { health });
  // The single-model GET carries the loop status, built with the retraining loop below.
  await app.register(modelRoutes, { models, loop: (name) => loopStatus.status(name) });
  await app.register(versionRoutes, { models });
  await app.register(predictionRoutes, {
    ingest: countPredictions(new PredictionIngestService(predictionsRepo, catalog, onLabeled), metrics),
    query: new PredictionQueryService(predictionsRepo, catalog),
  });
  await app.register(outcomeRoutes, { outcomes: countOutcomes(new OutcomeIngestService(new OutcomesRepository(db.pool), catalog, onLabeled), metrics) });
  await app.register(apiKeyRoutes, { keys });
  // Stateless analyses, shared by the routes, the retraining loop, the reports and the jobs.
  const performance = publishPerformance(new PerformanceService(analytics, catalog), metrics);
  const errorAnalysis = new ErrorAnalysisService(analytics, catalog);
  const featureImportance = new FeatureImportanceService(analytics, catalog);
  await app.register(performanceRoutes, { performance, errors: errorAnalysis, features: featureImportance });
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
  // Alert notifications (ALERT_WEBHOOK_URL) are outbox messages, stored with the alert and sent by the delivery worker.
  const alertNotifier = new AlertNotifier(
    new AlertEndpointRepository(db.pool),
    box,
    { url: config.alertWebhookUrl, secret: config.alertWebhookSecret, minSeverity: config.alertWebhookMinSeverity, publicUrl: config.publicUrl },
    () => delivery.wake(),
    app.log,
  );
  const alertsRepo = new AlertsRepository(db.pool);
  const alerts = new AlertService(
    alertsRepo,
    (alert, created) => app.log.warn({ alert: { id: alert.id, type: alert.type, severity: alert.severity, count: alert.count } }, `${created ? 'alert' : 'alert again'}: ${alert.title}`),
    alertNotifier,
    catalog,
  );
  const policies = new RetrainPolicyService(retrainRepo, catalog);
  const webhookConfig = new WebhookConfigService(webhooksRepo, catalog, box, target);
  const datasets = new DatasetService(db.pool, new DatasetsRepository(db.pool), catalog, policies, (modelId) => webhookConfig.trainingSecrets(modelId), config.publicUrl);
  const delivery = new DeliveryWorker(
    { repo: webhooksRepo, box, target, log: app.log, onFinished: countDeliveries(deliveryAlerts(alerts), metrics) },
    { pollIntervalMs: config.webhookPollIntervalMs, ...overrides.delivery },
  );
  // server.ts starts the worker; closing the app waits for the deliveries in flight.
  app.addHook('preClose', () => delivery.stop());
  // The decision's drift check reads the latest stored drift report (the daily job stores one per model).
  const driftSeverity: DriftSeverityProvider = overrides.driftSeverity ?? ((modelId) => driftReports.latestSeverity(modelId));
  const decisions = new RetrainDecisionService(models, policies, performance, retrainRepo, webhooksRepo, driftSeverity);
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
  const gate = new PromotionGateService(models, modelsRepo, catalog, performance, policies, retrainRepo, alerts);
  await app.register(retrainingRoutes, { policies, retrain });
  await app.register(datasetRoutes, { datasets });
  await app.register(webhookRoutes, { webhooks: webhookConfig });
  await app.register(compareRoutes, { gate });

  // Learning reports (issue 6): every analysis of a model over a period, as JSON and as a page.
  const reports = new ReportService({
    catalog,
    models,
    performance,
    errors: errorAnalysis,
    analytics,
    drift,
    driftReports,
    retrain,
    experiments,
    alerts: alertsRepo,
    reports: new ReportsRepository(db.pool),
    publicUrl: config.publicUrl,
  });
  await app.register(reportRoutes, { reports });

  // Scheduled learning and alerts (issue 6): the jobs, their ledger and API, the alerts API, the loop status.
  const learningRepo = new LearningRepository(db.pool);
  const jobRuns = new JobRunsRepository(db.pool);
  const modelIds = async (names: string[]) => new Map((await Promise.all([...new Set(names)].map((n) => catalog.find(n)))).flatMap((m) => (m ? [[m.name, m.id] as const] : [])));
  const daily = new DailyLearningService({ repo: learningRepo, policies, performance, errors: errorAnalysis, driftReports, driftStream, retrain, gate, alerts });
  const experimentWatch = new ExperimentWatch(experiments, alerts, modelIds);
  const weekly = new WeeklyLearningService({
    features: featureImportance,
    retrain,
    report: async (name) => {
      const report = await reports.build(name, { period: '7d' });
      return { summary: report.summary, links: report.links };
    },
  });
  const scheduler = buildScheduler(config, {
    ledger: jobRuns,
    learningRepo,
    daily,
    weekly,
    experiments: experimentWatch,
    retrain,
    delivery,
    alerts,
    modelId: async (name) => (await catalog.find(name))?.id ?? null,
    observe: (run) => metrics.jobRun(run.job, run.status, (run.durationMs ?? 0) / 1000),
    onStart: () => alertNotifier.sync(),
    log: app.log,
  });
  // Closing the app waits for the runs in progress (server.ts starts the scheduler).
  app.addHook('preClose', () => scheduler.stop());
  await app.register(jobRoutes, { jobs: new JobsApi(scheduler, jobRuns) });
  await app.register(alertRoutes, { alerts });
  const loopStatus = new LoopStatusService({
    repo: learningRepo,
    models,
    policies,
    retrain: retrainRepo,
    driftReports,
    alerts,
    dailyLearning: async () => {
      const last = (await jobRuns.latest([DAILY_LEARNING])).get(DAILY_LEARNING)?.last ?? null;
      return { lastRunAt: last?.startedAt.toISOString() ?? null, lastRunStatus: last?.status ?? null, nextRunAt: scheduler.nextRunOf(DAILY_LEARNING)?.toISOString() ?? null };
    },
  });

  const services: Services = { db, keys, partitions, experiments, driftReports, driftStream, alerts, retrain, gate, delivery, metrics, reports, scheduler };
  return Object.assign(app as unknown as FastifyInstance, { services });
}
