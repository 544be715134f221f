import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel, regressionModel } from '../helpers/fixtures.js';
import { createRetrainingApp, seedBinary, startReceiver, type Receiver } from '../helpers/retraining.js';

let ctx: TestContext;
let receiver: Receiver;
let drift: { severity: string; reportId: string; createdAt: Date } | null = null;

beforeAll(async () => {
  ctx = await createRetrainingApp({ driftSeverity: async () => drift });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await ctx.close();
});

describe('PUT/GET …/policy', () => {
  it('shows the task’s defaults until a policy is set, then the stored one', async () => {
    await createModel(ctx.app, binaryModel('pol'));
    const defaults = (await call(ctx.app, 'GET', '/v1/models/pol/policy')).json();
    expect(defaults).toMatchObject({ model: 'pol', task: 'binary', minSamples: 50, lastN: { n: 10, accuracyBelow: 0.55 }, cooldown: '6h', isDefault: true, updatedAt: null });
    const put = await call(ctx.app, 'PUT', '/v1/models/pol/policy', { accuracyBelow: 0.8, cooldown: '1h', tiers: [{ name: 'tier1', every: '1h' }, { name: 'tier2', every: '6h' }] });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ accuracyBelow: 0.8, cooldown: '1h', minSamples: 50, isDefault: false });
    expect((await call(ctx.app, 'GET', '/v1/models/pol/policy')).json()).toEqual(put.json());
    // A PUT replaces: what it omits returns to the default.
    const replaced = (await call(ctx.app, 'PUT', '/v1/models/pol/policy', { minSamples: 10 })).json();
    expect(replaced).toMatchObject({ minSamples: 10, accuracyBelow: null, cooldown: '6h', tiers: [] });
  });

  it('names each invalid field (400) and each field unfit for the task (422)', async () => {
    await createModel(ctx.app, regressionModel('pol-r'));
    const bad = problem(await call(ctx.app, 'PUT', '/v1/models/pol/policy', { cooldown: '6 hours', accuracyBelow: 2, tiers: [{ name: 'a', every: '1h' }, { name: 'a', every: '2h' }] }), 400);
    expect(bad.errors?.map((e) => e.path).sort()).toEqual(['/body/accuracyBelow']);
    const semantic = problem(await call(ctx.app, 'PUT', '/v1/models/pol/policy', { cooldown: '6 hours', tiers: [{ name: 'a', every: '1h' }, { name: 'a', every: '2h' }] }), 400);
    expect(semantic.errors?.map((e) => e.path)).toEqual(['/body/cooldown', '/body/tiers/1/name']);
    const unknown = problem(await call(ctx.app, 'PUT', '/v1/models/pol/policy', { acuracyBelow: 0.5 }), 400);
    expect(unknown.errors?.[0]?.path).toBe('/body/acuracyBelow');
    const unfit = problem(await call(ctx.app, 'PUT', '/v1/models/pol-r/policy', { accuracyBelow: 0.9 }), 422);
    expect(unfit.errors).toEqual([{ path: '/body/accuracyBelow', message: expect.stringMatching(/regression/) }]);
    problem(await call(ctx.app, 'PUT', '/v1/models/pol/policy', { maxMape: 10 }), 422);
    expect((await call(ctx.app, 'PUT', '/v1/models/pol-r/policy', { maxMape: 10, maxMae: 2 })).statusCode).toBe(200);
    problem(await call(ctx.app, 'PUT', '/v1/models/ghost/policy', {}), 404);
  });
});

describe('GET …/retrain-decision', () => {
  it('explains every check, from "not enough samples" to retraining', async () => {
    await createModel(ctx.app, binaryModel('dec'), 'v1');
    await call(ctx.app, 'PUT', '/v1/models/dec/policy', { accuracyBelow: 0.7, minSamples: 30, lastN: null });
    await seedBinary(ctx.app, 'dec', { n: 20, correct: 10, prefix: 'd1' });
    const few = (await call(ctx.app, 'GET', '/v1/models/dec/retrain-decision')).json();
    expect(few).toMatchObject({ model: 'dec', task: 'binary', productionVersion: 'v1', shouldRetrain: false, reasons: [] });
    expect(few.checks.find((c: any) => c.name === 'minSamples')).toMatchObject({ result: 'insufficient_data', value: 20, threshold: 30, window: '7d' });
    expect(few.checks.find((c: any) => c.name === 'minSamples').detail).toMatch(/^not enough samples/);

    await seedBinary(ctx.app, 'dec', { n: 20, correct: 10, prefix: 'd2' });
    const needed = (await call(ctx.app, 'GET', '/v1/models/dec/retrain-decision')).json();
    expect(needed.checks.find((c: any) => c.name === 'accuracy')).toMatchObject({ result: 'fail', value: 0.5, threshold: 0.7 });
    expect(needed.reasons).toEqual(['accuracy 0.5 over the last 7d is below 0.7']);
    // No webhook yet: needed, but blocked.
    expect(needed).toMatchObject({ shouldRetrain: false });
    expect(needed.blockedBy[0]).toMatch(/no training webhook/);

    await call(ctx.app, 'PUT', '/v1/models/dec/webhook', { url: receiver.url });
    const go = (await call(ctx.app, 'GET', '/v1/models/dec/retrain-decision')).json();
    expect(go).toMatchObject({ shouldRetrain: true, blockedBy: [] });

    await call(ctx.app, 'POST', '/v1/models/dec/retrain-requests', { reason: 'manual' });
    const open = (await call(ctx.app, 'GET', '/v1/models/dec/retrain-decision')).json();
    expect(open.shouldRetrain).toBe(false);
    expect(open.checks.find((c: any) => c.name === 'openRequest').result).toBe('fail');
  });

  it('reads drift severity from the injected provider', async () => {
    await createModel(ctx.app, binaryModel('drifty'), 'v1');
    await call(ctx.app, 'PUT', '/v1/models/drifty/webhook', { url: receiver.url });
    await seedBinary(ctx.app, 'drifty', { n: 60, correct: 50, prefix: 'dr' });
    drift = null;
    const none = (await call(ctx.app, 'GET', '/v1/models/drifty/retrain-decision')).json();
    expect(none.checks.find((c: any) => c.name === 'drift')).toMatchObject({ result: 'skipped', detail: 'no drift report' });
    drift = { severity: 'critical', reportId: 'report-7', createdAt: new Date(Date.now() - 60_000) };
    const drifted = (await call(ctx.app, 'GET', '/v1/models/drifty/retrain-decision')).json();
    expect(drifted.shouldRetrain).toBe(true);
    expect(drifted.reasons[0]).toMatch(/drift severity "critical" \(report report-7/);
    drift = null;
  });

  it('judges regression models on their error limits', async () => {
    await createModel(ctx.app, regressionModel('eta'), 'v1');
    await call(ctx.app, 'PUT', '/v1/models/eta/policy', { maxMae: 1, minSamples: 5 });
    const items = Array.from({ length: 10 }, (_, i) => ({ model: 'eta', externalId: `e${i}`, features: { km: i }, prediction: 10 + i, actual: 12 + i }));
    await call(ctx.app, 'POST', '/v1/predictions/batch', { items });
    const d = (await call(ctx.app, 'GET', '/v1/models/eta/retrain-decision')).json();
    expect(d.checks.find((c: any) => c.name === 'mae')).toMatchObject({ result: 'fail', value: 2, threshold: 1 });
    expect(d.checks.find((c: any) => c.name === 'mape').result).toBe('pass');
    expect(d.checks.find((c: any) => c.name === 'accuracy').result).toBe('skipped');
  });
});
