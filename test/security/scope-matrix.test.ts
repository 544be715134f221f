import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteAccess } from '../../src/plugins/auth.js';
import { ADMIN_KEY, call, createTestApp, problem, type TestContext } from '../helpers/app.js';

/**
 * The scope × route matrix. The routes come from the app itself (every route its auth hook saw, with the
 * scope it resolved); MATRIX is the reviewed access of each. A route added without an entry here, or whose
 * access changes, fails the first test; every /v1 route must declare its scope explicitly (a route that
 * says nothing is admin-only, but the matrix wants that said). Then every non-public route refuses no key
 * (401), a key lacking its scope (403), a revoked key and an expired key (401), all as problem+json.
 */
const MATRIX: Record<string, RouteAccess> = {
  'GET /metrics': 'public', // authenticates its scraper itself: METRICS_TOKEN or a read key (below)
  'GET /docs': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /openapi.json': 'public',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'POST /v1/models': 'admin',
  'GET /v1/models': 'read',
  'GET /v1/models/:model': 'read',
  'PATCH /v1/models/:model': 'admin',
  'POST /v1/models/:model/versions': 'admin',
  'GET /v1/models/:model/versions': 'read',
  'POST /v1/models/:model/versions/:version/promote': 'admin',
  'POST /v1/models/:model/rollback': 'admin',
  'POST /v1/predictions': 'ingest',
  'POST /v1/predictions/batch': 'ingest',
  'GET /v1/predictions/:id': 'read',
  'GET /v1/models/:model/predictions': 'read',
  'POST /v1/outcomes': 'ingest',
  'POST /v1/outcomes/batch': 'ingest',
  'POST /v1/api-keys': 'admin',
  'GET /v1/api-keys': 'admin',
  'DELETE /v1/api-keys/:id': 'admin',
  'GET /v1/models/:model/performance': 'read',
  'GET /v1/models/:model/performance/history': 'read',
  'GET /v1/models/:model/errors': 'read',
  'GET /v1/models/:model/feature-importance': 'read',
  'GET /v1/models/:model/drift': 'read',
  'POST /v1/models/:model/drift-reports': 'admin',
  'GET /v1/models/:model/drift-reports': 'read',
  'GET /v1/models/:model/drift-reports/:id': 'read',
  'PUT /v1/models/:model/baseline': 'admin',
  'GET /v1/models/:model/baseline': 'read',
  'POST /v1/experiments': 'admin',
  'GET /v1/experiments': 'read',
  'GET /v1/experiments/:id': 'read',
  'GET /v1/experiments/:id/assignment': 'ingest',
  'GET /v1/experiments/:id/results': 'read',
  'POST /v1/experiments/:id/conclude': 'admin',
  'GET /v1/models/:model/labeling-queue': 'read',
  'POST /v1/models/:model/labeling-queue/claims': 'ingest',
  'DELETE /v1/models/:model/labeling-queue/claims/:id': 'ingest',
  'PUT /v1/models/:model/policy': 'admin',
  'GET /v1/models/:model/policy': 'read',
  'GET /v1/models/:model/retrain-decision': 'read',
  'POST /v1/models/:model/retrain-requests': 'admin',
  'GET /v1/models/:model/retrain-requests': 'read',
  'GET /v1/retrain-requests/:id': 'read',
  'POST /v1/retrain-requests/:id/result': 'ingest', // or the trainer's webhook signature instead of a key
  'POST /v1/models/:model/datasets': 'admin',
  'GET /v1/models/:model/datasets': 'read',
  'GET /v1/datasets/:id': 'read',
  'GET /v1/datasets/:id/rows': 'read', // or a signed download URL instead of a key
  'PUT /v1/models/:model/webhook': 'admin',
  'GET /v1/models/:model/webhook': 'admin',
  'DELETE /v1/models/:model/webhook': 'admin',
  'POST /v1/models/:model/subscriptions': 'admin',
  'GET /v1/models/:model/subscriptions': 'admin',
  'DELETE /v1/models/:model/subscriptions/:id': 'admin',
  'GET /v1/models/:model/versions/compare': 'read',
  'GET /v1/models/:model/report': 'read',
  'GET /v1/models/:model/report.html': 'read',
  'GET /v1/jobs': 'read',
  'POST /v1/jobs/:name/runs': 'admin',
  'GET /v1/jobs/:name/runs': 'read',
  'GET /v1/jobs/:name/runs/:id': 'read',
  'GET /v1/alerts': 'read',
  'GET /v1/alerts/:id': 'read',
  'POST /v1/alerts': 'admin',
  'POST /v1/alerts/:id/acknowledge': 'admin',
  'POST /v1/alerts/:id/resolve': 'admin',
};

/** A key that has every scope but this one. */
const LACKING: Record<Exclude<RouteAccess, 'public'>, string[]> = { read: ['ingest'], ingest: ['read'], admin: ['ingest', 'read'] };

let t: TestContext;
const keys: Record<string, string> = {};

/** The route's URL with its parameters filled (auth runs before validation: any value will do). */
const urlOf = (route: string) =>
  route
    .replace(':model', 'm')
    .replace(':version', 'v1')
    .replace(':name', 'daily-learning')
    .replace(/:id/g, '00000000-0000-4000-8000-000000000000')
    .replace('*', 'index.html');

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const r = await call(t.app, 'POST', '/v1/api-keys', body);
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

beforeAll(async () => {
  t = await createTestApp();
  for (const [scope, lacking] of Object.entries(LACKING)) keys[`lacking ${scope}`] = (await createKey({ name: `without ${scope}`, scopes: lacking })).key;
  keys.read = (await createKey({ name: 'reader', scopes: ['read'] })).key;
  keys.limitedRead = (await createKey({ name: 'limited reader', scopes: ['read'], models: ['m'] })).key;
  const revoked = await createKey({ name: 'revoked admin', scopes: ['admin'] });
  expect((await call(t.app, 'DELETE', `/v1/api-keys/${revoked.id}`)).statusCode).toBe(200);
  keys.revoked = revoked.key;
  // Expired: created valid, never used (so never cached), then its expiry moved into the past.
  const expired = await createKey({ name: 'expired admin', scopes: ['admin'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
  await t.sql.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
  keys.expired = expired.key;
});
afterAll(() => t?.close());

const routes = () => t.app.routeAccess.filter((r) => r.method !== 'HEAD');

describe('the scope × route matrix', () => {
  it('covers every route of the app, each with its reviewed access, and every /v1 route declares its scope', () => {
    const actual = Object.fromEntries(routes().map((r) => [`${r.method} ${r.url}`, r.scope]));
    expect(actual, 'a route was added or changed: review its scope and add it to MATRIX').toEqual(MATRIX);
    const undeclared = routes().filter((r) => r.url.startsWith('/v1/') && !r.declared);
    expect(undeclared.map((r) => `${r.method} ${r.url}`), 'every /v1 route must say which scope it needs (config.scope)').toEqual([]);
    // HEAD routes have the access of their GET (Swagger UI's HEAD /docs/ alone has none: public, as /docs).
    for (const head of t.app.routeAccess.filter((r) => r.method === 'HEAD')) expect(MATRIX[`GET ${head.url}`] ?? (head.url.startsWith('/docs') ? 'public' : 'missing'), head.url).toBe(head.scope);
  });

  const protectedRoutes = Object.entries(MATRIX).filter(([, scope]) => scope !== 'public') as [string, Exclude<RouteAccess, 'public'>][];

  it.each(protectedRoutes)('%s (%s): 401 without a key, 403 without the scope, 401 for revoked and expired keys', async (route, scope) => {
    const [method, path] = route.split(' ') as [string, string];
    const url = urlOf(path);
    const send = (key: string | null) => call(t.app, method as 'GET', url, method === 'GET' || method === 'DELETE' ? undefined : {}, key);

    const none = problem(await send(null), 401);
    expect(none.detail).toMatch(/Authorization: Bearer/);
    const lacking = problem(await send(keys[`lacking ${scope}`]!), 403);
    expect(lacking.detail).toContain(`"${scope}"`);
    expect(problem(await send(keys.revoked!), 401).detail).toMatch(/revoked/);
    expect(problem(await send(keys.expired!), 401).detail).toMatch(/expired/);
    expect(problem(await send(`${ADMIN_KEY}x`), 401).detail).toMatch(/not valid/);
    if (method === 'GET') expect((await t.app.inject({ method: 'HEAD', url })).statusCode, `HEAD ${url}`).toBe(401);
  });

  it('serves the public routes without a key', async () => {
    for (const [route, scope] of Object.entries(MATRIX)) {
      if (scope !== 'public' || route === 'GET /metrics') continue;
      const url = urlOf(route.split(' ')[1]!);
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, `${url}: ${response.body.slice(0, 200)}`).toBeLessThan(400);
    }
  });

  it('has /metrics authenticate its scraper itself: a read key, not an ingest key, nor a key limited to some models', async () => {
    problem(await call(t.app, 'GET', '/metrics', undefined, null), 401);
    problem(await call(t.app, 'GET', '/metrics', undefined, keys.revoked!), 401);
    problem(await call(t.app, 'GET', '/metrics', undefined, keys['lacking read']!), 403);
    problem(await call(t.app, 'GET', '/metrics', undefined, keys.limitedRead!), 403);
    expect((await call(t.app, 'GET', '/metrics', undefined, keys.read!)).statusCode).toBe(200);
  });
});
