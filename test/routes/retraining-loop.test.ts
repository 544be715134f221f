import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestContext } from '../helpers/app.js';
import { createModel } from '../helpers/fixtures.js';
import { type Receiver, type Received, createRetrainingApp, eventually, seedBinary, startReceiver } from '../helpers/retraining.js';
import { freePort } from '../helpers/server-process.js';

/**
 * Done when: a model whose accuracy falls below its policy triggers exactly one signed webhook to a local
 * receiver; the receiver (a trainer) downloads the dataset and calls back over HTTP; the new version is
 * registered; the gate promotes or keeps it according to the policy — all visible through the API.
 */

let ctx: TestContext;
let base: string;
let trainer: Receiver;
let serving: Receiver;
const secrets = new Map<string, string>();
const callbacks: Promise<{ status: number; body: string }>[] = [];

/** What the trainer reports for each model's retrain request. */
const results: Record<string, Record<string, unknown>> = {
  'nba-game-predictor': { status: 'succeeded', version: 'v4', metrics: { accuracy: 0.78, logLoss: 0.5 }, artifactUri: 's3://models/nba/v4' },
  'nba-conservative': { status: 'succeeded', version: 'v2', metrics: { accuracy: 0.705 }, artifactUri: 's3://models/cons/v2' },
};

/** A trainer: verifies the webhook, fetches the dataset (keyless signed URL), checks its hash, trains, calls back signed. */
async function train(hit: Received): Promise<{ status: number; body: string }> {
  const model = JSON.parse(hit.body).data.model as string;
  const secret = secrets.get(model)!;
  const event = new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as { data: { dataset: { downloadUrl: string; sha256: string; rows: number }; callbackUrl: string } };
  const dataset = await fetch(event.data.dataset.downloadUrl);
  const bytes = Buffer.from(await dataset.arrayBuffer());
  if (createHash('sha256').update(bytes).digest('hex') !== event.data.dataset.sha256) throw new Error('dataset hash mismatch');
  if (bytes.toString('utf8').split('\n').length - 1 !== event.data.dataset.rows) throw new Error('dataset row count mismatch');
  const body = JSON.stringify(results[model]);
  const id = `msg_trainer_${Date.now()}`;
  const now = new Date();
  const response = await fetch(event.data.callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, now, body) },
    body,
  });
  return { status: response.status, body: await response.text() };
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ctx = await createRetrainingApp({}, { PORT: String(port), PUBLIC_URL: base });
  await ctx.app.listen({ host: '127.0.0.1', port });
  trainer = await startReceiver('/hooks/retrain');
  serving = await startReceiver('/hooks/versions');
  trainer.respond((hit) => {
    // Accept at once, train in the background, as a real trainer would.
    callbacks.push(train(hit));
    return { status: 202 };
  });
});
afterAll(async () => {
  await trainer.close();
  await serving.close();
  await ctx.close();
});

async function setUp(name: string, policy: Record<string, unknown>) {
  await createModel(ctx.app, { name, task: 'binary', labels: ['BOS', 'LAL'], positiveLabel: 'LAL' });
  await call(ctx.app, 'POST', `/v1/models/${name}/versions`, { name: 'v3', status: 'production', metrics: { accuracy: 0.7 } });
  expect((await call(ctx.app, 'PUT', `/v1/models/${name}/policy`, policy)).statusCode).toBe(200);
  const hook = await call(ctx.app, 'PUT', `/v1/models/${name}/webhook`, { url: trainer.url });
  secrets.set(name, hook.json().secret);
  await call(ctx.app, 'POST', `/v1/models/${name}/subscriptions`, { url: serving.url });
  // Accuracy has fallen to 0.5 over the last day.
  await seedBinary(ctx.app, name, { n: 120, correct: 60, prefix: 'live' });
}

/** Runs the delivery worker until the trainer has answered and called back. */
async function deliverAndAwaitCallback(name: string) {
  await eventually(async () => {
    await ctx.app.services.delivery.runOnce();
    return trainer.received.some((r) => JSON.parse(r.body).data.model === name);
  });
  const results = await Promise.all(callbacks.splice(0));
  for (const r of results) expect(r.status, r.body).toBe(200);
}

describe('the retraining loop, end to end', () => {
  it('retrains a degraded model, registers the new version and promotes it once it is better on live outcomes', async () => {
    const name = 'nba-game-predictor';
    await setUp(name, { accuracyBelow: 0.6, lastN: null, minSamples: 50, autoTrigger: true, minImprovement: 0.02 });

    const decision = (await call(ctx.app, 'GET', `/v1/models/${name}/retrain-decision`)).json();
    expect(decision).toMatchObject({ shouldRetrain: true, reasons: ['accuracy 0.5 over the last 7d is below 0.6'] });

    // The daily job's call, twice: one request.
    const first = await ctx.app.services.retrain.evaluateAndTrigger(name);
    const second = await ctx.app.services.retrain.evaluateAndTrigger(name);
    expect(first).toMatchObject({ triggered: true, request: { trigger: 'auto', reasons: ['accuracy 0.5 over the last 7d is below 0.6'], productionVersion: 'v3' } });
    expect(second.triggered).toBe(false);
    expect(second.decision.blockedBy[0]).toMatch(/still open/);
    const requestId = first.request!.id;

    await deliverAndAwaitCallback(name);
    await ctx.app.services.delivery.runOnce();
    expect(trainer.received.filter((r) => JSON.parse(r.body).data.model === name)).toHaveLength(1);

    const completed = (await call(ctx.app, 'GET', `/v1/retrain-requests/${requestId}`)).json();
    expect(completed).toMatchObject({
      status: 'succeeded',
      delivery: { status: 'succeeded', attemptCount: 1 },
      result: results[name],
      candidate: { version: 'v4', gate: { status: 'awaiting_live' } },
    });
    const v4 = (await call(ctx.app, 'GET', `/v1/models/${name}/versions`)).json().items.find((v: { name: string }) => v.name === 'v4');
    expect(v4).toMatchObject({ status: 'candidate', retrainRequestId: requestId, datasetId: completed.dataset.id, metrics: { accuracy: 0.78, logLoss: 0.5 } });

    // The callback is idempotent; a different result is refused.
    const replay = await call(ctx.app, 'POST', `/v1/retrain-requests/${requestId}/result`, results[name]);
    expect(replay.statusCode).toBe(200);
    const conflict = await call(ctx.app, 'POST', `/v1/retrain-requests/${requestId}/result`, { status: 'failed', message: 'oops' });
    expect(conflict.statusCode).toBe(409);

    // Shadow traffic of v4 next to v3, since v4 was registered.
    expect((await ctx.app.services.gate.evaluateCandidate(name)).decision).toBe('awaiting_data');
    const since = Date.parse(completed.resultReceivedAt);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const end = Date.now() - 5;
    await seedBinary(ctx.app, name, { n: 100, correct: 50, version: 'v3', prefix: 'shadow-v3', end, spanMs: end - since - 5 });
    await seedBinary(ctx.app, name, { n: 100, correct: 85, version: 'v4', prefix: 'shadow-v4', end, spanMs: end - since - 5 });
    const compare = (await call(ctx.app, 'GET', `/v1/models/${name}/versions/compare?a=v3&b=v4&from=${new Date(since).toISOString()}&to=${new Date().toISOString()}`)).json();
    expect(compare.comparison).toMatchObject({ significant: true, better: 'b' });

    const gate = await ctx.app.services.gate.evaluateCandidate(name);
    expect(gate).toMatchObject({ decision: 'promoted', candidate: 'v4', production: 'v3' });
    expect((await call(ctx.app, 'GET', `/v1/models/${name}`)).json().productionVersion).toBe('v4');
    const closed = (await call(ctx.app, 'GET', `/v1/retrain-requests/${requestId}`)).json();
    expect(closed.candidate.gate.status).toBe('promoted');

    // The serving side was told, signed.
    await ctx.app.services.delivery.runOnce();
    const announced = serving.received.map((r) => JSON.parse(r.body)).filter((b) => b.data.model === name);
    expect(announced.map((b) => [b.type, b.data.productionVersion, b.data.previousVersion])).toContainEqual(['model.version.promoted', 'v4', 'v3']);
    expect(announced.find((b) => b.data.productionVersion === 'v4').data.artifactUri).toBe('s3://models/nba/v4');
  });

  it('keeps production when the new version is not better by the policy’s minImprovement', async () => {
    const name = 'nba-conservative';
    await setUp(name, { accuracyBelow: 0.6, minSamples: 50, autoTrigger: true, minImprovement: 0.05 });
    const triggered = await ctx.app.services.retrain.evaluateAndTrigger(name);
    expect(triggered.triggered).toBe(true);
    await deliverAndAwaitCallback(name);
    const request = (await call(ctx.app, 'GET', `/v1/retrain-requests/${triggered.request!.id}`)).json();
    expect(request).toMatchObject({ status: 'succeeded', candidate: { version: 'v2', gate: { status: 'rejected' } } });
    expect(request.candidate.gate.reason).toMatch(/less than minImprovement 0.05/);
    expect((await call(ctx.app, 'GET', `/v1/models/${name}`)).json().productionVersion).toBe('v3');
    expect((await ctx.app.services.gate.evaluateCandidate(name)).decision).toBe('none');
    // And the cooldown now holds for the next automatic trigger.
    const next = await ctx.app.services.retrain.evaluateAndTrigger(name);
    expect(next.triggered).toBe(false);
    expect(next.decision.blockedBy[0]).toMatch(/cooldown of 6h/);
  });

  it('does not trigger when autoTrigger is off, though the decision says retrain', async () => {
    const name = 'nba-manual';
    await setUp(name, { accuracyBelow: 0.6, minSamples: 50 });
    const r = await ctx.app.services.retrain.evaluateAndTrigger(name);
    expect(r).toMatchObject({ triggered: false, request: null, note: 'retraining is needed, but autoTrigger is off in the policy' });
    expect(r.decision.shouldRetrain).toBe(true);
  });
});

describe('the callback’s authentication', () => {
  it('accepts an API key with ingest scope, refuses a bad signature, a stale one and no credentials', async () => {
    const name = 'cb-auth';
    await createModel(ctx.app, { name, task: 'binary', labels: ['BOS', 'LAL'] });
    const secret = (await call(ctx.app, 'PUT', `/v1/models/${name}/webhook`, { url: trainer.url })).json().secret as string;
    trainer.respond(() => ({ status: 202 }));
    const request = (await call(ctx.app, 'POST', `/v1/models/${name}/retrain-requests`, { reason: 'auth' })).json();
    const url = `${base}/v1/retrain-requests/${request.id}/result`;
    const body = JSON.stringify({ status: 'failed', message: 'no GPU' });
    const post = (headers: Record<string, string>, payload = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
    const sign = (key: string, at = new Date(), payload = body) => ({ 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(key).sign('msg_x', at, payload) });

    expect((await post({})).status).toBe(401);
    expect((await post(sign(`whsec_${Buffer.alloc(32, 1).toString('base64')}`))).status).toBe(401);
    const stale = await post(sign(secret, new Date(Date.now() - 10 * 60_000)));
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { detail: string }).detail).toMatch(/5 minutes/);
    expect((await post(sign(secret), body.replace('no GPU', 'no TPU'))).status).toBe(401);
    const readKey = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'reader', scopes: ['read'] })).json().key;
    expect((await post({ authorization: `Bearer ${readKey}` })).status).toBe(403);
    const ingestKey = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'trainer', scopes: ['ingest'], models: [name] })).json().key;
    const ok = await post({ authorization: `Bearer ${ingestKey}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'failed', failureReason: 'the trainer reported a failure: no GPU' });
    const alert = await ctx.sql.query(`SELECT a.type FROM alerts a JOIN models m ON m.id = a.model_id WHERE m.name = $1`, [name]);
    expect(alert.rows).toEqual([{ type: 'retrain.failed' }]);
    // Field rules per status.
    const invalid = await call(ctx.app, 'POST', `/v1/retrain-requests/${request.id}/result`, { status: 'succeeded', message: 'x' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors.map((e: { path: string }) => e.path)).toEqual(['/body/version', '/body/message']);
  });
});
