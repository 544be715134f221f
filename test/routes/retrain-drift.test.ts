import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestContext } from '../helpers/app.js';
import { iso } from '../helpers/analytics.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { createRetrainingApp } from '../helpers/retraining.js';

/** The retrain decision's drift check reads the latest drift report the drift service stored (no override). */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createRetrainingApp({ driftSeverity: undefined });
});
afterAll(() => ctx.close());

const HOUR = 3_600_000;

describe('retrain decision × stored drift reports', () => {
  it('fails the drift check when the latest stored report is as severe as the policy’s threshold', async () => {
    await createModel(ctx.app, binaryModel('shifty'), 'v1');
    const now = Date.now();
    // Reference: the 30 days before the last 7; current: the last 7 days, with homeElo shifted far away.
    const items = Array.from({ length: 400 }, (_, i) => {
      const current = i >= 200;
      const at = current ? now - 6 * 24 * HOUR + (i - 200) * (HOUR / 2) : now - 30 * 24 * HOUR + i * HOUR;
      const homeElo = (current ? 1900 : 1500) + ((i * 37) % 100);
      return { model: 'shifty', features: { homeElo }, prediction: 'LAL', confidence: 0.7, predictedAt: iso(at), actual: i % 3 === 0 ? 'BOS' : 'LAL' };
    });
    expect((await call(ctx.app, 'POST', '/v1/predictions/batch', { items })).statusCode).toBe(201);
    expect((await call(ctx.app, 'PUT', '/v1/models/shifty/policy', { driftSeverity: 'medium' })).statusCode).toBe(200);

    const before = (await call(ctx.app, 'GET', '/v1/models/shifty/retrain-decision')).json();
    expect(before.checks.find((c: { name: string }) => c.name === 'drift')).toMatchObject({ result: 'skipped', detail: 'no drift report' });

    const report = await call(ctx.app, 'POST', '/v1/models/shifty/drift-reports', {});
    expect(report.statusCode).toBe(201);
    expect(['medium', 'high', 'critical']).toContain(report.json().summary.severity);

    const after = (await call(ctx.app, 'GET', '/v1/models/shifty/retrain-decision')).json();
    const drift = after.checks.find((c: { name: string }) => c.name === 'drift');
    expect(drift.result).toBe('fail');
    expect(JSON.stringify(drift)).toContain(report.json().id);
  });
});
