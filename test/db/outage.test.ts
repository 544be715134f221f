import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { ADMIN_KEY, call, problem } from '../helpers/app.js';
import { freePort, killOrphanPostgres } from '../helpers/server-process.js';

/**
 * A database outage, for real: this file runs its own PostgreSQL, stops it under a running app, and starts it
 * again on the same data directory. The app must answer 503 (never 500, never hang) while it is down, and
 * recover by itself, with the data from before.
 */
let root: string;
let dataDir: string;
let port: number;
let database: EmbeddedDatabase | undefined;
let app: App | undefined;
let databaseUrl: string;
let blocker: pg.Client | undefined;
let frozen: number[] = [];

const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
};

/** The postmaster and its children (backends, checkpointer…), read from /proc. */
function postgresProcesses(): number[] {
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so parse after the last ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

const start = () => startEmbeddedPostgres({ dataDir, port, persistent: true });

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'hindsight-outage-'));
  dataDir = path.join(root, 'data');
  port = await freePort();
  database = await start();
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query('CREATE DATABASE hindsight');
  await admin.end();
  const url = new URL(database.url);
  url.pathname = '/hindsight';
  databaseUrl = url.toString();
  await migrate(databaseUrl);
  app = await buildApp({ ...loadConfig({ HINDSIGHT_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent' }), databaseUrl });
  await app.ready();
});

afterAll(async () => {
  for (const pid of frozen) signal(pid, 'SIGCONT');
  await blocker?.end().catch(() => {});
  await app?.close().catch(() => {});
  await database?.stop().catch(() => {});
  killOrphanPostgres(dataDir);
  await rm(root, { recursive: true, force: true });
});

const prediction = (externalId: string) => ({ model: 'x', externalId, features: { f: 1 }, prediction: 2.5 });

/** Every answer while the database is down: 503 problem+json with Retry-After, quickly. */
async function expectUnavailable(method: 'GET' | 'POST', url: string, body?: unknown, key?: string | null) {
  const started = Date.now();
  const response = await call(app!, method, url, body, key);
  const elapsed = Date.now() - started;
  const p = problem(response, 503);
  expect(p).toMatchObject({ type: expect.stringContaining('unavailable'), title: expect.any(String), status: 503, detail: expect.any(String), requestId: expect.any(String) });
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
  expect(elapsed, `${method} ${url} took ${elapsed} ms`).toBeLessThan(10_000);
  return p;
}

describe('database outage', () => {
  it('answers 503 while PostgreSQL is down and recovers by itself when it is back', { timeout: 40_000 }, async () => {
    const created = await call(app!, 'POST', '/v1/models', { name: 'x', task: 'regression' });
    expect(created.statusCode, created.body).toBe(201);
    const first = await call(app!, 'POST', '/v1/predictions', prediction('before'));
    expect(first.statusCode, first.body).toBe(201);
    const firstId = first.json().id as string;
    const keyResponse = await call(app!, 'POST', '/v1/api-keys', { name: 'stored key', scopes: ['ingest', 'read'] });
    expect(keyResponse.statusCode).toBe(201);
    const storedKey = keyResponse.json().key as string;
    expect((await call(app!, 'GET', '/readyz', undefined, null)).statusCode).toBe(200);

    // Requests that are inside PostgreSQL when it stops, through raw SQL (ingestion) and through Prisma (models,
    // key lookup): hold them on locks, then stop the server under them.
    const freshKey = await call(app!, 'POST', '/v1/api-keys', { name: 'never used', scopes: ['read'] });
    expect(freshKey.statusCode).toBe(201);
    blocker = new pg.Client({ connectionString: databaseUrl });
    blocker.on('error', () => {});
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE predictions, models, api_keys IN ACCESS EXCLUSIVE MODE');
    const blocked = [
      call(app!, 'POST', '/v1/predictions', prediction('blocked')),
      call(app!, 'POST', '/v1/predictions/batch', { items: Array.from({ length: 100 }, (_, i) => prediction(`blocked-${i}`)) }),
      call(app!, 'GET', '/v1/models/x'),
      call(app!, 'GET', '/v1/models', undefined, freshKey.json().key as string),
    ];
    const blockedAt = Date.now();
    for (let waiting = 0; waiting < blocked.length; ) {
      expect(Date.now() - blockedAt, 'the requests reach the locks').toBeLessThan(10_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Inside a transaction pg_stat_activity is a snapshot taken at first use: refresh it.
      await blocker.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await blocker.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'hindsight' AND wait_event_type = 'Lock'`,
      );
      waiting = rows[0]!.n;
    }

    await database!.stop();
    database = undefined;
    await blocker.end().catch(() => {});
    blocker = undefined;

    for (const response of await Promise.all(blocked)) {
      const p = problem(response, 503);
      expect(p).toMatchObject({ status: 503, type: expect.stringContaining('unavailable'), title: expect.any(String), detail: expect.any(String), requestId: expect.any(String) });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(Date.now() - blockedAt).toBeLessThan(10_000);

    await expectUnavailable('POST', '/v1/predictions', prediction('during'));
    await expectUnavailable('POST', '/v1/predictions/batch', { items: [prediction('during-1'), prediction('during-2')] });
    await expectUnavailable('GET', '/v1/models/x');
    await expectUnavailable('GET', `/v1/predictions/${firstId}`);
    await expectUnavailable('POST', '/v1/outcomes', { predictionId: firstId, actual: 2 });
    const ready = await expectUnavailable('GET', '/readyz', undefined, null);
    expect(ready.detail).toMatch(/database/);
    // A key that must be looked up in the database: 503 too, not 401 (the key is fine, the database is not).
    // (A key used before the outage may still be cached, so use a new, never-seen one.)
    await expectUnavailable('GET', '/v1/models/x', undefined, `${storedKey.slice(0, -1)}Q`);
    // Liveness does not depend on the database.
    expect((await call(app!, 'GET', '/healthz', undefined, null)).statusCode).toBe(200);

    database = await start();

    // The same app, untouched, becomes ready again within a few seconds.
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await call(app!, 'GET', '/readyz', undefined, null)).statusCode;
      if (status === 200) break;
      expect(status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);

    const after = await call(app!, 'POST', '/v1/predictions', prediction('after'), storedKey);
    expect(after.statusCode, after.body).toBe(201);
    const before = await call(app!, 'GET', `/v1/predictions/${firstId}`, undefined, storedKey);
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json()).toMatchObject({ id: firstId, model: 'x', externalId: 'before', prediction: 2.5 });
    expect((await call(app!, 'GET', '/v1/models/x')).statusCode).toBe(200);

    // Nothing sent during the outage was stored; everything from before and after was.
    const sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ external_id: string }>('SELECT external_id FROM predictions ORDER BY external_id');
      expect(rows.map((r) => r.external_id)).toEqual(['after', 'before']);
      const { rows: outcomes } = await sql.query('SELECT count(*)::int AS n FROM outcomes');
      expect(outcomes[0].n).toBe(0);
    } finally {
      await sql.end();
    }
  });

  it('fails readiness within seconds, instead of hanging, while PostgreSQL accepts connections but does not answer', { timeout: 30_000 }, async () => {
    expect((await call(app!, 'GET', '/readyz', undefined, null)).statusCode).toBe(200);
    frozen = postgresProcesses();
    for (const pid of frozen) signal(pid, 'SIGSTOP');
    try {
      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        const response = await call(app!, 'GET', '/readyz', undefined, null);
        const p = problem(response, 503);
        expect(p.detail).toMatch(/database/);
        expect(response.headers['retry-after']).toBeDefined();
        expect(Date.now() - started).toBeLessThan(10_000);
      }
      expect((await call(app!, 'GET', '/healthz', undefined, null)).statusCode).toBe(200);
    } finally {
      for (const pid of frozen) signal(pid, 'SIGCONT');
      frozen = [];
    }
    // Thawed: ready again, and the connections that did not answer were not kept in the pool.
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await call(app!, 'GET', '/readyz', undefined, null)).statusCode;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    const response = await call(app!, 'POST', '/v1/predictions', prediction('thawed'));
    expect(response.statusCode, response.body).toBe(201);
  });
});
