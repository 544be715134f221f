import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Params, scoredPredictions } from '../../src/db/repositories/labeling-sql.js';
import { type Strategy, uncertaintyOf } from '../../src/domain/uncertainty.js';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, multiclassModel, regressionModel } from '../helpers/fixtures.js';

let ctx: TestContext;
const NOW = Date.now();
const HOUR = 3_600_000;

interface Logged { id: string; at: number; probabilities?: Record<string, number>; confidence?: number; prediction: string }
const mc: Logged[] = [];
const bin: Logged[] = [];

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, multiclassModel('match'), 'v1');
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  await createModel(ctx.app, regressionModel('eta'), 'v1');
  const rnd = random(3);
  const labels = ['home', 'away', 'draw'];
  for (let i = 0; i < 60; i++) {
    const at = NOW - (i + 1) * HOUR;
    if (i % 10 === 8) {
      mc.push({ id: `m-${i}`, at, confidence: Math.round((0.4 + rnd.next() * 0.6) * 1000) / 1000, prediction: labels[i % 3]! });
    } else if (i % 10 === 9) {
      mc.push({ id: `m-${i}`, at, prediction: labels[i % 3]! });
    } else {
      const raw = labels.map(() => rnd.next() ** 2 + 0.01);
      const total = raw.reduce((a, b) => a + b, 0);
      const p = raw.map((r) => Math.round((r / total) * 1e6) / 1e6);
      p[2] = Math.round((1 - p[0]! - p[1]!) * 1e6) / 1e6;
      const probabilities = Object.fromEntries(labels.map((l, k) => [l, p[k]!]));
      mc.push({ id: `m-${i}`, at, probabilities, prediction: labels[p.indexOf(Math.max(...p))]! });
    }
  }
  await ingest(ctx.app, mc.map((m) => ({ model: 'match', id: m.id, features: { i: m.id }, prediction: m.prediction, predictedAt: iso(m.at), ...(m.probabilities ? { probabilities: m.probabilities } : {}), ...(m.confidence !== undefined ? { confidence: m.confidence } : {}) })));
  for (let i = 0; i < 40; i++) {
    const c = Math.round((0.5 + rnd.next() * 0.5) * 1000) / 1000;
    bin.push({ id: `b-${i}`, at: NOW - (i + 1) * HOUR, confidence: c, prediction: i % 3 ? 'LAL' : 'BOS' });
  }
  await ingest(ctx.app, bin.map((b) => ({ model: 'nba', id: b.id, features: { homeElo: 1500 + Number(b.id.slice(2)) }, prediction: b.prediction, confidence: b.confidence, predictedAt: iso(b.at) })));
  await ingest(ctx.app, [{ model: 'eta', features: { d: 1 }, prediction: 12.5 }]);
});
afterAll(() => ctx.close());

/** The queue order the domain specifies, computed independently of the SQL. */
function expectedOrder(rows: Logged[], strategy: Strategy, task: 'binary' | 'multiclass'): { id: string; uncertainty: number | null }[] {
  return rows
    .map((r) => {
      const pPositive = task === 'binary' && r.confidence !== undefined ? (r.prediction === 'LAL' ? r.confidence : 1 - r.confidence) : null;
      const u = uncertaintyOf({ task, labelCount: task === 'binary' ? 2 : 3, probabilities: r.probabilities ?? null, pPositive, confidence: r.confidence ?? null }, strategy);
      return { r, u };
    })
    .sort((a, b) => a.u.group - b.u.group || b.u.key - a.u.key || b.r.at - a.r.at)
    .map(({ r, u }) => ({ id: r.id, uncertainty: u.score }));
}

const queue = (model: string, query = '') => getJson(ctx.app, `/v1/models/${model}/labeling-queue?limit=1000${query}`);

describe('GET /v1/models/{model}/labeling-queue', () => {
  it.each(['least_confidence', 'margin', 'entropy'] as const)('orders multiclass predictions by %s', async (strategy) => {
    const body = await queue('match', `&strategy=${strategy}`);
    const expected = expectedOrder(mc, strategy, 'multiclass');
    expect(body.items.map((i: any) => i.id)).toEqual(expected.map((e) => e.id));
    body.items.forEach((item: any, k: number) => {
      if (expected[k]!.uncertainty === null) expect(item.uncertainty).toBeNull();
      else expect(item.uncertainty).toBeCloseTo(expected[k]!.uncertainty!, 12);
    });
    expect(body).toMatchObject({ model: 'match', strategy, size: 60, claimed: 0, nextCursor: null });
    const last = body.items.at(-1);
    expect(last.rankedBy).toBe('recency');
    expect(last.uncertainty).toBeNull();
    const confidenceOnly = body.items.find((i: any) => i.id === 'm-8');
    expect(confidenceOnly.rankedBy).toBe(strategy === 'least_confidence' ? 'least_confidence' : 'least_confidence');
    if (strategy !== 'least_confidence') expect(confidenceOnly.uncertainty).toBeNull();
  });

  it('binary: P(positive) from the confidence; the three strategies agree on the order', async () => {
    const orders = [];
    for (const strategy of ['least_confidence', 'margin', 'entropy'] as const) {
      const body = await queue('nba', `&strategy=${strategy}`);
      const expected = expectedOrder(bin, strategy, 'binary');
      expect(body.items.map((i: any) => i.uncertainty)).toEqual(expected.map((e) => expect.closeTo(e.uncertainty!, 12)));
      orders.push(body.items.map((i: any) => i.id).join());
    }
    expect(new Set(orders).size).toBe(1);
    const top = (await getJson(ctx.app, '/v1/models/nba/labeling-queue?limit=1')).items[0];
    expect(top).toMatchObject({ prediction: expect.any(String), features: { homeElo: expect.any(Number) }, version: 'v1', rankedBy: 'least_confidence' });
  });

  it('pages with a cursor through the same order, and honours the window', async () => {
    const all = (await queue('match', '&strategy=entropy')).items.map((i: any) => i.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await getJson(ctx.app, `/v1/models/match/labeling-queue?strategy=entropy&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((i: any) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    const recent = await queue('match', '&window=10h');
    expect(recent.size).toBe(9);
    expect(problem(await call(ctx.app, 'GET', '/v1/models/match/labeling-queue?last=5'), 400).errors![0]!.path).toBe('/query/last');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/match/labeling-queue?cursor=abc'), 400).errors![0]!.path).toBe('/query/cursor');
  });

  it('reads the partial index on unlabeled predictions', async () => {
    const { rows: [model] } = await ctx.sql.query("SELECT id FROM models WHERE name = 'match'");
    const p = new Params();
    const sql = scoredPredictions({ modelId: model.id, task: 'multiclass', labelCount: 3, strategy: 'entropy', from: new Date(NOW - 30 * 24 * HOUR), to: new Date(NOW + HOUR) }, p);
    const client = await ctx.sql.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = (await client.query(`EXPLAIN ${sql}`, p.values)).rows.map((r) => r['QUERY PLAN']).join('\n');
      const used = [...plan.matchAll(/Index Scan using (\S+) on/g)].map((m) => m[1]!);
      expect(used.length).toBeGreaterThan(0);
      expect(plan).not.toMatch(/Seq Scan on predictions/);
      const { rows } = await client.query('SELECT indexdef FROM pg_indexes WHERE indexname = ANY($1)', [used]);
      for (const r of rows) expect(r.indexdef).toMatch(/WHERE \(labeled_at IS NULL\)/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('refuses regression models and unknown ones', async () => {
    expect(problem(await call(ctx.app, 'GET', '/v1/models/eta/labeling-queue'), 422).detail).toMatch(/regression model/);
    problem(await call(ctx.app, 'GET', '/v1/models/nope/labeling-queue'), 404);
    problem(await call(ctx.app, 'GET', '/v1/models/match/labeling-queue?strategy=random'), 400);
  });
});

describe('claims and labels', () => {
  const claim = (model: string, body: Record<string, unknown>) => call(ctx.app, 'POST', `/v1/models/${model}/labeling-queue/claims`, body);

  it('a claim takes the most uncertain, hides them from the queue; labels shrink the queue; release returns the rest', async () => {
    const before = await queue('nba', '&strategy=margin');
    const r = await claim('nba', { count: 5, claimant: 'alice', strategy: 'margin' });
    expect(r.statusCode).toBe(201);
    const c = r.json();
    expect(c).toMatchObject({ model: 'nba', claimant: 'alice', strategy: 'margin' });
    expect(Date.parse(c.expiresAt) - Date.parse(c.claimedAt)).toBe(900_000);
    expect(c.items.map((i: any) => i.id)).toEqual(before.items.slice(0, 5).map((i: any) => i.id));
    const during = await queue('nba', '&strategy=margin');
    expect(during).toMatchObject({ size: 35, claimed: 5 });
    expect(during.items.map((i: any) => i.id)).toEqual(before.items.slice(5).map((i: any) => i.id));

    // Two of them are labeled by humans: they leave the queue and the claim for good.
    for (const item of c.items.slice(0, 2)) {
      const o = await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: item.id, actual: 'BOS', source: 'human' });
      expect(o.statusCode).toBe(201);
    }
    expect((await ctx.sql.query('SELECT count(*)::int AS n FROM labeling_claim_items WHERE claim_id = $1', [c.id])).rows[0].n).toBe(3);
    const del = await call(ctx.app, 'DELETE', `/v1/models/nba/labeling-queue/claims/${c.id}`);
    expect(del.statusCode).toBe(204);
    expect((await call(ctx.app, 'DELETE', `/v1/models/nba/labeling-queue/claims/${c.id}`)).statusCode).toBe(204);
    const after = await queue('nba', '&strategy=margin');
    expect(after).toMatchObject({ size: 38, claimed: 0 });
    expect(after.items.map((i: any) => i.id)).toEqual(before.items.map((i: any) => i.id).filter((id: string) => !c.items.slice(0, 2).some((x: any) => x.id === id)));
    // The human labels are counted apart by the performance endpoints.
    const perf = await getJson(ctx.app, '/v1/models/nba/performance?window=30d&groupBy=source');
    expect(perf.groups).toEqual([expect.objectContaining({ source: 'human', sampleCount: 2, predictionCount: 40 })]);
    problem(await call(ctx.app, 'DELETE', '/v1/models/nba/labeling-queue/claims/0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f'), 404);
    problem(await call(ctx.app, 'DELETE', `/v1/models/match/labeling-queue/claims/${c.id}`), 404);
  });

  it('claims named predictions all or nothing', async () => {
    const free: string[] = (await queue('nba')).items.map((i: any) => i.id);
    const ids = free.slice(20, 23);
    const other = free[24]!;
    const r = await claim('nba', { predictionIds: ids, claimant: 'bob' });
    expect(r.statusCode).toBe(201);
    expect(r.json().items.map((i: any) => i.id).sort()).toEqual([...ids].sort());
    const taken = problem(await claim('nba', { predictionIds: [other, ids[1]], claimant: 'carol' }), 409);
    expect(taken.errors).toEqual([{ path: '/body/predictionIds/1', message: expect.stringMatching(/^is claimed by bob until /) }]);
    // Nothing of the refused request was kept: the other one is still free.
    expect((await claim('nba', { predictionIds: [other], claimant: 'carol' })).statusCode).toBe(201);
    expect(problem(await claim('nba', { predictionIds: ['nope'], claimant: 'carol' }), 404).errors).toEqual([{ path: '/body/predictionIds/0', message: 'not found' }]);
    expect(problem(await claim('nba', { predictionIds: ['m-0'], claimant: 'carol' }), 404).detail).toContain('m-0');
    await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: free[30], actual: 'LAL', source: 'human' });
    expect(problem(await claim('nba', { predictionIds: [free[30]], claimant: 'carol' }), 409).detail).toMatch(/has an outcome/);
    problem(await claim('nba', { count: 2, predictionIds: ['b-1'], claimant: 'x' }), 400);
    problem(await claim('nba', { claimant: 'x' }), 400);
    problem(await claim('eta', { count: 1, claimant: 'x' }), 422);
  });

  it('an expired claim frees its predictions', async () => {
    const c = (await claim('match', { count: 3, claimant: 'dave', ttlSeconds: 1 })).json();
    expect((await queue('match')).claimed).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await queue('match')).claimed).toBe(0);
    const again = (await claim('match', { predictionIds: c.items.map((i: any) => i.id), claimant: 'erin' })).json();
    expect(again.claimant).toBe('erin');
    await call(ctx.app, 'DELETE', `/v1/models/match/labeling-queue/claims/${again.id}`);
  });

  it('concurrent claims never hand out the same prediction twice', async () => {
    const free = (await queue('match')).size;
    const results = await Promise.all(Array.from({ length: 12 }, (_, k) => claim('match', { count: 6, claimant: `labeler-${k}`, strategy: 'entropy' })));
    const handed = results.flatMap((r) => (r.json().items as any[]).map((i) => i.id));
    expect(new Set(handed).size).toBe(handed.length);
    expect(handed.length).toBe(Math.min(free, 72));
    const empty = await claim('match', { count: 5, claimant: 'late' });
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toMatchObject({ id: null, items: [] });

    // Racing for the same named predictions: exactly one request wins each.
    const ids = results.flatMap((r) => (r.json().items as any[]).map((i) => i.id)).slice(0, 4);
    for (const r of results) if (r.json().id) await call(ctx.app, 'DELETE', `/v1/models/match/labeling-queue/claims/${r.json().id}`);
    const race = await Promise.all(Array.from({ length: 8 }, (_, k) => claim('match', { predictionIds: ids, claimant: `racer-${k}` })));
    expect(race.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(race.filter((r) => r.statusCode === 409)).toHaveLength(7);
  });
});
