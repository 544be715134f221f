import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, regressionModel } from '../helpers/fixtures.js';

/** PUT/GET …/baseline: a training sample uploaded as NDJSON (streamed) or JSON, used with reference=baseline. */
let ctx: TestContext;
const CUR_FROM = Date.parse('2024-09-29T00:00:00Z');
const CUR_TO = Date.parse('2024-10-06T00:00:00Z');
const CURRENT = `currentFrom=${iso(CUR_FROM)}&currentTo=${iso(CUR_TO)}`;

function trainingRow(rnd: ReturnType<typeof random>, eloMean = 1500) {
  const homeElo = Math.round(rnd.normal(eloMean, 100) * 10) / 10;
  const p = 1 / (1 + Math.exp(-((homeElo - 1500) / 100) * 1.5));
  return { features: { homeElo, venue: rnd.pick(['TD Garden', 'MSG', 'United Center']), isPlayoff: rnd.next() < 0.2 }, prediction: p >= 0.5 ? 'LAL' : 'BOS', actual: rnd.next() < p ? 'LAL' : 'BOS' };
}

/** An NDJSON body as a stream of small chunks that split lines (and rows) anywhere. */
function ndjsonStream(lines: string[], chunkBytes = 4096): Readable {
  const text = Buffer.from(lines.join('\n') + '\n');
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= text.length) return this.push(null);
      this.push(text.subarray(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  });
}

function put(url: string, body: Readable | string, contentType = 'application/x-ndjson', key = ADMIN_KEY) {
  return ctx.app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, payload: body });
}

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('nba'), 'v3');
  await call(ctx.app, 'POST', '/v1/models/nba/versions', { name: 'v4' });
  await createModel(ctx.app, regressionModel('eta'));
  // Live traffic of v3 in the current window: homeElo has moved up by one standard deviation.
  const rnd = random(11);
  await ingest(
    ctx.app,
    Array.from({ length: 400 }, (_, i) => {
      const row = trainingRow(rnd, 1600);
      return { model: 'nba', version: 'v3', features: row.features, prediction: row.prediction, predictedAt: iso(CUR_FROM + i * 60_000), actual: row.actual };
    }),
  );
}, 60_000);
afterAll(() => ctx.close());

describe('PUT /v1/models/{model}/baseline', () => {
  it('streams a 50,000-row NDJSON upload into PostgreSQL and reports the schema', async () => {
    const rnd = random(12);
    const lines = Array.from({ length: 50_000 }, () => JSON.stringify(trainingRow(rnd)));
    const r = await put('/v1/models/nba/baseline?version=v3', ndjsonStream(lines));
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({ model: 'nba', version: 'v3', rows: 50_000, predictions: 50_000, actuals: 50_000 });
    expect(body.featureSchema).toEqual({ homeElo: 'numeric', isPlayoff: 'boolean', venue: 'categorical' });
    expect(body.features).toContainEqual({ name: 'homeElo', type: 'numeric', present: 50_000, missingShare: 0 });
    const { rows } = await ctx.sql.query('SELECT count(*)::int AS n, min(ord) AS lo, max(ord) AS hi FROM drift_baseline_rows');
    expect(rows[0]).toEqual({ n: 50_000, lo: 1, hi: 50_000 });
    expect(await getJson(ctx.app, '/v1/models/nba/baseline?version=v3')).toEqual(body);
    // Without version: the production version's baseline.
    expect(await getJson(ctx.app, '/v1/models/nba/baseline')).toEqual(body);
  }, 60_000);

  it('is used as the reference with reference=baseline (sampled deterministically above 100,000 rows; here all 50,000)', async () => {
    const body = await getJson(ctx.app, `/v1/models/nba/drift?reference=baseline&${CURRENT}`);
    expect(body.reference).toMatchObject({ kind: 'baseline', from: null, to: null, version: 'v3', rows: 50_000, labeled: 50_000 });
    expect(body.reference.sample).toMatchObject({ size: 50_000, population: 50_000 });
    const elo = body.features.find((f: any) => f.feature === 'homeElo');
    expect(elo).toMatchObject({ method: 'wasserstein', drifted: true });
    expect(elo.statistic).toBeGreaterThan(0.5);
    expect(body.features.find((f: any) => f.feature === 'venue')).toMatchObject({ method: 'jensenshannon', drifted: false });
    expect(body.prediction.outputs.map((o: any) => o.output)).toEqual(['label']);
    expect(body.concept).toMatchObject({ metric: 'accuracy', reference: { n: 50_000 }, current: { n: 400 } });
    const same = await getJson(ctx.app, `/v1/models/nba/drift?reference=baseline&version=v3&${CURRENT}`);
    expect(same.features).toEqual(body.features);
  });

  it('a bad line is a 400 naming the line and the field, and the previous baseline stays intact', async () => {
    const before = await getJson(ctx.app, '/v1/models/nba/baseline?version=v3');
    const rnd = random(13);
    const lines = Array.from({ length: 5000 }, () => JSON.stringify(trainingRow(rnd)));
    lines[3456] = JSON.stringify({ features: { homeElo: 'high', nested: { a: 1 } }, prediction: 'LAL' });
    const p = problem(await put('/v1/models/nba/baseline?version=v3', ndjsonStream(lines, 1000)), 400);
    expect(p.line).toBe(3457);
    expect(p.detail).toMatch(/^line 3457: \/body\/line\/3457\/features\/nested/);
    expect(p.errors!.map((e) => e.path)).toContain('/body/line/3457/features/nested');
    expect(await getJson(ctx.app, '/v1/models/nba/baseline?version=v3')).toEqual(before);
    const { rows } = await ctx.sql.query('SELECT count(*)::int AS n FROM drift_baseline_rows');
    expect(rows[0].n).toBe(50_000);

    const broken = problem(await put('/v1/models/nba/baseline?version=v3', ndjsonStream(['{"features":{}}', '{"features": {"a": 1}'])), 400);
    expect(broken).toMatchObject({ line: 2, errors: [{ path: '/body/line/2', message: expect.stringMatching(/^is not valid JSON/) }] });
    const label = problem(await put('/v1/models/nba/baseline?version=v3', ndjsonStream(['', '{"features":{"a":1},"prediction":"NYK"}'])), 422);
    expect(label).toMatchObject({ line: 2, errors: [{ path: '/body/line/2/prediction', message: expect.stringMatching(/not one of the model's labels/) }] });
    const wrongType = problem(await put('/v1/models/eta/baseline', ndjsonStream(['{"features":{"a":1},"actual":"late"}'])), 400);
    expect(wrongType.errors![0]).toEqual({ path: '/body/line/1/actual', message: 'must be a number for a regression model' });
    expect(problem(await put('/v1/models/nba/baseline?version=v3', ndjsonStream(['', '  '])), 400).errors![0]).toEqual({ path: '/body', message: 'holds no rows' });
    expect(await getJson(ctx.app, '/v1/models/nba/baseline?version=v3')).toEqual(before);
  });

  it('application/json {rows} for small uploads; a second upload replaces the first (200)', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ features: { distanceKm: i, rain: i % 3 === 0 }, prediction: 3 * i, actual: 3 * i + (i % 2) }));
    const first = await call(ctx.app, 'PUT', '/v1/models/eta/baseline', { rows });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ model: 'eta', version: null, rows: 30, featureSchema: { distanceKm: 'numeric', rain: 'boolean' } });
    const second = await call(ctx.app, 'PUT', '/v1/models/eta/baseline', { rows: rows.slice(0, 10) });
    expect(second.statusCode).toBe(200);
    expect(second.json().rows).toBe(10);
    const p = problem(await call(ctx.app, 'PUT', '/v1/models/eta/baseline', { rows: [{ features: { a: 1 }, extra: true }] }), 400);
    expect(p.errors![0]!.path).toBe('/body/rows/0/extra');
    expect((await getJson(ctx.app, '/v1/models/eta/baseline')).rows).toBe(10);
  });

  it('a version without a baseline, an unknown version, the wrong media type and the wrong scope', async () => {
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nba/baseline?version=v4'), 404).detail).toMatch(/no baseline was uploaded for version "v4"/);
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nba/baseline?version=v9'), 422).errors![0]!.path).toBe('/query/version');
    const notHere = await ctx.app.inject({ method: 'POST', url: '/v1/predictions', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-ndjson' }, payload: '{}\n' });
    expect(problem(notHere, 415).detail).toMatch(/does not take application\/x-ndjson/);
    const reader = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'reader', scopes: ['read'] })).json().key as string;
    problem(await put('/v1/models/nba/baseline?version=v4', ndjsonStream(['{"features":{"a":1}}']), 'application/x-ndjson', reader), 403);
    expect((await call(ctx.app, 'GET', '/v1/models/nba/baseline', undefined, reader)).statusCode).toBe(200);
  });
});
