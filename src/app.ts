import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createDatabase, type Database } from './db/client.js';
import { readMigrations } from './db/migrate.js';
import { PartitionManager } from './db/partitions.js';
import { AnalyticsRepository } from './db/repositories/analytics.js';
import { ApiKeysRepository } from './db/repositories/api-keys.js';
import { CatalogRepository } from './db/repositories/catalog.js';
import { ModelsRepository } from './db/repositories/models.js';
import { OutcomesRepository } from './db/repositories/outcomes.js';
import { PredictionsRepository } from './db/repositories/predictions.js';
import { registerAuth } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/errors.js';
import { registerSwagger } from './plugins/swagger.js';
import { registerJsonParser, registerValidation } from './plugins/validation.js';
import { apiKeyRoutes } from './routes/api-keys/index.js';
import { modelRoutes } from './routes/models/index.js';
import { opsRoutes } from './routes/ops/index.js';
import { outcomeRoutes } from './routes/outcomes/index.js';
import { performanceRoutes } from './routes/performance/index.js';
import { predictionRoutes } from './routes/predictions/index.js';
import { versionRoutes } from './routes/versions/index.js';
import { ApiKeyService } from './services/api-keys.js';
import { ModelCatalog } from './services/catalog.js';
import { ErrorAnalysisService } from './services/error-analysis.js';
import { FeatureImportanceService } from './services/feature-importance.js';
import { HealthService } from './services/health.js';
import { ModelService } from './services/models.js';
import { OutcomeIngestService } from './services/outcome-ingest.js';
import { PerformanceService } from './services/performance.js';
import { PredictionIngestService } from './services/prediction-ingest.js';
import { PredictionQueryService } from './services/prediction-query.js';

export interface Services {
  db: Database;
  keys: ApiKeyService;
  partitions: PartitionManager;
}

export type App = FastifyInstance & { services: Services };

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Composition root: database → repositories → services → routes. The caller listens and migrates. */
export async function buildApp(config: Readonly<Config> & { databaseUrl: string }): Promise<App> {
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
  const models = new ModelService(modelsRepo, catalog);
  const analytics = new AnalyticsRepository(db.pool);
  const health = new HealthService(db.pool, (await readMigrations()).map((m) => m.name));

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  registerJsonParser(app);
  registerValidation(app);
  registerErrorHandling(app);
  registerAuth(app, keys);
  await registerSwagger(app, config.publicUrl);

  await app.register(opsRoutes, { health });
  await app.register(modelRoutes, { models });
  await app.register(versionRoutes, { models });
  await app.register(predictionRoutes, {
    ingest: new PredictionIngestService(predictionsRepo, catalog),
    query: new PredictionQueryService(predictionsRepo, catalog),
  });
  await app.register(outcomeRoutes, { outcomes: new OutcomeIngestService(new OutcomesRepository(db.pool), catalog) });
  await app.register(apiKeyRoutes, { keys });
  await app.register(performanceRoutes, {
    performance: new PerformanceService(analytics, catalog),
    errors: new ErrorAnalysisService(analytics, catalog),
    features: new FeatureImportanceService(analytics, catalog),
  });

  const services: Services = { db, keys, partitions };
  return Object.assign(app as unknown as FastifyInstance, { services });
}
