import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { type Receiver, createRetrainingApp, seedBinary, startReceiver } from '../helpers/retraining.js';

/** The validation gate (evaluateCandidate), the rollback check (checkRecentPromotion), live comparison and version events. */

let ctx: TestContext;
let trainer: Receiver;
let serving: Receiver;
const HOUR = 3_600_000;

beforeAll(async () => {
  ctx = await createRetrainingApp();
  trainer = await startReceiver('/hooks/retrain');
  serving = await startReceiver('/hooks/versions');
});
afterAll(async () => {
  await trainer.close();
  await serving.close();
  await ctx.close();
});
beforeEach(() => {
  serving.received.length = 0;
});

/** A binary model with production v1 (training accuracy 0.70), a training webhook and a lenient policy. */
async function model(name: string, policy: Record<string, unknown> = {}) {
  await createModel(ctx.app, binaryModel(name));
  await call(ctx.app, 'POST', `/v1/models/${name}/versions`, { name: 'v1', status: 'production', metrics: { accuracy: 0.7 } });
  await call(ctx.app, 'PUT', `/v1/models/${name}/policy`, { minSamples: 30, ...policy });
  const hook = await call(ctx.app, 'PUT', `/v1/models/${name}/webhook`, { url: trainer.url });
  return hook.json().secret as string;
}

/** A retrain request completed by the trainer with `metrics`, registered `agoMs` ago. */
async function candidate(name: string, version: string, metrics: Record<string, number>, agoMs = 3 * HOUR) {
  const request = (await call(ctx.app, 'POST', `/v1/models/${name}/retrain-requests`, { reason: 'test' })).json();
  const done = await call(ctx.app, 'POST', `/v1/retrain-requests/${request.id}/result`, { status: 'succeeded', version, metrics, artifactUri: `s3://m/${version}` });
  expect(done.statusCode, done.body).toBe(200);
  await ctx.sql.query(`UPDATE retrain_requests SET result_received_at = now() - $2 * interval '1 millisecond' WHERE id = $1`, [request.id, agoMs]);
  return done.json();
}

const production = async (name: string) => (await call(ctx.app, 'GET', `/v1/models/${name}`)).json().productionVersion;

describe('evaluateCandidate (stage 2 of the gate)', () => {
  it('waits for live outcomes, then promotes a significantly better candidate and records why', async () => {
    await model('g-promote');
    const request = await candidate('g-promote', 'v2', { accuracy: 0.75 });
    expect(request.candidate).toMatchObject({ version: 'v2', gate: { status: 'awaiting_live' } });
    expect(request.candidate.gate.reason).toMatch(/training accuracy 0.75 vs 0.7 of v1: \+0.05 accuracy, at least minImprovement 0.02/);
    const waiting = await ctx.app.services.gate.evaluateCandidate('g-promote');
    expect(waiting).toMatchObject({ decision: 'awaiting_data', candidate: 'v2', production: 'v1' });

    await seedBinary(ctx.app, 'g-promote', { n: 200, correct: 120, version: 'v1', prefix: 'p' });
    await seedBinary(ctx.app, 'g-promote', { n: 200, correct: 170, version: 'v2', prefix: 'c' });
    const promoted = await ctx.app.services.gate.evaluateCandidate('g-promote');
    expect(promoted).toMatchObject({ decision: 'promoted', candidate: 'v2', production: 'v1' });
    expect(promoted.comparison).toMatchObject({ test: 'two-proportion-z', significant: true, better: 'b' });
    expect(await production('g-promote')).toBe('v2');
    const after = (await call(ctx.app, 'GET', `/v1/retrain-requests/${request.id}`)).json();
    expect(after.candidate.gate).toMatchObject({ status: 'promoted' });
    expect(after.candidate.gate.reason).toMatch(/v2 is significantly better than v1 on live accuracy \(0.85 vs 0.6/);
    const event = await ctx.sql.query(`SELECT e.action, e.reason FROM version_events e JOIN models m ON m.id = e.model_id WHERE m.name = 'g-promote' ORDER BY e.id DESC LIMIT 1`);
    expect(event.rows[0].action).toBe('promote');
    expect(event.rows[0].reason).toMatch(/^validation gate: /);
    // Lineage on the version.
    const versions = (await call(ctx.app, 'GET', '/v1/models/g-promote/versions')).json().items;
    expect(versions[0]).toMatchObject({ name: 'v2', status: 'production', retrainRequestId: request.id, datasetId: request.dataset.id, metrics: { accuracy: 0.75 }, artifactUri: 's3://m/v2' });
  });

  it('keeps a candidate that is not significantly better, and rejects one that is worse', async () => {
    await model('g-keep');
    const kept = await candidate('g-keep', 'v2', { accuracy: 0.8 });
    await seedBinary(ctx.app, 'g-keep', { n: 100, correct: 70, version: 'v1', prefix: 'p' });
    await seedBinary(ctx.app, 'g-keep', { n: 100, correct: 72, version: 'v2', prefix: 'c' });
    const keep = await ctx.app.services.gate.evaluateCandidate('g-keep');
    expect(keep.decision).toBe('kept');
    expect(keep.reason).toMatch(/no significant difference/);
    expect(await production('g-keep')).toBe('v1');
    expect((await call(ctx.app, 'GET', `/v1/retrain-requests/${kept.id}`)).json().candidate.gate.status).toBe('kept');

    await seedBinary(ctx.app, 'g-keep', { n: 200, correct: 80, version: 'v2', prefix: 'c2' });
    const reject = await ctx.app.services.gate.evaluateCandidate('g-keep');
    expect(reject.decision).toBe('rejected');
    expect(reject.reason).toMatch(/significantly worse/);
    expect((await ctx.app.services.gate.evaluateCandidate('g-keep')).decision).toBe('none');
  });

  it('rejects at stage 1 a candidate whose training metrics are not better by minImprovement', async () => {
    await model('g-train');
    const r = await candidate('g-train', 'v2', { accuracy: 0.71 });
    expect(r.candidate.gate.status).toBe('rejected');
    expect(r.candidate.gate.reason).toMatch(/^not promoted: training accuracy 0.71 vs 0.7 of v1: \+0.01 accuracy, less than minImprovement 0.02/);
    expect((await ctx.app.services.gate.evaluateCandidate('g-train')).decision).toBe('none');
    expect(await production('g-train')).toBe('v1');
  });
});

describe('checkRecentPromotion (automatic rollback)', () => {
  /** v1 served before the promotion of v2, two hours ago. */
  async function promoted(name: string, policy: Record<string, unknown>, v2Correct: number) {
    await model(name, policy);
    await call(ctx.app, 'POST', `/v1/models/${name}/subscriptions`, { url: serving.url });
    await call(ctx.app, 'POST', `/v1/models/${name}/versions`, { name: 'v2' });
    await call(ctx.app, 'POST', `/v1/models/${name}/versions/v2/promote`, { reason: 'looked better offline' });
    await ctx.sql.query(`UPDATE model_versions v SET promoted_at = now() - interval '2 hours' FROM models m WHERE m.id = v.model_id AND m.name = $1 AND v.name = 'v2'`, [name]);
    await seedBinary(ctx.app, name, { n: 150, correct: 120, version: 'v1', prefix: 'before', end: Date.now() - 2.5 * HOUR, spanMs: 3 * HOUR });
    await seedBinary(ctx.app, name, { n: 150, correct: v2Correct, version: 'v2', prefix: 'after', end: Date.now() - 60_000, spanMs: 1.5 * HOUR });
  }

  it('rolls back a promotion that is significantly worse on live outcomes, records why, alerts and announces it', async () => {
    await promoted('rb', {}, 75);
    const check = await ctx.app.services.gate.checkRecentPromotion('rb');
    expect(check).toMatchObject({ decision: 'rolled_back', version: 'v2', replacedVersion: 'v1' });
    expect(check.reason).toMatch(/v2 is significantly worse on live accuracy since its promotion than v1 was before it \(0.5 vs 0.8/);
    expect(await production('rb')).toBe('v1');
    const event = await ctx.sql.query(`SELECT e.action, e.reason FROM version_events e JOIN models m ON m.id = e.model_id WHERE m.name = 'rb' ORDER BY e.id DESC LIMIT 1`);
    expect(event.rows[0]).toMatchObject({ action: 'rollback' });
    expect(event.rows[0].reason).toMatch(/^automatic rollback: /);
    const alert = await ctx.sql.query(`SELECT a.type, a.severity, a.title FROM alerts a JOIN models m ON m.id = a.model_id WHERE m.name = 'rb'`);
    expect(alert.rows).toEqual([{ type: 'model.rolled_back', severity: 'critical', title: 'rb rolled back from v2 to v1' }]);
    // A version restored by a rollback is not a promotion to check.
    expect((await ctx.app.services.gate.checkRecentPromotion('rb')).decision).toBe('not_applicable');

    // The serving side heard of the promotion and of the rollback, in signed messages.
    await ctx.app.services.delivery.runOnce();
    const secret = (await call(ctx.app, 'GET', '/v1/models/rb/subscriptions')).json().items[0];
    expect(secret.status).toBe('active');
    const types = serving.received.filter((r) => JSON.parse(r.body).data.model === 'rb').map((r) => JSON.parse(r.body).type);
    expect(types.sort()).toEqual(['model.version.promoted', 'model.version.rolled_back']);
    const rolledBack = serving.received.find((r) => JSON.parse(r.body).type === 'model.version.rolled_back')!;
    expect(JSON.parse(rolledBack.body).data).toMatchObject({ model: 'rb', productionVersion: 'v1', previousVersion: 'v2' });
    expect(rolledBack.headers['webhook-signature']).toMatch(/^v1,/);
  });

  it('only alerts when autoRollback is off, and keeps a promotion that is not worse', async () => {
    await promoted('rb-off', { autoRollback: false }, 70);
    const check = await ctx.app.services.gate.checkRecentPromotion('rb-off');
    expect(check.decision).toBe('rollback_recommended');
    expect(await production('rb-off')).toBe('v2');
    const alert = await ctx.sql.query(`SELECT a.type FROM alerts a JOIN models m ON m.id = a.model_id WHERE m.name = 'rb-off'`);
    expect(alert.rows).toEqual([{ type: 'model.rollback_recommended' }]);

    await promoted('rb-fine', {}, 121);
    expect((await ctx.app.services.gate.checkRecentPromotion('rb-fine')).decision).toBe('kept');
    expect(await production('rb-fine')).toBe('v2');
  });
});

describe('GET …/versions/compare', () => {
  it('shows both versions’ live metrics and the significance of the difference', async () => {
    await model('cmp');
    await call(ctx.app, 'POST', '/v1/models/cmp/versions', { name: 'v2' });
    await seedBinary(ctx.app, 'cmp', { n: 200, correct: 120, version: 'v1', prefix: 'a' });
    await seedBinary(ctx.app, 'cmp', { n: 200, correct: 160, version: 'v2', prefix: 'b' });
    const r = (await call(ctx.app, 'GET', '/v1/models/cmp/versions/compare?a=v1&b=v2&window=1d')).json();
    expect(r).toMatchObject({
      model: 'cmp',
      task: 'binary',
      a: { version: 'v1', sampleCount: 200, metrics: { accuracy: 0.6 } },
      b: { version: 'v2', sampleCount: 200, metrics: { accuracy: 0.8 } },
      comparison: { metric: 'accuracy', test: 'two-proportion-z', significant: true, better: 'b', alpha: 0.05 },
    });
    expect(r.comparison.difference).toBeCloseTo(0.2, 12);
    expect(r.comparison.pValue).toBeLessThan(0.001);
    const last = (await call(ctx.app, 'GET', '/v1/models/cmp/versions/compare?a=v1&b=v2&last=50')).json();
    expect(last.a.sampleCount).toBe(50);
    const unknown = problem(await call(ctx.app, 'GET', '/v1/models/cmp/versions/compare?a=v1&b=v9'), 422);
    expect(unknown.errors?.[0]?.path).toBe('/query/b');
    problem(await call(ctx.app, 'GET', '/v1/models/cmp/versions/compare?a=v1'), 400);
  });
});

describe('model.version.* subscriptions', () => {
  it('announce every promotion, signed with the subscription’s own secret, to active subscribers only', async () => {
    await createModel(ctx.app, binaryModel('subs'));
    const created = await call(ctx.app, 'POST', '/v1/models/subs/subscriptions', { url: serving.url, events: ['model.version.promoted'] });
    expect(created.statusCode).toBe(201);
    const { secret, id } = created.json();
    expect(secret).toMatch(/^whsec_/);
    const listed = (await call(ctx.app, 'GET', '/v1/models/subs/subscriptions')).json();
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0].secret).toBeUndefined();
    await call(ctx.app, 'POST', '/v1/models/subs/versions', { name: 'v1', status: 'production' });
    await call(ctx.app, 'POST', '/v1/models/subs/versions', { name: 'v2' });
    await call(ctx.app, 'POST', '/v1/models/subs/versions/v2/promote', { reason: 'manual' });
    await call(ctx.app, 'POST', '/v1/models/subs/rollback');
    await ctx.app.services.delivery.runOnce();
    const mine = () => serving.received.filter((r) => JSON.parse(r.body).data.model === 'subs');
    const bodies = mine().map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; data: Record<string, unknown> });
    // Subscribed to promotions only: the rollback is not sent. One round sends its messages concurrently, so
    // they may arrive in any order (receivers order events by their data, not by arrival).
    bodies.sort((x, y) => String(x.data.productionVersion).localeCompare(String(y.data.productionVersion)));
    expect(bodies.map((b) => [b.type, b.data.productionVersion, b.data.previousVersion])).toEqual([
      ['model.version.promoted', 'v1', null],
      ['model.version.promoted', 'v2', 'v1'],
    ]);
    expect(bodies[1]!.data).toMatchObject({ model: 'subs', reason: 'manual' });
    expect((await call(ctx.app, 'DELETE', `/v1/models/subs/subscriptions/${id}`)).statusCode).toBe(204);
    problem(await call(ctx.app, 'DELETE', `/v1/models/subs/subscriptions/${id}`), 404);
    await call(ctx.app, 'POST', '/v1/models/subs/versions/v2/promote');
    await ctx.app.services.delivery.runOnce();
    expect(mine()).toHaveLength(2);
  });
});
