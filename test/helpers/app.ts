import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApp, type App, type AppOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createTestDatabase } from './db.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestContext {
  app: App;
  databaseUrl: string;
  /** A direct connection for asserting what is stored. */
  sql: pg.Pool;
  close(): Promise<void>;
}

/** A Hindsight app on its own fresh database, as in production but silent. */
export async function createTestApp(env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<TestContext> {
  const databaseUrl = await createTestDatabase();
  // DATABASE_URL as in production: without it the config would take embedded-mode defaults (webhooks to private addresses allowed).
  const config = loadConfig({ HINDSIGHT_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, ...env });
  const app = await buildApp({ ...config, databaseUrl }, overrides);
  await app.ready();
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  return {
    app,
    databaseUrl,
    sql,
    async close() {
      await app.close();
      await sql.end();
    },
  };
}

/** inject() with the admin key (or the given one) and a JSON body. */
export function call(app: App, method: InjectOptions['method'], url: string, body?: unknown, key: string | null = ADMIN_KEY): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

/** Asserts a problem+json response and returns its body. */
export function problem(response: LightMyRequestResponse, status: number) {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${response.body}`);
  }
  if (!String(response.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${response.headers['content-type']}`);
  }
  return response.json() as { type: string; title: string; status: number; detail: string; errors?: { path: string; message: string }[]; requestId: string; [k: string]: unknown };
}
