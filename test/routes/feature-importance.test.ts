import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chi2Contingency, correlationRatio, pearson, spearman } from '../../src/stats/index.js';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { expectClose, getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, multiclassModel, regressionModel } from '../helpers/fixtures.js';

let ctx: TestContext;
const T0 = Date.parse('2024-10-01T00:00:00Z'); // a Tuesday
const RANGE = 'from=2024-10-01T00:00:00Z&to=2024-10-22T00:00:00Z';
const CITIES = ['berlin', 'paris', 'rome', 'oslo', 'madrid', 'vienna', 'prague', 'lisbon', 'dublin', 'athens', 'warsaw', 'bern'];

interface Row { features: Record<string, any>; actual: number; residual: number; at: number }
const rows: Row[] = [];

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, regressionModel('eta'));
  const rnd = random(99);
  const items = [];
  for (let i = 0; i < 420; i++) {
    const city = CITIES[i % CITIES.length]!;
    const features: Record<string, unknown> = {
      distanceKm: Math.round(rnd.next() * 200) / 10,
      noise: rnd.normal(),
      city,
      junk: rnd.pick(['x', 'y', 'z']),
      rushHour: rnd.next() < 0.5,
    };
    if (i % 7 === 0) delete features.noise;
    // Planted: the actual follows distance strongly; the error follows rushHour.
    const actual = Math.round((5 + 3 * (features.distanceKm as number) + rnd.normal(0, 2)) * 100) / 100;
    const residual = rnd.normal(features.rushHour ? 3 : 0, 1);
    const predicted = actual + residual;
    const at = T0 + i * 70 * 60_000;
    rows.push({ features, actual, residual: predicted - actual, at });
    items.push({ model: 'eta', features, prediction: predicted, actual, predictedAt: iso(at) });
  }
  await ingest(ctx.app, items);
});
afterAll(() => ctx.close());

const grouped = (values: unknown[]) => {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== undefined && v !== null) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  const kept = new Set([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10).map(([v]) => v));
  return values.map((v) => (v === undefined || v === null ? '(missing)' : kept.has(String(v)) ? String(v) : '(other)'));
};

describe('GET /v1/models/{model}/feature-importance', () => {
  it('ranks the informative feature first and matches Pearson, Spearman and η computed on the same rows', async () => {
    const body = await getJson(ctx.app, `/v1/models/eta/feature-importance?${RANGE}`);
    expect(body).toMatchObject({ model: 'eta', sampleCount: 420, sample: { size: 420, population: 420 }, actual: 'the actual value', skippedFeatures: [] });
    expect(body.features[0].feature).toBe('distanceKm');
    const names = body.features.map((f: any) => f.feature);
    expect(names.indexOf('distanceKm')).toBeLessThan(names.indexOf('noise'));
    expect(names.indexOf('distanceKm')).toBeLessThan(names.indexOf('junk'));
    const strengths = body.features.map((f: any) => f.strength);
    expect([...strengths].sort((a, b) => b - a)).toEqual(strengths);

    const distance = body.features[0];
    const x = rows.map((r) => r.features.distanceKm as number);
    const actual = rows.map((r) => r.actual);
    const residual = rows.map((r) => r.residual);
    expect(distance).toMatchObject({ type: 'numeric', present: 420, missing: 0 });
    const p = pearson(x, actual);
    const s = spearman(x, actual);
    expectClose(distance.actual.pearson.statistic, p.statistic, 'pearson');
    expectClose(distance.actual.pearson.pValue, p.pValue, 'pearson p');
    expectClose(distance.actual.spearman.statistic, s.statistic, 'spearman');
    expectClose(distance.strength, Math.abs(s.statistic), 'strength');
    expectClose(distance.error.spearman.statistic, spearman(x, residual).statistic, 'error spearman');
    expect(distance.actual.spearman.statistic).toBeGreaterThan(0.9);

    const noise = body.features.find((f: any) => f.feature === 'noise');
    const present = rows.filter((r) => r.features.noise !== undefined);
    expect(noise).toMatchObject({ present: present.length, missing: 420 - present.length, actual: { n: present.length } });
    expectClose(noise.actual.pearson.statistic, pearson(present.map((r) => r.features.noise), present.map((r) => r.actual)).statistic, 'noise');
    expect(Math.abs(noise.actual.spearman.statistic)).toBeLessThan(0.2);

    const city = body.features.find((f: any) => f.feature === 'city');
    expect(city.type).toBe('categorical');
    expectClose(city.actual.correlationRatio, correlationRatio(grouped(rows.map((r) => r.features.city)), actual), 'eta city');
    const rush = body.features.find((f: any) => f.feature === 'rushHour');
    expectClose(rush.error.correlationRatio, correlationRatio(grouped(rows.map((r) => r.features.rushHour)), residual), 'eta rush');
    expect(rush.error.correlationRatio).toBeGreaterThan(0.7);
    expect(rush.actual.correlationRatio).toBeLessThan(0.2);
  });

  it('history=true gives the same per week, from the same sample', async () => {
    const body = await getJson(ctx.app, `/v1/models/eta/feature-importance?from=2024-10-01T00:00:00Z&to=2024-10-29T00:00:00Z&history=true&bucket=week`);
    expect(body.history.bucket).toBe('week');
    expect(body.history.periods.map((p: any) => p.start)).toEqual([
      '2024-09-30T00:00:00.000Z',
      '2024-10-07T00:00:00.000Z',
      '2024-10-14T00:00:00.000Z',
      '2024-10-21T00:00:00.000Z',
      '2024-10-28T00:00:00.000Z',
    ]);
    const week = body.history.periods[1];
    const inWeek = rows.filter((r) => r.at >= Date.parse('2024-10-07T00:00:00Z') && r.at < Date.parse('2024-10-14T00:00:00Z'));
    expect(week.sampleCount).toBe(inWeek.length);
    const d = week.features.find((f: any) => f.feature === 'distanceKm');
    expectClose(d.actual.pearson.statistic, pearson(inWeek.map((r) => r.features.distanceKm), inWeek.map((r) => r.actual)).statistic, 'week pearson');
    expect(body.history.periods.reduce((s: number, p: any) => s + p.sampleCount, 0)).toBe(420);
    expect(body.history.periods[4]).toMatchObject({ sampleCount: 0, features: [] });
  });

  it('binary: association with the 0/1 positive indicator; multiclass: η and Cramér’s V', async () => {
    await createModel(ctx.app, binaryModel('nba'));
    await createModel(ctx.app, multiclassModel('match'));
    const rnd = random(5);
    const bin = Array.from({ length: 120 }, (_, i) => {
      const elo = Math.round(rnd.normal(1500, 100));
      return { elo, venue: rnd.pick(['home', 'away']), actual: rnd.next() < 1 / (1 + Math.exp(-(elo - 1500) / 50)) ? 'LAL' : 'BOS', at: T0 + i * 60_000 };
    });
    await ingest(ctx.app, bin.map((b) => ({ model: 'nba', features: { elo: b.elo, venue: b.venue }, prediction: 'LAL', actual: b.actual, predictedAt: iso(b.at) })));
    const body = await getJson(ctx.app, `/v1/models/nba/feature-importance?${RANGE}`);
    expect(body.actual).toBe('1 when the actual label is "LAL", else 0');
    expect(body.features[0].feature).toBe('elo');
    const y = bin.map((b) => (b.actual === 'LAL' ? 1 : 0));
    expectClose(body.features[0].actual.pearson.statistic, pearson(bin.map((b) => b.elo), y).statistic, 'point-biserial');
    expect(body.features[0].error).toMatchObject({ n: 0, pearson: null, spearman: null });
    expect(body.features[0].undefined['error.pearson']).toMatch(/at least 3 rows/);

    const labels = ['home', 'away', 'draw'];
    const mc = Array.from({ length: 90 }, (_, i) => ({ actual: labels[i % 3]!, shots: (i % 3) * 5 + rnd.normal(), league: rnd.pick(['a', 'b']), at: T0 + i * 60_000 }));
    await ingest(ctx.app, mc.map((m) => ({ model: 'match', features: { shots: m.shots, league: m.league }, prediction: 'home', actual: m.actual, predictedAt: iso(m.at) })));
    const multi = await getJson(ctx.app, `/v1/models/match/feature-importance?${RANGE}`);
    const shots = multi.features.find((f: any) => f.feature === 'shots');
    expectClose(shots.actual.correlationRatio, correlationRatio(mc.map((m) => m.actual), mc.map((m) => m.shots)), 'eta label');
    expect(multi.features[0].feature).toBe('shots');
    const league = multi.features.find((f: any) => f.feature === 'league');
    const table = ['a', 'b'].map((l) => ['away', 'draw', 'home'].map((a) => mc.filter((m) => m.league === l && m.actual === a).length));
    const chi2 = chi2Contingency(table, { correction: false });
    expectClose(league.actual.cramersV.statistic, Math.sqrt(chi2.statistic / 90), 'cramers v');
    expectClose(league.actual.cramersV.pValue, chi2.pValue, 'chi2 p');
  });

  it('an empty window answers 200 with no features; invalid parameters are 400', async () => {
    const empty = await getJson(ctx.app, '/v1/models/eta/feature-importance?from=2023-01-01T00:00:00Z&to=2023-01-02T00:00:00Z');
    expect(empty).toMatchObject({ sampleCount: 0, features: [], note: 'no labeled predictions in this window' });
    expect(problem(await call(ctx.app, 'GET', '/v1/models/eta/feature-importance?bucket=month'), 400).errors![0]!.path).toBe('/query/bucket');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/eta/feature-importance?history=true&bucket=hour&window=90d'), 400).errors![0]!.path).toBe('/query/bucket');
  });
});
