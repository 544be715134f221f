import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { createRetrainingApp, seedBinary } from '../helpers/retraining.js';

/**
 * Keys limited to a model cannot read or write another, whatever the route: every route of the app with a
 * `:model` parameter (enumerated from the app, so a new one is covered at once), every route addressing a
 * resource of another model by id (predictions, experiments, datasets, retrain requests, alerts), and every
 * route naming the model in its body or query. The database is unchanged by everything refused.
 * (test/routes/auth.test.ts has the basics: predictions, outcomes, batches, the model list, key minting.)
 */
let t: TestContext;
let limitedAdmin: string;
let limitedServing: string;
const ids: Record<string, string> = {};

/** Plausible bodies, so that nothing but the key's models could refuse the write. */
const BODIES: Record<string, unknown> = {
  'PATCH /v1/models/:model': { description: 'not yours' },
  'POST /v1/models/:model/versions': { name: 'v9' },
  'POST /v1/models/:model/versions/:version/promote': { reason: 'x' },
  'POST /v1/models/:model/rollback': { reason: 'x' },
  'POST /v1/models/:model/drift-reports': { reference: '30d', current: '7d' },
  'PUT /v1/models/:model/baseline': { rows: [{ features: { homeElo: 1 }, prediction: 'LAL' }] },
  'POST /v1/models/:model/labeling-queue/claims': { count: 1, claimant: 'mallory' },
  'PUT /v1/models/:model/policy': { minSamples: 1, autoTrigger: true },
  'POST /v1/models/:model/retrain-requests': { reason: 'not yours', force: true },
  'POST /v1/models/:model/datasets': { window: '30d' },
  'PUT /v1/models/:model/webhook': { url: 'http://127.0.0.1:9/mallory' },
  'POST /v1/models/:model/subscriptions': { url: 'http://127.0.0.1:9/mallory', events: ['model.version.promoted'] },
};

/** Every row of every table, as text (api_keys aside: using a key records its last use). */
async function everything(sql: pg.Pool): Promise<string> {
  const { rows: tables } = await sql.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('api_keys', '_prisma_migrations') ORDER BY 1`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql.query<{ dump: string | null }>(`SELECT string_agg(t::text, E'\\n' ORDER BY t::text) AS dump FROM "${name}" t`);
    parts.push(`${name}: ${rows[0]!.dump ?? ''}`);
  }
  return parts.join('\n');
}

const fill = (path: string, model: string) =>
  path
    .replace(':model', model)
    .replace(':version', 'v2')
    .replace(':id', path.includes('drift-reports') ? ids[`${model}:drift`]! : path.includes('claims') ? '00000000-0000-4000-8000-000000000000' : path.includes('subscriptions') ? ids[`${model}:subscription`]! : '00000000-0000-4000-8000-000000000000');

const query = (route: string) => (route.endsWith('/versions/compare') ? '?a=v1&b=v2' : route.endsWith('/labeling-queue') ? '?strategy=entropy' : route.endsWith('/performance/history') ? '?bucket=day' : '');

beforeAll(async () => {
  t = await createRetrainingApp();
  for (const model of ['a', 'b']) {
    await createModel(t.app, binaryModel(model), 'v1');
    expect((await call(t.app, 'POST', `/v1/models/${model}/versions`, { name: 'v2' })).statusCode).toBe(201);
    await seedBinary(t.app, model, { n: 40, correct: 30, prefix: model });
    const ok = async (method: string, url: string, body?: unknown) => {
      const r = await call(t.app, method as 'POST', url, body);
      expect(r.statusCode, `${method} ${url}: ${r.body}`).toBeLessThan(300);
      return r.json();
    };
    ids[`${model}:prediction`] = (await ok('POST', '/v1/predictions', { model, externalId: `${model}-mine`, features: { homeElo: 1 }, prediction: 'LAL' })).id;
    ids[`${model}:experiment`] = (await ok('POST', '/v1/experiments', { name: `${model}-exp`, model, arms: [{ version: 'v1' }, { version: 'v2' }], metric: 'accuracy', mode: 'sequential' })).id;
    ids[`${model}:drift`] = (await ok('POST', `/v1/models/${model}/drift-reports`, { reference: '30d', current: '7d' })).id;
    ids[`${model}:dataset`] = (await ok('POST', `/v1/models/${model}/datasets`, { window: '30d' })).id;
    await ok('PUT', `/v1/models/${model}/webhook`, { url: 'http://127.0.0.1:9/hook' });
    ids[`${model}:subscription`] = (await ok('POST', `/v1/models/${model}/subscriptions`, { url: 'http://127.0.0.1:9/sub', events: ['model.version.promoted'] })).id;
    ids[`${model}:retrain`] = (await ok('POST', `/v1/models/${model}/retrain-requests`, { reason: 'seed' })).id;
    ids[`${model}:alert`] = (await ok('POST', '/v1/alerts', { type: 'custom.seed', severity: 'warning', title: `alert of ${model}`, model })).id;
  }
  const key = async (body: unknown) => {
    const r = await call(t.app, 'POST', '/v1/api-keys', body);
    expect(r.statusCode, r.body).toBe(201);
    return r.json().key as string;
  };
  limitedAdmin = await key({ name: 'admin of a', scopes: ['admin'], models: ['a'] });
  limitedServing = await key({ name: 'serving a', scopes: ['ingest', 'read'], models: ['a'] });
}, 60_000);
afterAll(() => t?.close());

describe('a key limited to model "a"', () => {
  const modelRoutes = () => t.app.routeAccess.filter((r) => r.method !== 'HEAD' && r.url.includes(':model'));

  it('gets 403 naming "b" on every route of model "b", and changes nothing', async () => {
    expect(modelRoutes().length).toBeGreaterThan(30);
    const before = await everything(t.sql);
    for (const route of modelRoutes()) {
      const name = `${route.method} ${route.url}`;
      const url = fill(route.url, 'b') + query(route.url);
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : (BODIES[name] ?? {});
      for (const key of route.scope === 'admin' ? [limitedAdmin] : [limitedAdmin, limitedServing]) {
        const p = problem(await call(t.app, route.method as 'GET', url, body, key), 403);
        expect(p.detail, name).toContain('"b"');
      }
    }
    expect(await everything(t.sql)).toBe(before);
  });

  it('is not refused on the same routes of its own model', async () => {
    for (const route of modelRoutes()) {
      if (route.method !== 'GET') continue;
      const url = fill(route.url, 'a') + query(route.url);
      const response = await call(t.app, 'GET', url, undefined, route.scope === 'admin' ? limitedAdmin : limitedServing);
      expect([401, 403], `${url}: ${response.body.slice(0, 300)}`).not.toContain(response.statusCode);
    }
  });

  it('cannot reach the resources of "b" by id, and changes nothing', async () => {
    const before = await everything(t.sql);
    const cases: [string, string, unknown?][] = [
      ['GET', `/v1/predictions/${ids['b:prediction']}`],
      ['GET', `/v1/experiments/${ids['b:experiment']}`],
      ['GET', `/v1/experiments/${ids['b:experiment']}/assignment?unit=u1`],
      ['GET', `/v1/experiments/${ids['b:experiment']}/results`],
      ['POST', `/v1/experiments/${ids['b:experiment']}/conclude`, { promote: true }],
      ['GET', `/v1/datasets/${ids['b:dataset']}`],
      ['GET', `/v1/datasets/${ids['b:dataset']}/rows?format=jsonl`],
      ['GET', `/v1/retrain-requests/${ids['b:retrain']}`],
      ['POST', `/v1/retrain-requests/${ids['b:retrain']}/result`, { status: 'failed', message: 'mallory' }],
      ['GET', `/v1/alerts/${ids['b:alert']}`],
      ['POST', `/v1/alerts/${ids['b:alert']}/acknowledge`, { note: 'mallory' }],
      ['POST', `/v1/alerts/${ids['b:alert']}/resolve`, { note: 'mallory' }],
    ];
    for (const [method, url, body] of cases) {
      for (const key of [limitedAdmin, limitedServing]) {
        const response = await call(t.app, method as 'GET', url, body, key);
        expect([403, 404], `${method} ${url}: ${response.body.slice(0, 300)}`).toContain(response.statusCode);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).not.toContain('alert of b');
      }
    }
    expect(await everything(t.sql)).toBe(before);
  });

  it('cannot name "b" in a body or a query, and lists nothing of "b"', async () => {
    const before = await everything(t.sql);
    for (const [method, url, body] of [
      ['POST', '/v1/experiments', { name: 'mallory', model: 'b', arms: [{ version: 'v1' }, { version: 'v2' }], metric: 'accuracy' }],
      ['POST', '/v1/alerts', { type: 'custom.mallory', severity: 'critical', title: 'mallory', model: 'b' }],
      ['POST', '/v1/outcomes/batch', { items: [{ model: 'b', externalId: 'b-mine', actual: 'LAL' }] }],
      ['GET', '/v1/experiments?model=b'],
      ['GET', '/v1/alerts?model=b'],
    ] as const) {
      const response = await call(t.app, method, url, body, limitedAdmin);
      if (url === '/v1/outcomes/batch') {
        expect(response.statusCode, response.body).toBe(207);
        expect(response.json().results[0].error.status).toBe(403);
      } else {
        expect(problem(response, 403).detail, url).toContain('"b"');
      }
    }
    for (const url of ['/v1/experiments', '/v1/alerts', '/v1/models']) {
      const response = await call(t.app, 'GET', url, undefined, limitedAdmin);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.body, url).not.toMatch(/"(model|name)":"b"/);
      expect(response.body).not.toContain(ids['b:experiment']!);
      expect(response.body).not.toContain(ids['b:alert']!);
    }
    expect(await everything(t.sql)).toBe(before);
  });
});
