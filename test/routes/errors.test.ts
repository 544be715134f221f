import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  holm,
  kurtosis,
  mean,
  median,
  oneSampleTTest,
  percentiles,
  proportionsZTest,
  shapiroWilk,
  skew,
  standardDeviation,
  welchTTest,
} from '../../src/stats/index.js';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { expectClose, getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, regressionModel } from '../helpers/fixtures.js';

let ctx: TestContext;
const T0 = Date.parse('2024-10-01T00:00:00Z');
const RANGE = 'from=2024-10-01T00:00:00Z&to=2024-10-20T00:00:00Z';

interface Row { features: Record<string, unknown>; residual: number | null; correct: boolean }
const regression: Row[] = [];
const binary: Row[] = [];

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, regressionModel('eta'), 'v1');
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  const rnd = random(2024);
  const colors = ['red', 'green', 'blue', 'black', 'white'];

  const regItems = [];
  for (let i = 0; i < 400; i++) {
    const venue = i % 2 ? 'away' : 'home';
    const features = { venue, distanceKm: Math.round(rnd.next() * 1000) / 10, noise: rnd.normal(), color: rnd.pick(colors), playoff: rnd.next() < 0.3 };
    const actual = Math.round(rnd.normal(30, 8) * 100) / 100;
    // Planted: the model over-predicts by 4 for away games.
    const predicted = Math.round((actual + rnd.normal(0, 2) + (venue === 'away' ? 4 : 0)) * 100) / 100;
    regression.push({ features, residual: predicted - actual, correct: false });
    regItems.push({ model: 'eta', features, prediction: predicted, actual, predictedAt: iso(T0 + i * 30 * 60_000) });
  }
  await ingest(ctx.app, regItems);

  const binItems = [];
  for (let i = 0; i < 500; i++) {
    const weather = rnd.next() < 0.3 ? null : rnd.pick(['sun', 'rain']);
    const features: Record<string, unknown> = { homeElo: Math.round(rnd.normal(1500, 100)), color: rnd.pick(colors) };
    if (weather !== null) features.weather = weather;
    const actual = rnd.next() < 0.5 ? 'LAL' : 'BOS';
    // Planted: without a weather report the model is wrong 65% of the time, otherwise 20%.
    const wrong = rnd.next() < (weather === null ? 0.65 : 0.2);
    const predicted = wrong ? (actual === 'LAL' ? 'BOS' : 'LAL') : actual;
    const confidence = Math.round((0.55 + rnd.next() * 0.4) * 1000) / 1000;
    const withP = i % 20 !== 0;
    const pActual = predicted === actual ? confidence : 1 - confidence;
    binary.push({ features, residual: withP ? 1 - pActual : null, correct: !wrong });
    binItems.push({ model: 'nba', features, prediction: predicted, ...(withP ? { confidence } : {}), actual, predictedAt: iso(T0 + i * 20 * 60_000) });
  }
  await ingest(ctx.app, binItems);
});
afterAll(() => ctx.close());

describe('GET /v1/models/{model}/errors', () => {
  it('regression: the residual distribution, normality and bias match scipy’s definitions on the same residuals', async () => {
    const body = await getJson(ctx.app, `/v1/models/eta/errors?${RANGE}`);
    const residuals = regression.map((r) => r.residual!);
    expect(body).toMatchObject({ model: 'eta', task: 'regression', residual: 'predicted − actual', sampleCount: 400, n: 400, skipped: 0, undefined: {} });
    expectClose(body.mean, mean(residuals), 'mean');
    expectClose(body.median, median(residuals), 'median');
    expectClose(body.std, standardDeviation(residuals, { ddof: 1 }), 'std');
    const ps = percentiles(residuals, [25, 50, 75, 90, 95, 99]);
    ['p25', 'p50', 'p75', 'p90', 'p95', 'p99'].forEach((k, i) => expectClose(body.percentiles[k], ps[i]!, k));
    expectClose(body.skewness, skew(residuals), 'skewness');
    expectClose(body.kurtosis, kurtosis(residuals), 'kurtosis');
    expect(body.min).toBe(Math.min(...residuals));
    const sw = shapiroWilk(residuals);
    expect(body.normality).toMatchObject({ test: 'shapiro-wilk', statistic: sw.statistic, pValue: sw.pValue, sample: { size: 400, population: 400 } });
    expect(body.normality.sample.rule).toMatch(/md5/);
    const t = oneSampleTTest(residuals, 0);
    expect(body.bias).toMatchObject({ test: 'one-sample-t', df: 399 });
    expectClose(body.bias.statistic, t.statistic, 't');
    expectClose(body.bias.pValue, t.pValue, 'p');
  });

  it('regression segments: flags the planted venue = "away" bias with Welch, Cohen’s d and Holm, and no random feature', async () => {
    const body = await getJson(ctx.app, `/v1/models/eta/errors?${RANGE}`);
    const seg = body.segments;
    expect(seg.sample).toMatchObject({ size: 400, population: 400 });
    expect(seg.method).toMatchObject({ correction: 'holm', alpha: 0.05, minSliceSize: 10 });
    expect(seg.slices.length).toBeGreaterThan(0);
    expect(new Set(seg.slices.map((s: any) => s.feature))).toEqual(new Set(['venue']));
    const away = seg.slices.find((s: any) => s.label === 'venue = "away"');
    expect(away).toMatchObject({ feature: 'venue', slice: { kind: 'value', value: 'away' }, count: 200, restCount: 200, test: 'welch-t' });
    const inside = regression.filter((r) => r.features.venue === 'away').map((r) => r.residual!);
    const rest = regression.filter((r) => r.features.venue !== 'away').map((r) => r.residual!);
    const w = welchTTest(inside, rest);
    expectClose(away.statistic, w.statistic, 't');
    expectClose(away.pValue, w.pValue, 'p');
    expectClose(away.meanDifference, mean(inside) - mean(rest), 'difference');
    const s1 = standardDeviation(inside, { ddof: 1 });
    const s2 = standardDeviation(rest, { ddof: 1 });
    expectClose(away.cohensD, (mean(inside) - mean(rest)) / Math.sqrt((199 * s1 * s1 + 199 * s2 * s2) / 398), 'd');
    expect(away.cohensD).toBeGreaterThan(1);
    expect(away.adjustedPValue).toBeLessThanOrEqual(Math.min(1, away.pValue * seg.testedSlices));
    const distance = seg.features.find((f: any) => f.feature === 'distanceKm');
    expect(distance).toMatchObject({ kind: 'numeric', binning: 'quintiles', slicesTested: 5 });
    const edges = percentiles(regression.map((r) => r.features.distanceKm as number), [20, 40, 60, 80]);
    distance.edges.forEach((e: number, i: number) => expectClose(e, edges[i]!, `edge ${i}`));
    expect(seg.features.find((f: any) => f.feature === 'playoff')).toMatchObject({ kind: 'categorical', binning: 'categories', slicesTested: 2 });
    // venue 2 + distanceKm 5 + noise 5 + color 5 + playoff 2
    expect(seg.testedSlices).toBe(19);
  });

  it('classification: residual 1 − P(actual) skipping rows without it; segments compare accuracy, missing values are a slice', async () => {
    const body = await getJson(ctx.app, `/v1/models/nba/errors?${RANGE}`);
    const residuals = binary.filter((r) => r.residual !== null).map((r) => r.residual!);
    expect(body).toMatchObject({ residual: '1 − P(actual label)', sampleCount: 500, n: residuals.length, skipped: 25 });
    expectClose(body.mean, mean(residuals), 'mean');
    expectClose(body.std, standardDeviation(residuals, { ddof: 1 }), 'std');
    const missing = body.segments.slices.find((s: any) => s.feature === 'weather' && s.slice.kind === 'missing');
    expect(missing).toMatchObject({ label: 'weather missing', test: 'two-proportion-z' });
    const inside = binary.filter((r) => r.features.weather === undefined);
    const rest = binary.filter((r) => r.features.weather !== undefined);
    const z = proportionsZTest(inside.filter((r) => r.correct).length, inside.length, rest.filter((r) => r.correct).length, rest.length);
    expect(missing.count).toBe(inside.length);
    expectClose(missing.statistic, z.z, 'z');
    expectClose(missing.pValue, z.pValue, 'p');
    expectClose(missing.accuracyDifference, z.p1 - z.p2, 'difference');
    expect(missing.accuracyDifference).toBeLessThan(-0.3);
    expect(body.segments.slices.every((s: any) => s.feature === 'weather')).toBe(true);
    const pAll = body.segments.slices.map((s: any) => s.adjustedPValue);
    expect(pAll.every((p: number) => p < 0.05)).toBe(true);
    expect(holm([0.01, 0.04])).toEqual([0.02, 0.04]);
  });

  it('an empty window answers 200 with nulls and a note; version filters; bad parameters are 400/422', async () => {
    const r = await call(ctx.app, 'GET', '/v1/models/eta/errors?from=2023-01-01T00:00:00Z&to=2023-01-02T00:00:00Z');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ sampleCount: 0, n: 0, mean: null, percentiles: null, normality: null, bias: null, segments: { slices: [], testedSlices: 0 } });
    expect(r.json().note).toMatch(/no labeled predictions/);
    const last = await getJson(ctx.app, '/v1/models/eta/errors?last=50&version=v1');
    expect(last.n).toBe(50);
    expectClose(last.mean, mean(regression.slice(-50).map((x) => x.residual!)), 'last mean');
    expect(last.window).toMatchObject({ last: 50, to: iso(T0 + 399 * 30 * 60_000) });
    expect(problem(await call(ctx.app, 'GET', '/v1/models/eta/errors?window=1y'), 400).errors![0]!.path).toBe('/query/window');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/eta/errors?version=v9'), 422).errors![0]!.path).toBe('/query/version');
  });

  it('two residuals: undefined shape statistics come with reasons, never NaN', async () => {
    await createModel(ctx.app, regressionModel('tiny'));
    await ingest(ctx.app, [1, 2].map((k) => ({ model: 'tiny', features: { a: k }, prediction: 5, actual: 3, predictedAt: iso(T0 + k * 1000) })));
    const r = await call(ctx.app, 'GET', `/v1/models/tiny/errors?${RANGE}`);
    expect(r.body).not.toMatch(/NaN|Infinity/);
    const body = r.json();
    expect(body).toMatchObject({ n: 2, mean: 2, std: 0, skewness: null, kurtosis: null, normality: null, bias: { statistic: null, pValue: 0, df: 1 } });
    expect(Object.keys(body.undefined).sort()).toEqual(['bias.statistic', 'kurtosis', 'normality', 'skewness']);
  });

  it('above 5000 residuals, Shapiro–Wilk runs on the 5000 whose prediction ids have the smallest md5', async () => {
    await createModel(ctx.app, regressionModel('big'));
    const rnd = random(77);
    const rows = Array.from({ length: 6000 }, (_, i) => {
      const actual = Math.round(rnd.normal(10, 3) * 100) / 100;
      return { id: `big-${i}`, actual, predicted: Math.round((actual + rnd.normal(0, 1) ** 3) * 100) / 100 };
    });
    await ingest(ctx.app, rows.map((r, i) => ({ model: 'big', id: r.id, features: {}, prediction: r.predicted, actual: r.actual, predictedAt: iso(T0 + i * 1000) })));
    const body = await getJson(ctx.app, `/v1/models/big/errors?${RANGE}`);
    const md5 = (id: string) => createHash('md5').update(id).digest('hex');
    const sample = [...rows].sort((a, b) => (md5(a.id) < md5(b.id) ? -1 : 1)).slice(0, 5000).map((r) => r.predicted - r.actual);
    const sw = shapiroWilk(sample);
    expect(body.normality).toMatchObject({ statistic: sw.statistic, pValue: sw.pValue, sample: { size: 5000, population: 6000 } });
    expect(body.n).toBe(6000);
    expectClose(body.kurtosis, kurtosis(rows.map((r) => r.predicted - r.actual)), 'kurtosis over all 6000');
  });
});
