import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { migrate } from './db/migrate.js';

/** Entry point: config → database (embedded when DATABASE_URL is unset) → migrations → app → listen. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = pino({ level: config.logLevel, ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty' } } : {}) });

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    log.info({ dataDir: config.embeddedDataDir }, 'DATABASE_URL is not set: starting the embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({ dataDir: config.embeddedDataDir, port: config.embeddedPort, persistent: true });
    databaseUrl = await ensureDatabase(embedded.url, 'hindsight');
    log.info({ url: databaseUrl.replace(/:[^:@/]*@/, ':***@') }, `embedded PostgreSQL listening on 127.0.0.1:${config.embeddedPort}`);
    if (config.webhookAllowPrivateByDefault) {
      log.info('embedded development mode: webhooks may target loopback and private addresses over plain http (HINDSIGHT_WEBHOOK_ALLOW_PRIVATE defaults to true without DATABASE_URL; set it to false to refuse them)');
    }
  }

  await migrate(databaseUrl, (message) => log.info(message));
  const app = await buildApp({ ...config, databaseUrl });
  await app.services.partitions.ensureAhead();
  const generated = await app.services.keys.bootstrapAdminKey();
  if (generated) {
    // The key goes to stderr once, never into the structured logs (which are shipped and kept elsewhere).
    app.log.warn('no admin key was configured: generated one; it is printed once on stderr, store it now');
    process.stderr.write(`\n  Hindsight admin API key (shown once, store it now):\n\n    ${generated}\n\n`);
    if (embedded) {
      // Local development: keep it beside the embedded database so that the README's curl examples work as written.
      const file = path.join(path.dirname(path.resolve(config.embeddedDataDir)), 'admin-key');
      await writeFile(file, `${generated}\n`, { mode: 0o600 });
      app.log.info(`the admin key is also saved in ${file}`);
    }
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    let code = 0;
    try {
      // The job runs and the webhook delivery in flight finish and are recorded while the database is still open.
      await app.services.scheduler.stop();
      await app.services.delivery.stop();
      await app.close();
      await embedded?.stop();
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      code = 1;
    } finally {
      clearTimeout(force);
      process.exit(code);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  // Delivers the webhook outbox (retrain requests, promotion events); the rows survive restarts.
  // With the scheduler, its webhook-delivery job sends due retries on schedule and the worker only runs when woken
  // (something was just stored); without it (SCHEDULER_ENABLED=false), the worker polls by itself.
  app.services.delivery.start({ poll: !config.schedulerEnabled });
  if (config.schedulerEnabled) {
    app.services.scheduler.start();
    app.log.info({ replica: config.replicaId, timezone: config.timezone, daily: config.dailyJobCron, weekly: config.weeklyJobCron }, 'scheduler started');
  }
  app.log.info(`Hindsight is ready: API ${config.publicUrl}/v1, Swagger UI ${config.publicUrl}/docs`);
}

async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

main().catch((error) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
