import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  binaryClassificationMetrics,
  expectedCalibrationError,
  mannKendall,
  mean,
  multiclassClassificationMetrics,
  percentiles,
  regressionMetrics,
} from '../../src/stats/index.js';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { expectClose, getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, multiclassModel, regressionModel } from '../helpers/fixtures.js';

let ctx: TestContext;
const T0 = Date.parse('2024-10-01T00:00:00Z');
const MIN = 60_000;
const RANGE = `from=2024-10-01T00:00:00Z&to=2024-10-20T00:00:00Z`;

interface RegRow { id: string; at: number; version: string; actual: number; predicted: number; delay: number; source: string }
interface BinRow { id: string; at: number; version: string; actual: string; predicted: string; p: number | null; delay: number }

const regRows: RegRow[] = [];
const binRows: BinRow[] = [];

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, regressionModel('eta'), 'v1');
  await call(ctx.app, 'POST', '/v1/models/eta/versions', { name: 'v2' });
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  await call(ctx.app, 'POST', '/v1/models/nba/versions', { name: 'v2' });
  await createModel(ctx.app, binaryModel('one'), 'v1');
  await createModel(ctx.app, multiclassModel('match'), 'v1');

  const rnd = random(7);
  for (let i = 0; i < 300; i++) {
    const actual = i % 60 === 0 ? 0 : Math.round(rnd.normal(30, 10) * 100) / 100;
    const version = i < 150 ? 'v1' : 'v2';
    const predicted = Math.round((actual + rnd.normal(version === 'v2' ? 1.5 : 0, 3)) * 100) / 100;
    regRows.push({ id: `eta-${i}`, at: T0 + i * 40 * MIN, version, actual, predicted, delay: rnd.int(60, 7200), source: i % 7 === 0 ? 'human' : 'ground_truth' });
  }
  await ingest(
    ctx.app,
    regRows.map((r) => ({
      model: 'eta',
      id: r.id,
      version: r.version,
      features: { distanceKm: 3 },
      prediction: r.predicted,
      predictedAt: iso(r.at),
      actual: r.actual,
      observedAt: iso(r.at + r.delay * 1000),
      source: r.source,
    })),
  );

  for (let i = 0; i < 300; i++) {
    const score = rnd.normal(0, 1);
    let p: number | null = Math.round((1 / (1 + Math.exp(-score * 1.5))) * 1000) / 1000;
    if (i < 4) p = [0, 0.3, 0.7, 1][i]!;
    const actual = rnd.next() < 1 / (1 + Math.exp(-score * 2)) ? 'LAL' : 'BOS';
    let predicted = p >= 0.5 ? 'LAL' : 'BOS';
    if (i % 25 === 7) predicted = predicted === 'LAL' ? 'BOS' : 'LAL';
    if (i % 10 === 3) p = null;
    binRows.push({ id: `nba-${i}`, at: T0 + i * 40 * MIN, version: i % 2 ? 'v2' : 'v1', actual, predicted, p, delay: rnd.int(600, 20000) });
  }
  await ingest(
    ctx.app,
    binRows.map((r) => ({
      model: 'nba',
      id: r.id,
      version: r.version,
      features: { homeElo: 1500 },
      prediction: r.predicted,
      ...(r.p === null ? {} : { probabilities: { LAL: r.p, BOS: 1 - r.p } }),
      predictedAt: iso(r.at),
      actual: r.actual,
      observedAt: iso(r.at + r.delay * 1000),
    })),
  );
});
afterAll(() => ctx.close());

function expectRegression(body: Record<string, any>, rows: RegRow[]) {
  const m = regressionMetrics(rows.map((r) => r.actual), rows.map((r) => r.predicted));
  expect(body.sampleCount).toBe(rows.length);
  for (const k of ['mae', 'rmse', 'r2', 'mape', 'meanError'] as const) expectClose(body.metrics[k], m[k], k);
  expect(body.metrics.mapeCount).toBe(m.mapeN);
  const delays = rows.map((r) => r.delay);
  const [p50, p90, p95, p99] = percentiles(delays, [50, 90, 95, 99]);
  expectClose(body.labelDelaySeconds.p50, p50!, 'p50');
  expectClose(body.labelDelaySeconds.p90, p90!, 'p90');
  expectClose(body.labelDelaySeconds.p95, p95!, 'p95');
  expectClose(body.labelDelaySeconds.p99, p99!, 'p99');
  expectClose(body.labelDelaySeconds.mean, mean(delays), 'delay mean');
  expect(body.labelDelaySeconds.max).toBe(Math.max(...delays));
}

function expectBinary(body: Record<string, any>, rows: BinRow[]) {
  const m = body.metrics;
  expect(body.sampleCount).toBe(rows.length);
  const count = (f: (r: BinRow) => boolean) => rows.filter(f).length;
  const tp = count((r) => r.predicted === 'LAL' && r.actual === 'LAL');
  const fp = count((r) => r.predicted === 'LAL' && r.actual === 'BOS');
  const fn = count((r) => r.predicted === 'BOS' && r.actual === 'LAL');
  const tn = count((r) => r.predicted === 'BOS' && r.actual === 'BOS');
  expect(m.confusionMatrix).toEqual({ labels: ['BOS', 'LAL'], matrix: [[tn, fp], [fn, tp]], tp, fp, tn, fn });
  expectClose(m.accuracy, (tp + tn) / rows.length, 'accuracy');
  const precision = tp / (tp + fp);
  const recall = tp / (tp + fn);
  expectClose(m.precision, precision, 'precision');
  expectClose(m.recall, recall, 'recall');
  expectClose(m.f1, (2 * precision * recall) / (precision + recall), 'f1');
  const withP = rows.filter((r) => r.p !== null);
  expect(m.probabilityCount).toBe(withP.length);
  const y = withP.map((r) => (r.actual === 'LAL' ? 1 : 0));
  const s = withP.map((r) => r.p!);
  const ref = binaryClassificationMetrics(y, s);
  expectClose(m.rocAuc, ref.rocAuc, 'rocAuc');
  expectClose(m.logLoss, ref.logLoss, 'logLoss');
  expectClose(m.brier, ref.brier, 'brier');
  const cal = expectedCalibrationError(y, s);
  expectClose(m.ece, cal.ece, 'ece');
  expect(m.reliability.map((b: any) => b.count)).toEqual(cal.bins.map((b) => b.count));
  m.reliability.forEach((b: any, i: number) => {
    const r = cal.bins[i]!;
    expect([b.lower, b.upper]).toEqual([r.lower, r.upper]);
    if (r.meanPredicted === null) expect(b.meanPredicted).toBeNull();
    else expectClose(b.meanPredicted, r.meanPredicted, `bin ${i}`);
    expect(b.fractionPositive).toBe(r.fractionPositive);
  });
}

describe('GET /v1/models/{model}/performance', () => {
  it('regression: MAE, RMSE, R², MAPE (skipping actual 0), mean error and label delays match an independent computation', async () => {
    const body = await getJson(ctx.app, `/v1/models/eta/performance?${RANGE}`);
    expect(body).toMatchObject({ model: 'eta', task: 'regression', window: { from: '2024-10-01T00:00:00.000Z', to: '2024-10-20T00:00:00.000Z' }, filters: { version: null, source: null } });
    expectRegression(body, regRows);
    expect(body.predictionCount).toBe(300);
    expect(body.labelCoverage).toBe(1);
    expect(body.undefined).toEqual({});
    expect(body.groups).toBeUndefined();
  });

  it('binary: accuracy and confusion matrix from the logged label, AUC/log loss/Brier/ECE from P(positive) over the rows that have it', async () => {
    const body = await getJson(ctx.app, `/v1/models/nba/performance?${RANGE}`);
    expectBinary(body, binRows);
    expect(body.metrics.positiveLabel).toBe('LAL');
    expect(body.metrics.probabilityCount).toBeLessThan(300);
  });

  it('groupBy=version returns each version, and version= filters', async () => {
    const body = await getJson(ctx.app, `/v1/models/eta/performance?${RANGE}&groupBy=version`);
    expectRegression(body, regRows);
    expect(body.groups.map((g: any) => g.version)).toEqual(['v1', 'v2']);
    for (const g of body.groups) expectRegression(g, regRows.filter((r) => r.version === g.version));
    const v2 = await getJson(ctx.app, `/v1/models/eta/performance?${RANGE}&version=v2`);
    expect(v2.filters).toEqual({ version: 'v2', source: null });
    expectRegression(v2, regRows.filter((r) => r.version === 'v2'));
    const bin = await getJson(ctx.app, `/v1/models/nba/performance?${RANGE}&groupBy=version`);
    for (const g of bin.groups) expectBinary(g, binRows.filter((r) => r.version === g.version));
  });

  it('source= filters by who observed the outcome', async () => {
    const human = await getJson(ctx.app, `/v1/models/eta/performance?${RANGE}&source=human`);
    expectRegression(human, regRows.filter((r) => r.source === 'human'));
    expect(human.predictionCount).toBe(300);
  });

  it('groupBy=source splits by who observed the outcome; each source’s coverage is its share of all predictions', async () => {
    const body = await getJson(ctx.app, `/v1/models/eta/performance?${RANGE}&groupBy=source`);
    expectRegression(body, regRows);
    expect(body.groups.map((g: any) => g.source)).toEqual(['ground_truth', 'human']);
    for (const g of body.groups) {
      const rows = regRows.filter((r) => r.source === g.source);
      expect(g.version).toBeUndefined();
      expectRegression(g, rows);
      expect(g.predictionCount).toBe(300);
      expectClose(g.labelCoverage, rows.length / 300, 'coverage');
    }
    const last = await getJson(ctx.app, `/v1/models/eta/performance?last=50&groupBy=source`);
    expect(last.groups.reduce((s: number, g: any) => s + g.sampleCount, 0)).toBe(50);
    expect(new Set(last.groups.map((g: any) => g.predictionCount))).toEqual(new Set([last.predictionCount]));
  });

  it('last=N takes the N latest labeled predictions and echoes the span they cover', async () => {
    const body = await getJson(ctx.app, '/v1/models/eta/performance?last=40');
    const last = regRows.slice(-40);
    expectRegression(body, last);
    expect(body.window).toEqual({ last: 40, from: iso(last[0]!.at), to: iso(last[39]!.at) });
    expect(body.predictionCount).toBe(40);
    const bin = await getJson(ctx.app, '/v1/models/nba/performance?last=100&version=v1');
    expectBinary(bin, binRows.filter((r) => r.version === 'v1').slice(-100));
  });

  it('an empty window is a 200 with sampleCount 0, null metrics and a note', async () => {
    const body = await getJson(ctx.app, '/v1/models/nba/performance?from=2023-01-01T00:00:00Z&to=2023-02-01T00:00:00Z');
    expect(body).toMatchObject({ sampleCount: 0, predictionCount: 0, labelCoverage: null, labelDelaySeconds: null, metrics: null });
    expect(body.note).toMatch(/no predictions/);
    await createModel(ctx.app, binaryModel('empty'));
    const last = await getJson(ctx.app, '/v1/models/empty/performance?last=10');
    expect(last).toMatchObject({ sampleCount: 0, metrics: null, window: { last: 10, from: null, to: null } });
  });

  it('a window with one class gives ROC AUC null with its reason, never NaN', async () => {
    const items = Array.from({ length: 12 }, (_, i) => ({
      model: 'one',
      features: {},
      prediction: i % 3 ? 'LAL' : 'BOS',
      probabilities: { LAL: i % 3 ? 0.8 : 0.4, BOS: i % 3 ? 0.2 : 0.6 },
      predictedAt: iso(T0 + i * MIN),
      actual: 'LAL',
      observedAt: iso(T0 + i * MIN),
    }));
    await ingest(ctx.app, items);
    const r = await call(ctx.app, 'GET', `/v1/models/one/performance?${RANGE}`);
    expect(r.body).not.toMatch(/NaN|Infinity/);
    const body = r.json();
    expect(body.metrics.rocAuc).toBeNull();
    expect(body.undefined.rocAuc).toMatch(/only one class \("LAL"\)/);
    expect(body.metrics.accuracy).toBeCloseTo(8 / 12, 12);
    expect(body.metrics.precision).toBe(1);
    const ref = binaryClassificationMetrics(new Array(12).fill(1), items.map((i) => i.probabilities.LAL));
    expectClose(body.metrics.logLoss, ref.logLoss, 'logLoss');
  });

  it('multiclass: accuracy, macro F1 and per-label metrics as scikit-learn', async () => {
    const rnd = random(11);
    const labels = ['home', 'away', 'draw'];
    const rows = Array.from({ length: 90 }, (_, i) => ({ actual: rnd.pick(labels), predicted: rnd.pick(labels), at: T0 + i * MIN }));
    await ingest(ctx.app, rows.map((r) => ({ model: 'match', features: {}, prediction: r.predicted, predictedAt: iso(r.at), actual: r.actual, observedAt: iso(r.at) })));
    const body = await getJson(ctx.app, `/v1/models/match/performance?${RANGE}`);
    const ref = multiclassClassificationMetrics(rows.map((r) => r.actual), rows.map((r) => r.predicted));
    expectClose(body.metrics.accuracy, ref.accuracy, 'accuracy');
    expectClose(body.metrics.macroF1, ref.macroF1, 'macroF1');
    expect(body.metrics.confusionMatrix).toEqual({ labels: ref.labels, matrix: ref.confusion });
    body.metrics.perLabel.forEach((l: any, i: number) => {
      expect(l.label).toBe(ref.labels[i]);
      expectClose(l.precision, ref.precision[i]!, 'precision');
      expectClose(l.recall, ref.recall[i]!, 'recall');
      expectClose(l.f1, ref.f1[i]!, 'f1');
    });
  });

  it('defaults to the last 7 days', async () => {
    await createModel(ctx.app, regressionModel('recent'));
    const now = Date.now();
    await ingest(ctx.app, [
      { model: 'recent', features: {}, prediction: 3, actual: 1, predictedAt: iso(now - 2 * 86_400_000) },
      { model: 'recent', features: {}, prediction: 5, actual: 1, predictedAt: iso(now - 8 * 86_400_000) },
      { model: 'recent', features: {}, prediction: 9, predictedAt: iso(now - 3600_000) },
    ]);
    const body = await getJson(ctx.app, '/v1/models/recent/performance');
    expect(body.sampleCount).toBe(1);
    expect(body.predictionCount).toBe(2);
    expect(body.labelCoverage).toBe(0.5);
    expect(body.metrics.mae).toBe(2);
    expect(Date.parse(body.window.to) - Date.parse(body.window.from)).toBe(7 * 86_400_000);
    const day = await getJson(ctx.app, '/v1/models/recent/performance?window=24h');
    expect(day).toMatchObject({ sampleCount: 0, predictionCount: 1, labelCoverage: 0, metrics: null });
    expect(day.note).toMatch(/none labeled yet/);
  });

  it('refuses invalid windows and unknown versions, naming the parameter', async () => {
    const bad = async (query: string, status: number) => problem(await call(ctx.app, 'GET', `/v1/models/eta/performance?${query}`), status).errors!.map((e) => e.path);
    expect(await bad('window=7x', 400)).toEqual(['/query/window']);
    expect(await bad('window=7d&last=5', 400)).toEqual(['/query/window', '/query/last']);
    expect(await bad('from=2024-10-01T00:00:00Z&to=2024-10-02T00:00:00Z&window=7d', 400)).toEqual(['/query/window', '/query/from', '/query/to']);
    expect(await bad('from=2024-10-01T00:00:00Z', 400)).toEqual(['/query/to']);
    expect(await bad('from=2024-10-02T00:00:00Z&to=2024-10-01T00:00:00Z', 400)).toEqual(['/query/from']);
    expect(await bad('last=0', 400)).toEqual(['/query/last']);
    expect(await bad('groupBy=day', 400)).toEqual(['/query/groupBy']);
    expect(await bad('source=robot', 400)).toEqual(['/query/source']);
    expect(await bad('version=v9', 422)).toEqual(['/query/version']);
    problem(await call(ctx.app, 'GET', '/v1/models/nope/performance'), 404);
  });
});

describe('GET /v1/models/{model}/performance/history', () => {
  beforeAll(async () => {
    await createModel(ctx.app, regressionModel('degrading'));
    await createModel(ctx.app, regressionModel('flat'));
    const rnd = random(3);
    const items: Record<string, unknown>[] = [];
    for (let day = 0; day < 10; day++) {
      for (let k = 0; k < 12; k++) {
        const at = T0 + day * 86_400_000 + k * 2 * 3600_000;
        const actual = rnd.normal(50, 5);
        items.push({ model: 'degrading', features: {}, prediction: actual + rnd.normal(0, 1 + day * 0.8), actual, predictedAt: iso(at) });
        items.push({ model: 'flat', features: {}, prediction: actual + rnd.normal(0, 2), actual, predictedAt: iso(at) });
      }
    }
    await ingest(ctx.app, items);
  });

  it('buckets by UTC day with each bucket’s metrics, and calls a rising MAE degrading (Mann–Kendall)', async () => {
    const body = await getJson(ctx.app, '/v1/models/degrading/performance/history?from=2024-10-01T00:00:00Z&to=2024-10-13T00:00:00Z&bucket=day');
    expect(body.buckets).toHaveLength(12);
    expect(body.buckets[0]).toMatchObject({ start: '2024-10-01T00:00:00.000Z', end: '2024-10-02T00:00:00.000Z', sampleCount: 12 });
    expect(body.buckets[11]).toMatchObject({ sampleCount: 0, metrics: null });
    const { rows } = await ctx.sql.query(
      `SELECT date_trunc('day', predicted_at, 'UTC') AS d, array_agg(actual_value ORDER BY prediction_id) AS a, array_agg(predicted_value ORDER BY prediction_id) AS p
       FROM outcomes o JOIN models m ON m.id = o.model_id WHERE m.name = 'degrading' GROUP BY 1 ORDER BY 1`,
    );
    const maes = rows.map((r) => regressionMetrics(r.a, r.p).mae);
    body.buckets.slice(0, 10).forEach((b: any, i: number) => expectClose(b.metrics.mae, maes[i]!, `mae day ${i}`));
    const mk = mannKendall(maes);
    expect(body.trend).toMatchObject({ direction: 'degrading', metric: 'mae', test: 'mann-kendall', alpha: 0.05, points: 10 });
    expectClose(body.trend.statistic, mk.statistic, 'S');
    expectClose(body.trend.pValue, mk.pValue, 'p');
    expectClose(body.trend.senSlope, mk.slope, 'slope');
    expect(body.trend.pValue).toBeLessThan(0.05);
  });

  it('calls a flat noisy series stable', async () => {
    const body = await getJson(ctx.app, '/v1/models/flat/performance/history?from=2024-10-01T00:00:00Z&to=2024-10-11T00:00:00Z&bucket=day');
    expect(body.trend.direction).toBe('stable');
    expect(body.trend.pValue).toBeGreaterThanOrEqual(0.05);
  });

  it('binary history uses accuracy (higher is better) and marks version changes', async () => {
    const body = await getJson(ctx.app, `/v1/models/nba/performance/history?${RANGE}&bucket=week`);
    expect(body.metric).toBe('accuracy');
    expect(body.buckets[0].start).toBe('2024-09-30T00:00:00.000Z');
    expect(body.buckets.map((b: any) => b.sampleCount).reduce((a: number, b: number) => a + b, 0)).toBe(300);
    const first = body.buckets[0];
    const inFirst = binRows.filter((r) => r.at < Date.parse('2024-10-07T00:00:00Z'));
    expectBinary(first, inFirst);
    expect(first.versions).toEqual([
      { version: 'v1', sampleCount: inFirst.filter((r) => r.version === 'v1').length },
      { version: 'v2', sampleCount: inFirst.filter((r) => r.version === 'v2').length },
    ].sort((a, b) => b.sampleCount - a.sampleCount || a.version.localeCompare(b.version)));
    expect(body.trend.direction).toBe('stable');
    expect(body.trend.reason).toMatch(/needs at least 4/);
    const eta = await getJson(ctx.app, `/v1/models/eta/performance/history?${RANGE}&bucket=day`);
    const changed = eta.buckets.filter((b: any) => b.versionChanged).map((b: any) => b.start);
    expect(changed).toEqual(['2024-10-05T00:00:00.000Z', '2024-10-06T00:00:00.000Z']);
  });

  it('refuses more than 1000 buckets, naming bucket', async () => {
    const p = problem(await call(ctx.app, 'GET', '/v1/models/eta/performance/history?window=90d&bucket=hour'), 400);
    expect(p.errors).toEqual([{ path: '/query/bucket', message: expect.stringMatching(/2161 buckets|2160 buckets/) }]);
  });
});
