import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { call, type TestContext } from '../helpers/app.js';
import { createModel } from '../helpers/fixtures.js';
import { type Receiver, createRetrainingApp, startReceiver } from '../helpers/retraining.js';

/**
 * The "done when": the daily job on a model with a drifted feature and degraded accuracy stores
 * the drift report, raises the alerts and — with autoTrigger — sends exactly one retrain request; running
 * it again counts the alerts again instead of opening new ones, and sends nothing more. Then the weekly job.
 */

const MODEL = 'churn-daily';
const HEALTHY = 'churn-healthy';
const ETA = 'delivery-eta';
const DAY = 86_400_000;
let ctx: TestContext;
let trainer: Receiver;
let secret: string;

/**
 * Labeled predictions of a binary model: `n` over [start, end), `correct` of them right, with `homeElo`
 * around `elo` (a spread of ±100) and `restDays` unchanged between windows.
 */
async function seed(app: App, model: string, o: { n: number; correct: number; start: number; end: number; elo: number; prefix: string }) {
  const items = Array.from({ length: o.n }, (_, i) => {
    const prediction = i % 2 === 0 ? 'LAL' : 'BOS';
    const wrongs = o.n - o.correct;
    const wrong = Math.floor(((i + 1) * wrongs) / o.n) > Math.floor((i * wrongs) / o.n);
    return {
      model,
      externalId: `${o.prefix}-${i}`,
      features: { homeElo: o.elo + ((i * 37) % 200) - 100, restDays: i % 4 },
      prediction,
      confidence: 0.7,
      predictedAt: new Date(o.start + Math.floor(((o.end - o.start) * i) / o.n)).toISOString(),
      actual: wrong ? (prediction === 'LAL' ? 'BOS' : 'LAL') : prediction,
    };
  });
  const r = await call(app, 'POST', '/v1/predictions/batch', { items });
  if (r.statusCode !== 201) throw new Error(`seed: ${r.statusCode} ${r.body.slice(0, 500)}`);
}

async function runJob(name: string) {
  const r = await call(ctx.app, 'POST', `/v1/jobs/${name}/runs?wait=true`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}

const alertsOf = async (model: string) => (await call(ctx.app, 'GET', `/v1/alerts?model=${model}&limit=100`)).json().items as Record<string, unknown>[];

beforeAll(async () => {
  ctx = await createRetrainingApp();
  trainer = await startReceiver('/hooks/retrain');
  trainer.respond(() => ({ status: 202 }));
  const now = Date.now();
  for (const name of [MODEL, HEALTHY]) {
    await createModel(ctx.app, { name, task: 'binary', labels: ['BOS', 'LAL'], positiveLabel: 'LAL' }, 'v1');
    const policy = await call(ctx.app, 'PUT', `/v1/models/${name}/policy`, {
      accuracyBelow: 0.7,
      lastN: null,
      minSamples: 50,
      autoTrigger: true,
      cooldown: '6h',
      tiers: [{ name: 'weekly-full', every: '7d' }],
    });
    expect(policy.statusCode, policy.body).toBe(200);
    const hook = await call(ctx.app, 'PUT', `/v1/models/${name}/webhook`, { url: trainer.url });
    expect(hook.statusCode, hook.body).toBe(201);
    if (name === MODEL) secret = hook.json().secret;
    // The reference: 8 to 30 days ago, accurate (90 %), homeElo around 1500.
    await seed(ctx.app, name, { n: 300, correct: 270, start: now - 30 * DAY, end: now - 8 * DAY, elo: 1500, prefix: 'ref' });
  }
  // The last 3 days: the drifted model sees homeElo around 1800 and is right only 55 % of the time.
  await seed(ctx.app, MODEL, { n: 200, correct: 110, start: now - 3 * DAY, end: now - 60_000, elo: 1800, prefix: 'cur' });
  // The healthy one goes on as before.
  await seed(ctx.app, HEALTHY, { n: 200, correct: 180, start: now - 3 * DAY, end: now - 60_000, elo: 1500, prefix: 'cur' });
  // A regression model under its default policy (MAPE at most 30 %), without a webhook: errors of about 10 %.
  await createModel(ctx.app, { name: ETA, task: 'regression' }, 'v1');
  const eta = Array.from({ length: 120 }, (_, i) => ({
    model: ETA,
    externalId: `eta-${i}`,
    features: { distanceKm: 1 + (i % 10) },
    prediction: 10 + (i % 10) * 3 + (i % 2 === 0 ? 1 : -1),
    actual: 10 + (i % 10) * 3,
    predictedAt: new Date(now - 20 * DAY + i * 4 * 3_600_000).toISOString(),
  }));
  expect((await call(ctx.app, 'POST', '/v1/predictions/batch', { items: eta })).statusCode).toBe(201);
}, 120_000);
afterAll(async () => {
  await trainer.close();
  await ctx.close();
});

describe('the daily-learning job', () => {
  let firstRun: Record<string, any>;

  it('stores a drift report, raises the alerts and sends one retrain request for the degraded, drifted model', { timeout: 60_000 }, async () => {
    firstRun = await runJob('daily-learning');
    expect(firstRun).toMatchObject({ job: 'daily-learning', trigger: 'manual', status: 'succeeded', error: null, requestedBy: 'HINDSIGHT_ADMIN_KEY' });
    expect(firstRun.durationMs).toBeGreaterThanOrEqual(0);
    const result = firstRun.result;
    expect(result).toMatchObject({ models: 3, visited: 3, failed: 0 });
    expect(result.results.find((r: { model: string }) => r.model === ETA)).toMatchObject({
      status: 'ok',
      performance: { metric: 'mae', value: 1, version: 'v1' },
      retrain: { shouldRetrain: false, triggered: false },
    });
    const degraded = result.results.find((r: { model: string }) => r.model === MODEL);
    expect(degraded).toMatchObject({
      status: 'ok',
      failures: [],
      performance: { window: '7d', version: 'v1', sampleCount: 200, metric: 'accuracy', value: 0.55 },
      drift: { reference: 'window', rows: { reference: 300, current: 200 }, concept: { metric: 'accuracy', direction: 'degraded' } },
      retrain: { shouldRetrain: true, triggered: true },
    });
    // Two reasons: the accuracy below the policy, and the drift report the job has just stored.
    expect(degraded.retrain.reasons[0]).toBe('accuracy 0.55 over the last 7d is below 0.7');
    expect(degraded.retrain.reasons[1]).toMatch(new RegExp(`^drift severity "(high|critical)" \\(report ${degraded.drift.reportId} of .*\\) is at or above "high"$`));
    expect(degraded.drift.driftedFeatures).toContain('homeElo');
    expect(degraded.drift.driftedFeatures).not.toContain('restDays');
    expect(['high', 'critical']).toContain(degraded.drift.severity);
    expect(result.retrainRequests).toEqual([{ model: MODEL, requestId: degraded.retrain.requestId }]);
    const healthy = result.results.find((r: { model: string }) => r.model === HEALTHY);
    expect(healthy).toMatchObject({ status: 'ok', performance: { value: 0.9 }, retrain: { shouldRetrain: false, triggered: false } });

    // The drift report is stored, by the schedule.
    const reports = (await call(ctx.app, 'GET', `/v1/models/${MODEL}/drift-reports`)).json().items;
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ id: degraded.drift.reportId, trigger: 'schedule', severity: degraded.drift.severity });

    // The alerts: degradation, feature drift, concept drift, and the retraining that started.
    const alerts = await alertsOf(MODEL);
    const byType = new Map(alerts.map((a) => [a.type, a]));
    expect(byType.get('performance.degraded')).toMatchObject({ severity: 'critical', status: 'open', count: 1, model: MODEL, source: 'hindsight' });
    expect(byType.get('performance.degraded')!.detail).toContain('accuracy 0.55 over the last 7d is below 0.7');
    expect(byType.get('drift.feature')).toMatchObject({ severity: 'critical', count: 1 });
    expect(byType.get('drift.feature')!.detail).toContain('homeElo');
    expect(byType.get('drift.concept')).toMatchObject({ severity: 'critical', count: 1 });
    expect(byType.get('retrain.triggered')).toMatchObject({ severity: 'info', count: 1 });
    expect(byType.get('retrain.triggered')!.detail).toContain(degraded.retrain.requestId);
    expect(byType.has('drift.prediction')).toBe(false);
    expect(byType.has('retrain.recommended')).toBe(false);
    // Nothing for the healthy model, but perhaps its stream detector's alarm: DDM on its published defaults
    // alarms readily on a run whose first outcomes were nearly error-free (see the README's drift section).
    expect((await alertsOf(HEALTHY)).filter((a) => a.type !== 'drift.stream')).toEqual([]);
    // Each stream drift the run saw is marked alerted once its model's alerts are stored, and read no more.
    expect(await ctx.app.services.driftStream.unalertedDrifts()).toEqual([]);

    // The webhook-delivery job sends the request: one signed retrain.requested to the trainer.
    const delivery = await runJob('webhook-delivery');
    expect(delivery).toMatchObject({ status: 'succeeded', result: { attempted: 1, idle: false } });
    expect(trainer.received).toHaveLength(1);
    const event = new Webhook(secret).verify(trainer.received[0]!.body, trainer.received[0]!.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(event).toMatchObject({ type: 'retrain.requested', data: { retrainRequestId: degraded.retrain.requestId, model: MODEL, tier: null, productionVersion: 'v1' } });
  });

  it('shows where the loop stands in GET /v1/models/{model}', async () => {
    const open = (await alertsOf(MODEL)).filter((a) => a.status === 'open');
    expect(open.length).toBeGreaterThanOrEqual(4);
    const r = await call(ctx.app, 'GET', `/v1/models/${MODEL}`);
    expect(r.statusCode, r.body).toBe(200);
    const { loop, ...model } = r.json();
    expect(model).toMatchObject({ name: MODEL, productionVersion: 'v1' });
    const requestId = firstRun.result.retrainRequests[0].requestId;
    expect(loop).toMatchObject({
      productionVersion: { name: 'v1' },
      retrainInProgress: true,
      openRetrainRequest: { id: requestId, tier: null, status: 'delivered', trigger: 'auto', reasons: firstRun.result.results.find((x: { model: string }) => x.model === MODEL).retrain.reasons },
      candidate: null,
      performance: { window: '7d', version: 'v1', sampleCount: 200, metric: 'accuracy', value: 0.55 },
      drift: { severity: firstRun.result.results.find((x: { model: string }) => x.model === MODEL).drift.severity },
      alerts: { open: open.length, acknowledged: 0, highestSeverity: 'critical' },
      dailyLearning: { lastRunAt: firstRun.startedAt, lastRunStatus: 'succeeded' },
    });
    expect(loop.productionVersion.promotedAt).not.toBeNull();
    expect(['improving', 'degrading', 'stable']).toContain(loop.performance.trend);
    // The decision's requests (no tier), due again at the next daily run; the tier, at its next 7-day slot.
    const next = Date.parse(loop.dailyLearning.nextRunAt);
    expect(next).toBeGreaterThan(Date.now());
    expect(loop.training).toEqual([
      {
        tier: null,
        every: null,
        scheduled: true,
        lastRequest: { id: requestId, status: 'delivered', trigger: 'auto', createdAt: expect.any(String), completedAt: null },
        lastSucceededAt: null,
        nextDueAt: loop.dailyLearning.nextRunAt,
      },
      { tier: 'weekly-full', every: '7d', scheduled: true, lastRequest: null, lastSucceededAt: null, nextDueAt: new Date(Math.floor(Date.now() / (7 * DAY)) * 7 * DAY + 7 * DAY).toISOString() },
    ]);

    const healthy = (await call(ctx.app, 'GET', `/v1/models/${HEALTHY}`)).json().loop;
    expect(healthy).toMatchObject({ retrainInProgress: false, openRetrainRequest: null, performance: { value: 0.9 }, alerts: { acknowledged: 0 } });
    expect(healthy.alerts.highestSeverity === null || healthy.alerts.highestSeverity === 'warning').toBe(true);
    expect(['none', 'low']).toContain(healthy.drift.severity);
  });

  it('run again: no second request, the same alerts counted again', { timeout: 60_000 }, async () => {
    const before = new Map((await alertsOf(MODEL)).map((a) => [a.type, a]));
    const second = await runJob('daily-learning');
    expect(second).toMatchObject({ status: 'succeeded', result: { retrainRequests: [] } });
    const degraded = second.result.results.find((r: { model: string }) => r.model === MODEL);
    expect(degraded.retrain).toMatchObject({ shouldRetrain: false, triggered: false, note: expect.stringMatching(/blocked/) });
    expect(degraded.retrain.blockedBy[0]).toMatch(/still open/);

    const delivery = await runJob('webhook-delivery');
    expect(delivery.result).toMatchObject({ attempted: 0, idle: true });
    expect(trainer.received).toHaveLength(1);
    const { rows } = await ctx.sql.query(`SELECT count(*)::int AS n FROM retrain_requests r JOIN models m ON m.id = r.model_id WHERE m.name = $1`, [MODEL]);
    expect(rows[0].n).toBe(1);

    const after = await alertsOf(MODEL);
    expect(after).toHaveLength(before.size);
    for (const type of ['performance.degraded', 'drift.feature', 'drift.concept']) {
      const a = after.find((x) => x.type === type)!;
      expect(a).toMatchObject({ id: before.get(type)!.id, count: 2, status: 'open', firstSeenAt: before.get(type)!.firstSeenAt });
      expect(Date.parse(a.lastSeenAt as string)).toBeGreaterThan(Date.parse(before.get(type)!.lastSeenAt as string));
    }
    // The retraining alert is not raised again: the request is still the one in flight.
    expect(after.find((x) => x.type === 'retrain.triggered')).toMatchObject({ id: before.get('retrain.triggered')!.id, count: 1, status: 'open' });
    expect((await call(ctx.app, 'GET', `/v1/models/${MODEL}/drift-reports`)).json().items).toHaveLength(2);
    // One performance snapshot per model and run.
    const { rows: snapshots } = await ctx.sql.query(`SELECT m.name, count(*)::int AS n FROM performance_snapshots s JOIN models m ON m.id = s.model_id GROUP BY m.name ORDER BY m.name`);
    expect(snapshots).toEqual([HEALTHY, MODEL, ETA].sort().map((name) => ({ name, n: 2 })));

    const history = (await call(ctx.app, 'GET', '/v1/jobs/daily-learning/runs')).json().items;
    expect(history.map((r: { id: string }) => r.id)).toEqual([second.id, firstRun.id]);
  });

  it('resolves the retraining alert once the request completed, and holds the next request back for the cooldown', { timeout: 60_000 }, async () => {
    const requestId = firstRun.result.retrainRequests[0].requestId;
    const done = await call(ctx.app, 'POST', `/v1/retrain-requests/${requestId}/result`, { status: 'failed', message: 'abandoned for the test' });
    expect(done.statusCode, done.body).toBe(200);
    const run = await runJob('daily-learning');
    const degraded = run.result.results.find((r: { model: string }) => r.model === MODEL);
    // Still degraded, but the failure's cooldown holds a new request back: the retraining alert is resolved,
    // and "retraining is needed" is not raised while only the cooldown blocks it.
    expect(degraded.retrain).toMatchObject({ shouldRetrain: false, triggered: false });
    expect(degraded.retrain.blockedBy[0]).toMatch(/^cooldown/);
    const alerts = await alertsOf(MODEL);
    expect(alerts.find((a) => a.type === 'retrain.triggered')).toMatchObject({ status: 'resolved', resolvedBy: 'hindsight', resolution: 'the retrain request is no longer open' });
    expect(alerts.find((a) => a.type === 'retrain.failed')).toMatchObject({ status: 'open', severity: 'warning' });
    expect(alerts.find((a) => a.type === 'performance.degraded')).toMatchObject({ status: 'open', count: 3 });
  });
});

describe('the weekly-learning job', () => {
  it('produces each model’s summary: learning report, feature-importance trends, retrain recommendation', { timeout: 90_000 }, async () => {
    const run = await runJob('weekly-learning');
    expect(run).toMatchObject({ job: 'weekly-learning', status: 'succeeded', error: null, result: { models: 3, visited: 3, failed: 0 } });
    expect(run.result.retrainRecommended).toEqual([]);
    const byModel = new Map(run.result.results.map((r: { model: string }) => [r.model, r]));
    const degraded = byModel.get(MODEL) as Record<string, any>;
    expect(degraded).toMatchObject({ status: 'ok', failures: [] });
    expect(degraded.report.status).toBe('action');
    expect(typeof degraded.report.headline).toBe('string');
    expect(degraded.report.links.json).toContain(`/v1/models/${MODEL}/report`);
    expect(degraded.report.links.html).toContain(`/v1/models/${MODEL}/report.html`);
    const { rows } = await ctx.sql.query(
      `SELECT m.name, count(*)::int AS n FROM predictions p JOIN models m ON m.id = p.model_id WHERE p.predicted_at >= now() - interval '28 days' GROUP BY m.name`,
    );
    const inFourWeeks = new Map(rows.map((r) => [r.name, r.n]));
    expect(degraded.featureImportance).toMatchObject({ window: '28d', sampleCount: inFourWeeks.get(MODEL) });
    expect(degraded.featureImportance.weeks.length).toBeGreaterThanOrEqual(4);
    expect(degraded.featureImportance.features.map((f: { feature: string }) => f.feature).sort()).toEqual(['homeElo', 'restDays']);
    for (const f of degraded.featureImportance.features) {
      expect(f.weekly).toHaveLength(degraded.featureImportance.weeks.length);
      expect(['rising', 'falling', 'stable', 'insufficient_data']).toContain(f.trend);
    }
    expect(degraded.retrainRecommendation).toMatchObject({ shouldRetrain: false });
    expect(degraded.retrainRecommendation.reasons[0]).toBe('accuracy 0.55 over the last 7d is below 0.7');
    expect(degraded.retrainRecommendation.blockedBy[0]).toMatch(/^cooldown/);
    const healthy = byModel.get(HEALTHY) as Record<string, any>;
    expect(healthy).toMatchObject({ status: 'ok', retrainRecommendation: { shouldRetrain: false, reasons: [] } });
    expect(healthy.featureImportance.sampleCount).toBe(inFourWeeks.get(HEALTHY));
  });
});
