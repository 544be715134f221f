import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhooksRepository } from '../../src/db/repositories/webhooks.js';
import { SecretBox } from '../../src/webhooks/secrets.js';
import { systemResolver } from '../../src/webhooks/ssrf.js';
import { DeliveryWorker } from '../../src/webhooks/worker.js';
import { call, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { FAST_SCHEDULE, type Receiver, createRetrainingApp, eventually, seedBinary, startReceiver } from '../helpers/retraining.js';

/** The training webhook against a real HTTP receiver on 127.0.0.1: format, signatures, retries, failure modes. */

let ctx: TestContext;
let receiver: Receiver;
let modelCount = 0;

beforeAll(async () => {
  // Short enough for the hanging-receiver test, long enough that a loaded CI machine never times out a real answer.
  ctx = await createRetrainingApp({ delivery: { timeoutMs: 1_500 } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await ctx.close();
});
beforeEach(async () => {
  // Each test judges its own deliveries: earlier tests' unfinished messages are set aside.
  await ctx.sql.query(`UPDATE webhook_messages SET status = 'cancelled' WHERE status = 'pending'`);
  receiver.received.length = 0;
  receiver.respond(() => ({ status: 200 }));
});

const worker = () => ctx.app.services.delivery;

/** A model with a production version, some labeled predictions and a training webhook; returns its secret. */
async function setup(opts: { url?: string; seed?: boolean } = {}): Promise<{ model: string; secret: string }> {
  const model = `m${++modelCount}`;
  await createModel(ctx.app, binaryModel(model), 'v1');
  if (opts.seed !== false) await seedBinary(ctx.app, model, { n: 20, correct: 12, prefix: model });
  const r = await call(ctx.app, 'PUT', `/v1/models/${model}/webhook`, { url: opts.url ?? receiver.url });
  expect(r.statusCode, r.body).toBe(201);
  return { model, secret: r.json().secret };
}

async function trigger(model: string, body: Record<string, unknown> = { reason: 'test' }) {
  const r = await call(ctx.app, 'POST', `/v1/models/${model}/retrain-requests`, body);
  if (r.statusCode !== 202 && r.statusCode !== 200) throw new Error(`trigger: ${r.statusCode} ${r.body}`);
  return r.json();
}

const getRequest = async (id: string) => (await call(ctx.app, 'GET', `/v1/retrain-requests/${id}`)).json();

/** Runs delivery rounds until the request's message is no longer pending. */
async function deliverAll(id: string, timeoutMs = 8_000) {
  return eventually(
    async () => {
      await worker().runOnce();
      const request = await getRequest(id);
      return request.delivery.status !== 'pending' ? request : null;
    },
    timeoutMs,
    'the delivery to finish',
  );
}

describe('the retrain.requested webhook', () => {
  it('is a Standard Webhooks message that the standardwebhooks library verifies, with the documented body', async () => {
    const { model, secret } = await setup();
    const request = await trigger(model, { reason: 'accuracy dropped' });
    expect(request.status).toBe('pending');
    const delivered = await deliverAll(request.id);
    expect(delivered.status).toBe('delivered');
    expect(receiver.received).toHaveLength(1);
    const hit = receiver.received[0]!;
    expect(hit.method).toBe('POST');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['webhook-id']).toBe(delivered.delivery.webhookId);
    expect(hit.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Number(hit.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(hit.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    const verified = new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>) as Record<string, any>;
    expect(verified).toMatchObject({
      type: 'retrain.requested',
      data: {
        retrainRequestId: request.id,
        model,
        tier: null,
        reasons: ['accuracy dropped'],
        productionVersion: 'v1',
        dataset: { id: request.dataset.id, rows: 20, sha256: request.dataset.sha256, url: `http://127.0.0.1:3000/v1/datasets/${request.dataset.id}/rows?format=jsonl` },
        callbackUrl: `http://127.0.0.1:3000/v1/retrain-requests/${request.id}/result`,
      },
    });
    expect(Date.parse(verified.timestamp)).not.toBeNaN();

    // The library refuses a tampered body, another secret and a stale timestamp.
    const headers = hit.headers as Record<string, string>;
    expect(() => new Webhook(secret).verify(hit.body.replace('accuracy dropped', 'accuracy rose!!'), headers)).toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(hit.body, headers)).toThrow();
    const stale = Math.floor(Date.now() / 1000) - 10 * 60;
    const wh = new Webhook(secret);
    const staleHeaders = { 'webhook-id': headers['webhook-id']!, 'webhook-timestamp': String(stale), 'webhook-signature': wh.sign(headers['webhook-id']!, new Date(stale * 1000), hit.body) };
    expect(() => wh.verify(hit.body, staleHeaders)).toThrow(/timestamp/i);
  });

  it('is retried after a 500 and delivered once, with the same webhook-id and a new timestamp per attempt', async () => {
    const { model, secret } = await setup();
    let calls = 0;
    receiver.respond(() => (++calls === 1 ? { status: 500, body: 'database is down' } : { status: 204 }));
    const request = await trigger(model);
    const delivered = await deliverAll(request.id);
    expect(delivered.status).toBe('delivered');
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received as [(typeof receiver.received)[0], (typeof receiver.received)[0]];
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    for (const hit of receiver.received) new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>);
    expect(delivered.delivery).toMatchObject({ status: 'succeeded', attemptCount: 2, lastError: null });
    expect(delivered.delivery.attempts.map((a: any) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500: database is down'],
      [2, 204, null],
    ]);
    for (const a of delivered.delivery.attempts) expect(a.durationMs).toBeGreaterThanOrEqual(0);
    // Listed with the model's requests too.
    const list = (await call(ctx.app, 'GET', `/v1/models/${model}/retrain-requests`)).json();
    expect(list.items[0].delivery.attempts).toHaveLength(2);
  });

  it('disables the webhook on 410 Gone, fails the request and raises an alert', async () => {
    const { model } = await setup();
    receiver.respond(() => ({ status: 410, body: 'gone' }));
    const request = await trigger(model);
    const done = await deliverAll(request.id);
    expect(receiver.received).toHaveLength(1);
    expect(done.status).toBe('failed');
    expect(done.failureReason).toMatch(/410 Gone/);
    const hook = (await call(ctx.app, 'GET', `/v1/models/${model}/webhook`)).json();
    expect(hook).toMatchObject({ status: 'disabled' });
    expect(hook.disabledReason).toMatch(/410 Gone/);
    const alerts = await ctx.sql.query(`SELECT type, severity FROM alerts a JOIN models m ON m.id = a.model_id WHERE m.name = $1 ORDER BY type`, [model]);
    expect(alerts.rows).toEqual([
      { type: 'retrain.delivery_failed', severity: 'critical' },
      { type: 'webhook.disabled', severity: 'warning' },
    ]);
    // No new request while it is disabled; saving it again re-enables it.
    const refused = problem(await call(ctx.app, 'POST', `/v1/models/${model}/retrain-requests`, { reason: 'again', force: true }), 409);
    expect(refused.detail).toMatch(/disabled/);
    const saved = await call(ctx.app, 'PUT', `/v1/models/${model}/webhook`, { url: receiver.url });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({ status: 'active', disabledReason: null });
    expect(saved.json().secret).toBeUndefined();
  });

  it('times out on a receiver that never answers', async () => {
    const { model } = await setup();
    receiver.respond(() => ({ status: 200, hang: true }));
    const request = await trigger(model);
    await worker().runOnce();
    const after = await getRequest(request.id);
    expect(after.status).toBe('pending');
    expect(after.delivery.attempts).toHaveLength(1);
    expect(after.delivery.attempts[0]).toMatchObject({ statusCode: null, error: 'timed out after 1500 ms' });
    expect(after.delivery.attempts[0].durationMs).toBeGreaterThanOrEqual(1_490);
    expect(after.delivery.attempts[0].durationMs).toBeLessThan(5_000);
    receiver.respond(() => ({ status: 200 }));
    expect((await deliverAll(request.id)).status).toBe('delivered');
  });

  it('counts a redirect as a failure and never follows it', async () => {
    const { model } = await setup();
    receiver.respond((hit) => (hit.url === '/hooks/retrain' ? { status: 302, headers: { location: '/elsewhere' } } : { status: 200 }));
    const request = await trigger(model);
    await worker().runOnce();
    const after = await getRequest(request.id);
    expect(receiver.received.map((r) => r.url)).toEqual(['/hooks/retrain']);
    expect(after.status).toBe('pending');
    expect(after.delivery.attempts[0]).toMatchObject({ statusCode: 302 });
    expect(after.delivery.attempts[0].error).toMatch(/redirect to \/elsewhere, not followed/);
  });

  it('honours Retry-After (in seconds and as an HTTP date)', async () => {
    const { model } = await setup();
    let calls = 0;
    receiver.respond(() => {
      calls++;
      if (calls === 1) return { status: 503, headers: { 'retry-after': '1' } };
      // An HTTP date has whole seconds: 3 s ahead is at least 2 s ahead.
      if (calls === 2) return { status: 429, headers: { 'retry-after': new Date(Date.now() + 3_000).toUTCString() } };
      return { status: 200 };
    });
    const request = await trigger(model);
    await deliverAll(request.id, 10_000);
    const [a, b, c] = receiver.received;
    // The schedule alone would retry after 5 ms and 10 ms.
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
    expect(c!.at - b!.at).toBeGreaterThanOrEqual(1_950);
  });

  it('gives up after the last scheduled attempt: the request fails and an alert is raised', async () => {
    const { model } = await setup();
    receiver.respond(() => ({ status: 500 }));
    const request = await trigger(model);
    const done = await deliverAll(request.id);
    expect(receiver.received).toHaveLength(FAST_SCHEDULE.length);
    expect(done.status).toBe('failed');
    expect(done.failureReason).toMatch(/after 8 attempts/);
    expect(done.delivery).toMatchObject({ status: 'failed', attemptCount: 8 });
    const { rows } = await ctx.sql.query(`SELECT type, count FROM alerts a JOIN models m ON m.id = a.model_id WHERE m.name = $1`, [model]);
    expect(rows).toEqual([{ type: 'retrain.delivery_failed', count: 1 }]);
  });

  it('signs with both secrets while a rotated secret overlaps', async () => {
    const { model, secret: old } = await setup();
    const rotated = await call(ctx.app, 'PUT', `/v1/models/${model}/webhook`, { url: receiver.url, rotateSecret: true });
    expect(rotated.statusCode).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(old);
    const expiry = Date.parse(rotated.json().previousSecretExpiresAt);
    expect(expiry - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const request = await trigger(model);
    await deliverAll(request.id);
    const hit = receiver.received[0]!;
    expect(String(hit.headers['webhook-signature']).split(' ')).toHaveLength(2);
    new Webhook(old).verify(hit.body, hit.headers as Record<string, string>);
    new Webhook(fresh).verify(hit.body, hit.headers as Record<string, string>);
    const shown = (await call(ctx.app, 'GET', `/v1/models/${model}/webhook`)).json();
    expect(shown.secret).toBeUndefined();
    expect(fresh.startsWith(shown.secretPrefix.replace('…', ''))).toBe(true);
  });
});

describe('at most one open request, and the cooldown', () => {
  it('turns 50 concurrent triggers into one request and one message', async () => {
    const { model } = await setup();
    const responses = await Promise.all(Array.from({ length: 50 }, () => call(ctx.app, 'POST', `/v1/models/${model}/retrain-requests`, { reason: 'storm' })));
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    const { rows } = await ctx.sql.query(
      `SELECT (SELECT count(*)::int FROM retrain_requests r JOIN models m ON m.id = r.model_id WHERE m.name = $1) AS requests,
              (SELECT count(*)::int FROM webhook_messages w JOIN models m ON m.id = w.model_id WHERE m.name = $1) AS messages,
              (SELECT count(*)::int FROM datasets d JOIN models m ON m.id = d.model_id WHERE m.name = $1) AS datasets`,
      [model],
    );
    expect(rows[0]).toEqual({ requests: 1, messages: 1, datasets: 1 });
  });

  it('holds the cooldown after completion (409 naming its end) unless forced; tiers have their own', async () => {
    const { model, secret } = await setup();
    const put = await call(ctx.app, 'PUT', `/v1/models/${model}/policy`, { cooldown: '6h', tiers: [{ name: 'tier1', every: '1h' }] });
    expect(put.statusCode, put.body).toBe(200);
    const first = await trigger(model);
    const body = JSON.stringify({ status: 'failed', message: 'out of GPUs' });
    const headers = signed(secret, body);
    const done = await ctx.app.inject({ method: 'POST', url: `/v1/retrain-requests/${first.id}/result`, headers, payload: body });
    expect(done.statusCode, done.body).toBe(200);
    const refused = problem(await call(ctx.app, 'POST', `/v1/models/${model}/retrain-requests`, { reason: 'again' }), 409);
    expect(refused.detail).toMatch(/cooldown of 6h/);
    const endsAt = Date.parse(refused.cooldownEndsAt as string);
    expect(endsAt - Date.now()).toBeGreaterThan(5.9 * 3_600_000);
    const tiered = await trigger(model, { reason: 'hourly', tier: 'tier1' });
    expect(tiered.tier).toBe('tier1');
    problem(await call(ctx.app, 'POST', `/v1/models/${model}/retrain-requests`, { reason: 'x', tier: 'tier9' }), 422);
    const forced = await call(ctx.app, 'POST', `/v1/models/${model}/retrain-requests`, { reason: 'now', force: true });
    expect(forced.statusCode).toBe(202);
    expect(forced.json()).toMatchObject({ forced: true, status: 'pending' });
  });

  it('refuses a trigger without a training webhook', async () => {
    const model = `m${++modelCount}`;
    await createModel(ctx.app, binaryModel(model));
    const p = problem(await call(ctx.app, 'POST', `/v1/models/${model}/retrain-requests`, { reason: 'x' }), 409);
    expect(p.detail).toMatch(/no training webhook/);
  });
});

describe('deliveries survive the process', () => {
  it('are sent by a new worker when the process stopped between storing and sending', async () => {
    const { model, secret } = await setup();
    const request = await trigger(model);
    // Nothing was sent: the app's worker never ran. A new process (its own pool and worker) delivers it.
    expect(receiver.received).toHaveLength(0);
    const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 2 });
    try {
      const fresh = new DeliveryWorker(
        { repo: new WebhooksRepository(pool), box: new SecretBox(), target: { allowPrivate: true, resolve: systemResolver }, log: { warn() {}, error() {} } },
        { schedule: FAST_SCHEDULE, jitter: 0 },
      );
      await fresh.runOnce();
    } finally {
      await pool.end();
    }
    expect(receiver.received).toHaveLength(1);
    new Webhook(secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers as Record<string, string>);
    expect((await getRequest(request.id)).status).toBe('delivered');
  });

  it('retry a claim whose worker died mid-send, logging that attempt as interrupted', async () => {
    const { model } = await setup();
    const request = await trigger(model);
    // A worker claimed the message (attempt 1) and died: its lease is what next_attempt_at says.
    await ctx.sql.query(`UPDATE webhook_messages SET attempt_count = 1, claimed_at = now() - interval '2 minutes', next_attempt_at = now() - interval '1 second' WHERE retrain_request_id = $1`, [request.id]);
    const delivered = await deliverAll(request.id);
    expect(receiver.received).toHaveLength(1);
    expect(delivered.delivery.attempts.map((a: any) => [a.attempt, a.statusCode, a.error?.slice(0, 11) ?? null])).toEqual([
      [1, null, 'interrupted'],
      [2, 200, null],
    ]);
  });

  it('keep sending while a receiver hangs: a message stored meanwhile goes out before the hung attempt ends', async () => {
    const slow = await setup({ url: `${receiver.url}?slow=1` });
    const fast = await setup();
    receiver.respond((hit) => (hit.url.includes('slow') ? { status: 200, hang: true } : { status: 200 }));
    const pool = new pg.Pool({ connectionString: ctx.databaseUrl, max: 3 });
    try {
      // A long timeout and a short poll: the second message must not wait for the first to time out.
      const patient = new DeliveryWorker(
        { repo: new WebhooksRepository(pool), box: new SecretBox(), target: { allowPrivate: true, resolve: systemResolver }, log: { warn() {}, error() {} } },
        { schedule: FAST_SCHEDULE, jitter: 0, timeoutMs: 20_000, pollIntervalMs: 50 },
      );
      const hung = await trigger(slow.model);
      const draining = patient.drain();
      await eventually(async () => receiver.received.length === 1, 5_000, 'the hanging attempt to start');
      const later = await trigger(fast.model);
      const delivered = await eventually(async () => ((await getRequest(later.id)).status === 'delivered' ? true : null), 10_000, 'the second message to be delivered');
      expect(delivered).toBe(true);
      expect((await getRequest(hung.id)).delivery.attempts).toHaveLength(0);
      await receiver.close();
      receiver = await startReceiver();
      // Both were attempted (the hung one's retry, on the fast schedule, may have been attempted too).
      expect((await draining).attempted).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.end();
    }
  });

  it('never sends one attempt twice from concurrent workers', async () => {
    const { model } = await setup();
    await trigger(model);
    receiver.respond(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { status: 200 };
    });
    await Promise.all([worker().runOnce(), worker().runOnce(), worker().runOnce()]);
    expect(receiver.received).toHaveLength(1);
  });

  it('stop() waits for the delivery in flight', async () => {
    const { model } = await setup();
    receiver.respond(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { status: 200 };
    });
    const request = await trigger(model);
    const w = worker();
    w.start();
    await eventually(async () => receiver.received.length > 0, 3_000, 'the attempt to start');
    await w.stop();
    // Recorded before stop() resolved.
    expect((await getRequest(request.id)).status).toBe('delivered');
  });
});

function signed(secret: string, body: string): Record<string, string> {
  const id = `msg_cb_${Math.random().toString(36).slice(2)}`;
  const now = new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, now, body),
  };
}
