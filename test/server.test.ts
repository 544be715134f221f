import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readMigrations } from '../src/db/migrate.js';
import { withDatabase } from './setup/global-db.js';
import { freePort, killOrphanPostgres, startServer, waitForStatus, type ServerProcess } from './helpers/server-process.js';

/** The real entry point, run as a child process, over real sockets. */

const GENERATED_KEY = /hs_[0-9A-Za-z]{8}_[0-9A-Za-z]{32}/g;
const children: ServerProcess[] = [];
let root: string;

function launch(env: Record<string, string>): ServerProcess {
  const server = startServer(env);
  children.push(server);
  return server;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'hindsight-server-'));
});

afterAll(async () => {
  // Even when a test failed half-way: no server, and no PostgreSQL, outlives this file.
  await Promise.all(children.map((child) => child.stop(3_000)));
  killOrphanPostgres(path.join(root, 'pg'));
  await rm(root, { recursive: true, force: true });
});

async function api(base: string, method: string, url: string, key: string, body?: unknown) {
  const response = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

/**
 * POSTs `body` with `Expect: 100-continue`: once the server has taken the request (it answered 100),
 * sends the first half of the body, awaits `midway`, then sends the rest. The request is in flight —
 * accepted, authenticated and half-read — while `midway` runs.
 */
function postInTwoHalves(url: string, key: string, body: Buffer, midway: () => Promise<void>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' },
    });
    request.on('continue', () => {
      const half = Math.floor(body.length / 2);
      request.write(body.subarray(0, half), () => {
        midway().then(() => request.end(body.subarray(half)), reject);
      });
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.setTimeout(30_000, () => request.destroy(new Error('the batch request timed out')));
    request.flushHeaders();
  });
}

describe('the server process with the embedded PostgreSQL', () => {
  let pgPort: number;
  let port: number;
  let dataDir: string;
  let adminKey: string;
  const env = () => ({ EMBEDDED_PG_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), PORT: String(port), LOG_LEVEL: 'info' });

  beforeAll(async () => {
    pgPort = await freePort();
    port = await freePort();
    dataDir = path.join(root, 'pg');
  });

  it('starts PostgreSQL, prints a generated admin key once, serves, and drains in-flight requests on SIGTERM', { timeout: 60_000 }, async () => {
    const server = launch(env());
    const base = `http://127.0.0.1:${port}`;
    await server.waitFor(/Hindsight is ready/, 45_000);
    const output = () => server.stdout() + server.stderr();
    expect(output()).toContain('DATABASE_URL is not set: starting the embedded PostgreSQL');
    expect(output()).toContain(`embedded PostgreSQL listening on 127.0.0.1:${pgPort}`);
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);

    const keys = output().match(GENERATED_KEY) ?? [];
    expect(keys, 'the generated admin key is printed exactly once').toHaveLength(1);
    adminKey = keys[0]!;
    expect(server.stderr()).toContain(adminKey);
    // Kept beside the embedded database (mode 0600) so that the README walkthrough can read it.
    const keyFile = path.join(path.dirname(dataDir), 'admin-key');
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(adminKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', pendingMigrations: [] });

    const created = await api(base, 'POST', '/v1/models', adminKey, { name: 'persisted', task: 'regression' });
    expect(created.status, created.text).toBe(201);
    const denied = await api(base, 'GET', '/v1/models', 'hs_00000000_00000000000000000000000000000000');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const items = Array.from({ length: 10_000 }, (_, i) => ({ model: 'persisted', externalId: `item-${i}`, features: { i, bucket: `b${i % 7}` }, prediction: i / 10 }));
    const batch = Buffer.from(JSON.stringify({ items }));
    let signalledAt = 0;
    const response = await postInTwoHalves(`${base}/v1/predictions/batch`, adminKey, batch, async () => {
      signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await server.waitFor(/shutting down/, 5_000);
    });
    expect(response.status, response.text.slice(0, 500)).toBe(201);
    expect(JSON.parse(response.text)).toMatchObject({ created: 10_000, duplicates: 0, failed: 0 });

    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt, 'exits within a few seconds of SIGTERM').toBeLessThan(10_000);
    // Nobody listens any more, and PostgreSQL was stopped with it.
    await expect(fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('restarts on the same data: no new admin key, the old one works, the data is there', { timeout: 45_000 }, async () => {
    expect(adminKey).toBeDefined();
    const server = launch(env());
    const base = `http://127.0.0.1:${port}`;
    await server.waitFor(/Hindsight is ready/, 30_000);
    await waitForStatus(`${base}/readyz`, 200);
    expect((server.stdout() + server.stderr()).match(GENERATED_KEY)).toBeNull();
    expect(server.stdout() + server.stderr()).not.toMatch(/generated/);

    const model = await api(base, 'GET', '/v1/models/persisted', adminKey);
    expect(model.status, model.text).toBe(200);
    expect(model.json()).toMatchObject({ name: 'persisted', task: 'regression' });

    const sql = new pg.Client({ connectionString: `postgresql://hindsight:hindsight@127.0.0.1:${pgPort}/hindsight` });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ n: number; distinct: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT external_id)::int AS distinct FROM predictions p JOIN models m ON m.id = p.model_id WHERE m.name = 'persisted'`,
      );
      expect(rows[0]).toEqual({ n: 10_000, distinct: 10_000 });
      const { rows: keys } = await sql.query(`SELECT count(*)::int AS n FROM api_keys WHERE 'admin' = ANY(scopes)`);
      expect(keys[0].n).toBe(1);
    } finally {
      await sql.end();
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});

describe('the server process with DATABASE_URL', () => {
  it('uses that database, applies the migrations, and starts no embedded PostgreSQL', { timeout: 30_000 }, async () => {
    // An empty database on the test server: the process itself must migrate it.
    const name = `hindsight_test_srv_${randomBytes(4).toString('hex')}`;
    const serverUrl = inject('pgServerUrl');
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const databaseUrl = withDatabase(serverUrl, name);

    const port = await freePort();
    const embeddedDir = path.join(root, 'unused-embedded');
    const key = `server-test-admin-key-${randomBytes(8).toString('hex')}`;
    const server = launch({ DATABASE_URL: databaseUrl, PORT: String(port), HINDSIGHT_ADMIN_KEY: key, EMBEDDED_PG_DATA_DIR: embeddedDir, EMBEDDED_PG_PORT: String(await freePort()) });
    const base = `http://127.0.0.1:${port}`;
    await server.waitFor(/Hindsight is ready/, 20_000);
    await waitForStatus(`${base}/readyz`, 200);

    const output = server.stdout() + server.stderr();
    expect(output).not.toMatch(/embedded/i);
    expect(existsSync(embeddedDir)).toBe(false);
    // A configured admin key: nothing is generated or printed.
    expect(output.match(GENERATED_KEY)).toBeNull();
    const migrations = (await readMigrations()).map((m) => m.name);
    for (const migration of migrations) expect(output).toContain(`applied migration ${migration}`);

    const created = await api(base, 'POST', '/v1/models', key, { name: 'remote', task: 'binary', labels: ['no', 'yes'] });
    expect(created.status, created.text).toBe(201);

    const sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    try {
      const { rows } = await sql.query(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name`);
      expect(rows.map((r) => r.migration_name)).toEqual(migrations);
      const { rows: models } = await sql.query(`SELECT name FROM models`);
      expect(models).toEqual([{ name: 'remote' }]);
      const { rows: keys } = await sql.query(`SELECT count(*)::int AS n FROM api_keys`);
      expect(keys[0].n).toBe(0);
    } finally {
      await sql.end();
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});
