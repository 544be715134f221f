import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, problem, type TestContext } from '../helpers/app.js';
import { getJson, ingest } from '../helpers/analytics.js';
import { createModel } from '../helpers/fixtures.js';
import { DAY, churnPredictions } from '../helpers/report-data.js';
import { createRetrainingApp, startReceiver, type Receiver } from '../helpers/retraining.js';

/**
 * GET /v1/models/{model}/report: each part is what the endpoint it comes from answers for the same period,
 * plus what only the report has (histogram, version changes, alerts and requests of the period, summary).
 */

let ctx: TestContext;
let trainer: Receiver;
let range: { from: string; to: string };
let q: string;

beforeAll(async () => {
  ctx = await createRetrainingApp();
  trainer = await startReceiver();
  trainer.respond(() => ({ status: 202 }));
  await createModel(ctx.app, { name: 'churn', task: 'binary', labels: ['churn', 'stay'], positiveLabel: 'churn' });
  await call(ctx.app, 'POST', '/v1/models/churn/versions', { name: 'v1', status: 'production', metrics: { accuracy: 0.8 } });
  const now = Date.now();
  await ingest(ctx.app, churnPredictions('churn', now - 60_000));
  // Two stored drift reports in the period; the second is the latest.
  for (let i = 0; i < 2; i++) {
    const r = await call(ctx.app, 'POST', '/v1/models/churn/drift-reports', { current: '2d', reference: '12d' });
    expect(r.statusCode).toBe(201);
  }
  await call(ctx.app, 'PUT', '/v1/models/churn/policy', { accuracyBelow: 0.75, minSamples: 20, autoTrigger: true });
  await call(ctx.app, 'PUT', '/v1/models/churn/webhook', { url: trainer.url });
  expect((await call(ctx.app, 'POST', '/v1/models/churn/retrain-requests', { reason: 'accuracy fell' })).statusCode).toBe(202);
  await call(ctx.app, 'POST', '/v1/models/churn/versions', { name: 'v2', metrics: { accuracy: 0.85 } });
  await call(ctx.app, 'POST', '/v1/models/churn/versions/v2/promote', { reason: 'better on the holdout' });
  const churn = (await ctx.sql.query(`SELECT id FROM models WHERE name = 'churn'`)).rows[0].id as string;
  await ctx.app.services.alerts.raise({ type: 'drift.feature', severity: 'critical', modelId: churn, title: 'tenure drifted <script>', detail: 'PSI 0.9' });
  await createModel(ctx.app, { name: 'other', task: 'binary', labels: ['a', 'b'] });
  const other = (await ctx.sql.query(`SELECT id FROM models WHERE name = 'other'`)).rows[0].id as string;
  await ctx.app.services.alerts.raise({ type: 'drift.feature', severity: 'warning', modelId: other, title: 'not this model', detail: '' });
  // The period ends after everything above happened.
  range = { from: new Date(now - 7 * DAY).toISOString(), to: new Date(Date.now() + 1000).toISOString() };
  q = `from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}`;
}, 60_000);
afterAll(async () => {
  await trainer.close();
  await ctx.close();
});

describe('GET /v1/models/{model}/report', () => {
  it('gathers each part exactly as its own endpoint answers it for the same period', async () => {
    const report = await getJson(ctx.app, `/v1/models/churn/report?${q}`);
    expect(report.period).toEqual({ ...range, label: `${range.from} – ${range.to}`, bucket: 'day' });
    // `model` is the model's record; where the loop stands now (`loop` on GET /v1/models/{model}) is not a part of a report over a period.
    const { loop, ...record } = await getJson(ctx.app, '/v1/models/churn');
    expect(loop).toBeDefined();
    expect(report.model).toEqual(record);
    expect(report.model).not.toHaveProperty('loop');
    expect(report.performance.metric).toBe('accuracy');
    expect(report.performance.overall).toEqual(await getJson(ctx.app, `/v1/models/churn/performance?${q}&groupBy=version`));
    expect(report.performance.history).toEqual(await getJson(ctx.app, `/v1/models/churn/performance/history?${q}&bucket=day`));
    const { histogram, ...errors } = report.errors;
    expect(errors).toEqual(await getJson(ctx.app, `/v1/models/churn/errors?${q}`));
    const { evaluatedAt: _a, ...decision } = report.retraining.decision;
    const { evaluatedAt: _b, ...direct } = await getJson(ctx.app, '/v1/models/churn/retrain-decision');
    expect(decision).toEqual(direct);
    expect(report.retraining.requests).toEqual((await getJson(ctx.app, '/v1/models/churn/retrain-requests')).items);
    expect(report.versions).toEqual((await getJson(ctx.app, '/v1/models/churn/versions')).items);
    expect(report.calibration).toMatchObject({ available: true, ece: report.performance.overall.metrics.ece, bins: report.performance.overall.metrics.reliability });

    // The residual is 1 − P(actual): every labeled prediction has one, counted in 20 bins over [0, 1].
    expect(histogram.bins).toHaveLength(20);
    expect(histogram.bins.reduce((s: number, b: { count: number }) => s + b.count, 0)).toBe(errors.n);
    expect(histogram.bins[0]).toMatchObject({ lower: 0, upper: 0.05 });
    const residuals = await ctx.sql.query(
      `SELECT 1 - p_actual AS x FROM outcomes o JOIN models m ON m.id = o.model_id WHERE m.name = 'churn' AND predicted_at >= $1 AND predicted_at < $2`,
      [range.from, range.to],
    );
    const expected = new Array(20).fill(0);
    for (const { x } of residuals.rows) expected[Math.min(19, Math.floor(x * 20))]++;
    expect(histogram.bins.map((b: { count: number }) => b.count)).toEqual(expected);
  });

  it('takes the latest stored drift report of the period, and the severity of each one', async () => {
    const report = await getJson(ctx.app, `/v1/models/churn/report?${q}`);
    const stored = (await getJson(ctx.app, `/v1/models/churn/drift-reports?${q}`)).items;
    expect(stored).toHaveLength(2);
    expect(report.drift.source).toBe('stored');
    expect(report.drift.series.map((p: { id: string }) => p.id)).toEqual([stored[1].id, stored[0].id]);
    const latest = await getJson(ctx.app, `/v1/models/churn/drift-reports/${stored[0].id}`);
    expect(report.drift.latest).toMatchObject({ id: latest.id, severity: latest.summary.severity, summary: latest.summary });
    expect(report.drift.latest.url).toMatch(new RegExp(`/v1/models/churn/drift-reports/${latest.id}$`));
    expect(report.drift.latest.features).toEqual(
      latest.features.map((f: Record<string, any>) => ({
        feature: f.feature,
        type: f.type,
        status: f.status,
        method: f.method,
        statistic: f.statistic,
        pValue: f.pValue,
        adjustedPValue: f.adjustedPValue,
        threshold: f.threshold,
        drifted: f.drifted,
        severity: f.severity,
        psi: f.effectSize?.value ?? null,
      })),
    );
    expect(report.drift.latest.features.find((f: { feature: string }) => f.feature === 'tenure')).toMatchObject({ drifted: true });
  });

  it('lists the version changes, alerts and requests of the period, and says what needs attention', async () => {
    const report = await getJson(ctx.app, `/v1/models/churn/report?${q}`);
    expect(report.versionChanges.map((e: Record<string, unknown>) => [e.action, e.version, e.previousVersion, e.reason])).toEqual([
      ['promoted', 'v1', null, 'registered as production'],
      ['promoted', 'v2', 'v1', 'better on the holdout'],
    ]);
    expect(report.alerts.map((a: { title: string }) => a.title)).toEqual(['tenure drifted <script>']);
    expect(report.alerts[0]).toMatchObject({ severity: 'critical', status: 'open', count: 1 });
    expect(report.summary.status).toBe('action');
    expect(report.summary.headline).toMatch(/^Accuracy \d+\.\d% over the period \(280 labeled predictions\)/);
    expect(report.summary.changes.some((c: string) => c.startsWith('v2 promoted on') && c.includes('replacing v1'))).toBe(true);
    expect(report.summary.attention.some((a: string) => a.startsWith('Drift is '))).toBe(true);
    expect(report.summary.attention.some((a: string) => a.includes('critical: tenure drifted <script>'))).toBe(true);
    expect(report.links.html).toContain('/v1/models/churn/report.html?from=');
  });

  it('computes a drift report (not stored) when none was stored in the period; sizes buckets to the period', async () => {
    const before = (await ctx.sql.query('SELECT count(*)::int AS n FROM drift_reports')).rows[0].n;
    const old = { from: new Date(Date.now() - 30 * DAY).toISOString(), to: new Date(Date.now() - 3 * DAY).toISOString() };
    const report = await getJson(ctx.app, `/v1/models/churn/report?from=${old.from}&to=${old.to}`);
    expect(report.drift).toMatchObject({ source: 'computed', series: [] });
    expect(report.drift.latest).toMatchObject({ id: null, url: null, current: { from: old.from, to: old.to } });
    expect((await ctx.sql.query('SELECT count(*)::int AS n FROM drift_reports')).rows[0].n).toBe(before);
    expect(report.versionChanges).toEqual([]);
    expect((await getJson(ctx.app, '/v1/models/churn/report?period=36h')).period.bucket).toBe('hour');
    expect((await getJson(ctx.app, '/v1/models/churn/report')).period).toMatchObject({ label: '7d', bucket: 'day' });
    expect((await getJson(ctx.app, '/v1/models/churn/report?period=90d')).period.bucket).toBe('week');
  });

  it('is what the weekly job builds: ReportService.build', async () => {
    const built = await ctx.app.services.reports.build('churn', range);
    const served = await getJson(ctx.app, `/v1/models/churn/report?${q}`);
    expect(built.performance.overall).toEqual(served.performance.overall);
    expect(built.summary.status).toBe(served.summary.status);
  });

  it('answers a model without any data with empty parts, not an error', async () => {
    const report = await getJson(ctx.app, '/v1/models/other/report');
    expect(report.performance.overall).toMatchObject({ sampleCount: 0, metrics: null });
    expect(report.errors.histogram.bins).toEqual([]);
    expect(report.calibration).toMatchObject({ available: false, note: 'no labeled predictions in the period' });
    expect(report.drift.source).toBe('computed');
    expect(report.summary.attention[0]).toBe('No predictions in the period: log them with POST /v1/predictions.');
  });

  it('bins a regression model\'s signed errors over [min, max] (√n bins within 5–30), and has no calibration', async () => {
    await createModel(ctx.app, { name: 'demand', task: 'regression' });
    await call(ctx.app, 'POST', '/v1/models/demand/versions', { name: 'v1', status: 'production' });
    const now = Date.now();
    const errors = Array.from({ length: 50 }, (_, i) => (i % 10) - 4.5 + (i === 0 ? -20 : 0));
    await ingest(
      ctx.app,
      errors.map((e, i) => ({ model: 'demand', externalId: `d-${i}`, features: { x: i }, prediction: 100 + e, actual: 100, predictedAt: new Date(now - (i + 1) * 3_600_000).toISOString() })),
    );
    const report = await getJson(ctx.app, '/v1/models/demand/report');
    expect(report.performance.metric).toBe('mae');
    const { histogram } = report.errors;
    expect(histogram.bins).toHaveLength(8); // ⌈√50⌉
    expect(histogram.bins[0].lower).toBeCloseTo(Math.min(...errors), 9);
    expect(histogram.bins[7].upper).toBeCloseTo(Math.max(...errors), 9);
    expect(histogram.bins.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(50);
    const width = (Math.max(...errors) - Math.min(...errors)) / 8;
    const expected = new Array(8).fill(0);
    for (const e of errors) expected[Math.min(7, Math.floor((e - Math.min(...errors)) / width))]++;
    expect(histogram.bins.map((b: { count: number }) => b.count)).toEqual(expected);
    expect(report.calibration).toMatchObject({ available: false, note: 'calibration (reliability of P(positive)) applies to binary models; this one is regression' });
  });

  it('refuses bad periods, unknown models and keys without access', async () => {
    expect(problem(await call(ctx.app, 'GET', '/v1/models/churn/report?period=soon'), 400).errors![0]!.path).toBe('/query/period');
    expect(problem(await call(ctx.app, 'GET', `/v1/models/churn/report?period=7d&from=${range.from}&to=${range.to}`), 400).errors!.map((e) => e.path)).toContain('/query/period');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/churn/report?last=10'), 400).errors![0]!.path).toBe('/query/last');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nope/report'), 404).detail).toContain('"nope"');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nope/report.html'), 404).detail).toContain('"nope"');
    const limited = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'other-reader', scopes: ['read'], models: ['other'] })).json().key;
    expect((await call(ctx.app, 'GET', '/v1/models/churn/report', undefined, limited)).statusCode).toBe(403);
    expect((await call(ctx.app, 'GET', '/v1/models/churn/report.html', undefined, limited)).statusCode).toBe(403);
    expect((await call(ctx.app, 'GET', '/v1/models/other/report', undefined, limited)).statusCode).toBe(200);
    const ingestKey = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'ingest', scopes: ['ingest'] })).json().key;
    expect((await call(ctx.app, 'GET', '/v1/models/churn/report', undefined, ingestKey)).statusCode).toBe(403);
    expect((await call(ctx.app, 'GET', '/v1/models/churn/report.html', undefined, null)).statusCode).toBe(401);
  });
});
