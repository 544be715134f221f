import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

let ctx: TestContext;
let modelId: string;
beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('alerted'));
  modelId = (await ctx.sql.query(`SELECT id FROM models WHERE name = 'alerted'`)).rows[0].id;
});
afterAll(() => ctx.close());

describe('AlertService.raise', () => {
  it('creates an alert, then counts repeats of the open alert with the same key', async () => {
    const alerts = ctx.app.services.alerts;
    const first = await alerts.raise({ type: 'retrain.failed', severity: 'warning', modelId, title: 'Retraining failed', detail: 'out of GPUs' });
    expect(first.created).toBe(true);
    expect(first.alert).toMatchObject({ type: 'retrain.failed', severity: 'warning', model: 'alerted', count: 1, status: 'open', dedupeKey: `retrain.failed:${modelId}` });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await alerts.raise({ type: 'retrain.failed', severity: 'critical', modelId, title: 'Retraining failed', detail: 'out of disk' });
    expect(again.created).toBe(false);
    expect(again.alert).toMatchObject({ id: first.alert.id, count: 2, severity: 'critical', detail: 'out of disk' });
    expect(again.alert.firstSeenAt).toEqual(first.alert.firstSeenAt);
    expect(again.alert.lastSeenAt.getTime()).toBeGreaterThan(first.alert.lastSeenAt.getTime());
    const other = await alerts.raise({ type: 'retrain.failed', severity: 'warning', modelId, title: 'x', detail: 'y', dedupeKey: 'another' });
    expect(other.created).toBe(true);
    expect(other.alert.id).not.toBe(first.alert.id);
  });

  it('counts a repeat on the acknowledged alert, re-opens it on escalation, and opens a new one once resolved', async () => {
    const alerts = ctx.app.services.alerts;
    const first = await alerts.raise({ type: 'webhook.disabled', severity: 'warning', title: 'disabled', detail: '410', dedupeKey: 'ack-test' });
    await ctx.sql.query(`UPDATE alerts SET status = 'acknowledged', acknowledged_at = now() WHERE id = $1`, [first.alert.id]);
    const repeat = await alerts.raise({ type: 'webhook.disabled', severity: 'warning', title: 'disabled', detail: '410 again', dedupeKey: 'ack-test' });
    expect(repeat).toMatchObject({ created: false, change: 'repeated', alert: { id: first.alert.id, count: 2, status: 'acknowledged' } });
    const escalated = await alerts.raise({ type: 'webhook.disabled', severity: 'critical', title: 'disabled', detail: 'worse', dedupeKey: 'ack-test' });
    expect(escalated).toMatchObject({ created: false, change: 'escalated', alert: { id: first.alert.id, count: 3, status: 'open', peakSeverity: 'critical', acknowledgedAt: null } });
    const calmer = await alerts.raise({ type: 'webhook.disabled', severity: 'warning', title: 'disabled', detail: 'better', dedupeKey: 'ack-test' });
    expect(calmer).toMatchObject({ change: 'repeated', alert: { severity: 'warning', peakSeverity: 'critical' } });
    const resolved = await alerts.resolveCondition('ack-test', 'cleared');
    expect(resolved).toMatchObject({ id: first.alert.id, status: 'resolved', resolution: 'cleared', resolvedBy: 'hindsight' });
    expect(await alerts.resolveCondition('ack-test', 'cleared again')).toBeNull();
    const next = await alerts.raise({ type: 'webhook.disabled', severity: 'warning', title: 'disabled', detail: '410 again', dedupeKey: 'ack-test' });
    expect(next).toMatchObject({ created: true, change: 'opened', alert: { count: 1, status: 'open', model: null } });
    expect(next.alert.id).not.toBe(first.alert.id);
  });

  it('never makes two open alerts from concurrent raises', async () => {
    const alerts = ctx.app.services.alerts;
    await Promise.all(Array.from({ length: 25 }, () => alerts.raise({ type: 'model.rolled_back', severity: 'critical', title: 't', detail: 'd', dedupeKey: 'storm' })));
    const { rows } = await ctx.sql.query(`SELECT count, status FROM alerts WHERE dedupe_key = 'storm'`);
    expect(rows).toEqual([{ count: 25, status: 'open' }]);
  });
});
