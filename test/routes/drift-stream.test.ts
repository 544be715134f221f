import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, type TestContext } from '../helpers/app.js';
import { getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, regressionModel } from '../helpers/fixtures.js';

/**
 * Streaming concept drift: DDM on the outcomes of a classifier and Page–Hinkley on those of a regressor,
 * advanced as outcomes arrive (the ingestion hook) and on every drift read, from a stored position.
 */
let ctx: TestContext;
const T0 = Date.parse('2024-09-01T00:00:00Z');
const MIN = 60_000;
/** Zero-padded, so that the outcomes of one batch (one recorded_at) stream in index order (prediction_id breaks ties). */
const pid = (model: string, i: number) => `${model}-${String(i).padStart(4, '0')}`;

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function postOutcomes(items: { predictionId: string; actual: string | number }[]) {
  for (let i = 0; i < items.length; i += 100) {
    const r = await call(ctx.app, 'POST', '/v1/outcomes/batch', { items: items.slice(i, i + 100) });
    expect(r.statusCode, r.body).toBe(201);
  }
}

const detector = async (model: string) =>
  (await ctx.sql.query('SELECT d.* FROM drift_detectors d JOIN models m ON m.id = d.model_id WHERE m.name = $1', [model])).rows[0] as Record<string, any> | undefined;

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  await createModel(ctx.app, regressionModel('eta'), 'v1');
  await createModel(ctx.app, binaryModel('held'), 'v1');
  // 600 predictions without outcomes; the labels arrive later, in order.
  await ingest(ctx.app, Array.from({ length: 600 }, (_, i) => ({ model: 'nba', id: pid('nba', i), features: { x: i }, prediction: 'LAL', confidence: 0.8, predictedAt: iso(T0 + i * MIN) })));
  await ingest(ctx.app, Array.from({ length: 600 }, (_, i) => ({ model: 'eta', id: pid('eta', i), features: { x: i }, prediction: 10, predictedAt: iso(T0 + i * MIN) })));
  await ingest(ctx.app, Array.from({ length: 100 }, (_, i) => ({ model: 'held', id: pid('held', i), features: { x: i }, prediction: 'LAL', confidence: 0.8, predictedAt: iso(T0 + i * MIN) })));
}, 60_000);
afterAll(() => ctx.close());

describe('streaming concept drift', () => {
  it('DDM follows the outcome stream as labels arrive, and flags a degradation', async () => {
    const rnd = random(21);
    // 400 labels with 25 % errors: stable. (DDM alarms early when its first 30 outcomes are nearly error-free:
    // its minimum then has almost no spread. That is DDM with its published defaults, documented in the README.)
    await postOutcomes(Array.from({ length: 400 }, (_, i) => ({ predictionId: pid('nba', i), actual: rnd.next() < 0.75 ? 'LAL' : 'BOS' })));
    // The ingestion hook advances the detector without any drift read.
    const advanced = await waitFor(() => detector('nba'), (d) => Number(d?.total_samples) === 400);
    expect(advanced).toMatchObject({ detector: 'ddm', status: 'stable', samples: 400, drift_count: 0 });
    let body = await getJson(ctx.app, '/v1/models/nba/drift');
    expect(body.stream).toMatchObject({ detector: 'ddm', version: 'v1', status: 'stable', samples: 400, totalSamples: 400, driftCount: 0, lastDrift: null, upToDate: true });
    expect(body.stream.parameters).toMatchObject({ warmStart: 30, warningThreshold: 2, driftThreshold: 3 });
    expect(body.stream.statistic.value).toBeCloseTo(advanced!.state.errorRate, 12);

    // Then the model breaks: 70 % errors.
    await postOutcomes(Array.from({ length: 200 }, (_, i) => ({ predictionId: pid('nba', 400 + i), actual: rnd.next() < 0.3 ? 'LAL' : 'BOS' })));
    body = await getJson(ctx.app, '/v1/models/nba/drift');
    expect(body.stream.totalSamples).toBe(600);
    expect(body.stream.driftCount).toBeGreaterThanOrEqual(1);
    expect(body.stream.lastDrift.samples).toBeGreaterThan(400);
    expect(body.stream.lastDrift.samples).toBeLessThan(500);
    expect(body.summary.recommendation).toMatch(/ddm detector flagged a drift in the outcome stream/);

    const { rows: events } = await ctx.sql.query(`SELECT e.kind, e.samples, e.prediction_id FROM drift_stream_events e JOIN models m ON m.id = e.model_id WHERE m.name = 'nba' ORDER BY e.id`);
    const drifts = events.filter((e) => e.kind === 'drift');
    expect(drifts.length).toBe(body.stream.driftCount);
    expect(Number(drifts[0].prediction_id.slice(4))).toBeGreaterThanOrEqual(400);
    // The alerting job reads each drift until it marks it alerted (once the alert is stored).
    const taken = await ctx.app.services.driftStream.unalertedDrifts();
    expect(taken.filter((e) => e.detector === 'ddm' && e.kind === 'drift')).toHaveLength(drifts.length);
    expect(await ctx.app.services.driftStream.unalertedDrifts()).toEqual(taken);
    await ctx.app.services.driftStream.markAlerted(taken);
    expect(await ctx.app.services.driftStream.unalertedDrifts()).toEqual([]);
    const recent = await ctx.app.services.driftStream.events(advanced!.model_id as string, { kind: 'drift' });
    expect(recent.length).toBe(drifts.length);
  });

  it('a drift read over the same outcomes leaves the detector where it was (incremental, from the stored position)', async () => {
    const before = await detector('nba');
    await getJson(ctx.app, '/v1/models/nba/drift');
    await getJson(ctx.app, '/v1/models/nba/drift');
    expect(await detector('nba')).toEqual(before);
    const { rows } = await ctx.sql.query(`SELECT c.consumed FROM drift_stream_cursors c JOIN models m ON m.id = c.model_id WHERE m.name = 'nba'`);
    expect(Number(rows[0].consumed)).toBe(600);
  });

  it('Page–Hinkley flags a rise of the absolute error of a regressor', async () => {
    const rnd = random(22);
    await postOutcomes(Array.from({ length: 300 }, (_, i) => ({ predictionId: pid('eta', i), actual: Math.round((10 + rnd.normal(0, 1)) * 100) / 100 })));
    let body = await getJson(ctx.app, '/v1/models/eta/drift');
    expect(body.stream).toMatchObject({ detector: 'page-hinkley', status: 'stable', totalSamples: 300, driftCount: 0 });
    expect(body.stream.parameters).toMatchObject({ minInstances: 30, delta: 0.005, threshold: 50, mode: 'up' });
    await postOutcomes(Array.from({ length: 300 }, (_, i) => ({ predictionId: pid('eta', 300 + i), actual: Math.round((10 + rnd.normal(0, 4)) * 100) / 100 })));
    body = await getJson(ctx.app, '/v1/models/eta/drift');
    expect(body.stream.totalSamples).toBe(600);
    expect(body.stream.driftCount).toBeGreaterThanOrEqual(1);
    expect(body.stream.lastDrift.samples).toBeGreaterThan(0);
  });

  it('outcomes of a transaction still running are read once it ends, never skipped', async () => {
    // Another session is inside a transaction that started before the labels were written: its own rows could
    // still commit with an earlier recorded_at, so the detector must wait behind it.
    const other = new pg.Client({ connectionString: ctx.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1');
      await postOutcomes(Array.from({ length: 50 }, (_, i) => ({ predictionId: pid('held', i), actual: 'LAL' })));
      let body = await getJson(ctx.app, '/v1/models/held/drift');
      expect(body.stream).toMatchObject({ totalSamples: 0, upToDate: false });
      await other.query('COMMIT');
      body = await getJson(ctx.app, '/v1/models/held/drift');
      expect(body.stream).toMatchObject({ totalSamples: 50, upToDate: true });
    } finally {
      await other.end();
    }
  });
});
