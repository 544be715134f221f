import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { createRetrainingApp, startReceiver, type Receiver } from '../helpers/retraining.js';

/** The alerts API: listing with filters, custom alerts, dedupe, acknowledgement, scopes; and the notification webhook. */

let ctx: TestContext;
const keys: Record<string, string> = {};
const ids: Record<string, string> = {};

async function createKey(name: string, scopes: string[], models?: string[]) {
  const r = await call(ctx.app, 'POST', '/v1/api-keys', { name, scopes, ...(models ? { models } : {}) });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().key as string;
}

const list = async (query: string, key?: string) => {
  const r = await call(ctx.app, 'GET', `/v1/alerts${query}`, undefined, key);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().items as Record<string, any>[];
};

beforeAll(async () => {
  ctx = await createRetrainingApp();
  await createModel(ctx.app, binaryModel('alpha'));
  await createModel(ctx.app, binaryModel('beta'));
  for (const name of ['alpha', 'beta']) ids[name] = (await ctx.sql.query(`SELECT id FROM models WHERE name = $1`, [name])).rows[0].id;
  keys.read = await createKey('reader', ['read']);
  keys.ingest = await createKey('serving', ['ingest']);
  keys.alphaAdmin = await createKey('alpha-admin', ['admin'], ['alpha']);
  const alerts = ctx.app.services.alerts;
  await alerts.raise({ type: 'drift.feature', severity: 'critical', modelId: ids.alpha, title: 'alpha: input features drifted (high)', detail: 'homeElo (high)' });
  await alerts.raise({ type: 'drift.concept', severity: 'warning', modelId: ids.alpha, title: 'alpha: concept drift', detail: 'accuracy fell' });
  await alerts.raise({ type: 'performance.degraded', severity: 'warning', modelId: ids.beta, title: 'beta: accuracy is degrading', detail: 'trend' });
  await alerts.raise({ type: 'retrain.triggered', severity: 'info', modelId: ids.beta, title: 'beta: retraining started', detail: 'request …' });
  // An alert last seen three days ago, and a resolved one.
  const old = await alerts.raise({ type: 'webhook.disabled', severity: 'warning', modelId: ids.beta, title: 'Training webhook disabled', detail: '410' });
  await ctx.sql.query(`UPDATE alerts SET first_seen_at = now() - interval '4 days', last_seen_at = now() - interval '3 days' WHERE id = $1`, [old.alert.id]);
  const done = await alerts.raise({ type: 'job.failed', severity: 'warning', title: 'Job daily-learning failed', detail: 'boom', dedupeKey: 'job.failed:daily-learning' });
  await alerts.resolveCondition(done.alert.dedupeKey, 'the next run succeeded');
});
afterAll(() => ctx.close());

describe('GET /v1/alerts', () => {
  it('lists alerts most recently seen first, with every field', async () => {
    const items = await list('', keys.read);
    expect(items.map((a) => a.type)).toEqual(['job.failed', 'retrain.triggered', 'performance.degraded', 'drift.concept', 'drift.feature', 'webhook.disabled']);
    expect(items.find((a) => a.type === 'drift.feature')).toMatchObject({
      severity: 'critical',
      peakSeverity: 'critical',
      status: 'open',
      model: 'alpha',
      count: 1,
      source: 'hindsight',
      dedupeKey: `drift.feature:${ids.alpha}`,
      acknowledgedAt: null,
      resolvedAt: null,
    });
    expect(items[0]).toMatchObject({ status: 'resolved', model: null, resolvedBy: 'hindsight', resolution: 'the next run succeeded' });
  });

  it('filters by since, model, type (exact or prefix), severity (at least) and status', async () => {
    const types = async (query: string) => (await list(query)).map((a) => a.type).sort();
    expect(await types('?since=24h')).toEqual(['drift.concept', 'drift.feature', 'job.failed', 'performance.degraded', 'retrain.triggered']);
    expect(await types('?since=4d')).toContain('webhook.disabled');
    expect(await types('?model=alpha')).toEqual(['drift.concept', 'drift.feature']);
    expect(await types('?type=drift.concept')).toEqual(['drift.concept']);
    expect(await types('?type=drift.*')).toEqual(['drift.concept', 'drift.feature']);
    expect(await types('?severity=warning&model=beta')).toEqual(['performance.degraded', 'webhook.disabled']);
    expect(await types('?severity=critical')).toEqual(['drift.feature']);
    expect(await types('?status=resolved')).toEqual(['job.failed']);
    expect(await types('?status=open&since=24h&model=beta&severity=info')).toEqual(['performance.degraded', 'retrain.triggered']);
    const from = new Date(Date.now() - 5 * 86_400_000).toISOString();
    const to = new Date(Date.now() - 2 * 86_400_000).toISOString();
    expect(await types(`?from=${from}&to=${to}`)).toEqual(['webhook.disabled']);
  });

  it('pages with limit and cursor', async () => {
    const all = await list('');
    const first = (await call(ctx.app, 'GET', '/v1/alerts?limit=4')).json();
    expect(first.items.map((a: { id: string }) => a.id)).toEqual(all.slice(0, 4).map((a) => a.id));
    const rest = (await call(ctx.app, 'GET', `/v1/alerts?limit=4&cursor=${first.nextCursor}`)).json();
    expect(rest.items.map((a: { id: string }) => a.id)).toEqual(all.slice(4).map((a) => a.id));
    expect(rest.nextCursor).toBeNull();
  });

  it('refuses bad filters with a 400 naming the field', async () => {
    const path = async (query: string) => problem(await call(ctx.app, 'GET', `/v1/alerts${query}`), 400).errors![0]!.path;
    expect(await path('?since=yesterday')).toBe('/query/since');
    expect(await path('?since=0h')).toBe('/query/since');
    expect(await path('?since=9999999w')).toBe('/query/since');
    expect(await path('?severity=urgent')).toBe('/query/severity');
    expect(await path('?status=closed')).toBe('/query/status');
    expect(await path('?model=Not%20A%20Slug')).toBe('/query/model');
    expect(await path('?type=DRIFT')).toBe('/query/type');
    expect(await path('?from=last-week')).toBe('/query/from');
    expect(await path('?since=24h&from=2024-10-01T00:00:00Z')).toBe('/query/since');
    expect(await path('?from=2024-10-02T00:00:00Z&to=2024-10-01T00:00:00Z')).toBe('/query/from');
    expect(await path('?colour=red')).toMatch(/^\/query/);
    const unknown = problem(await call(ctx.app, 'GET', '/v1/alerts?model=gamma'), 404);
    expect(unknown.errors).toEqual([{ path: '/query/model', message: 'not found' }]);
  });

  it('shows a model-limited key only the alerts of its models', async () => {
    expect((await list('', keys.alphaAdmin)).map((a) => a.model)).toEqual(['alpha', 'alpha']);
    problem(await call(ctx.app, 'GET', '/v1/alerts?model=beta', undefined, keys.alphaAdmin), 403);
    const beta = (await list('?model=beta'))[0]!;
    problem(await call(ctx.app, 'GET', `/v1/alerts/${beta.id}`, undefined, keys.alphaAdmin), 403);
  });

  it('needs the read scope', async () => {
    problem(await call(ctx.app, 'GET', '/v1/alerts', undefined, keys.ingest), 403);
    problem(await call(ctx.app, 'GET', '/v1/alerts', undefined, null), 401);
  });
});

describe('POST /v1/alerts', () => {
  it('raises a custom alert (201), and the same condition again is the same alert counted (200)', async () => {
    const body = { type: 'custom.label_backlog', severity: 'warning', title: '3,000 predictions wait for labels', detail: 'a week behind', model: 'alpha' };
    const first = await call(ctx.app, 'POST', '/v1/alerts', body);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ ...body, status: 'open', count: 1, source: 'custom', createdBy: 'HINDSIGHT_ADMIN_KEY', dedupeKey: `custom.label_backlog:${ids.alpha}` });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await call(ctx.app, 'POST', '/v1/alerts', { ...body, detail: 'two weeks behind' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, count: 2, detail: 'two weeks behind', firstSeenAt: first.json().firstSeenAt });
    expect(Date.parse(again.json().lastSeenAt)).toBeGreaterThan(Date.parse(first.json().lastSeenAt));
    // Another model, or another key: another alert.
    expect((await call(ctx.app, 'POST', '/v1/alerts', { ...body, model: 'beta' })).statusCode).toBe(201);
    const keyed = await call(ctx.app, 'POST', '/v1/alerts', { ...body, dedupeKey: 'backlog-eu' });
    expect(keyed.statusCode).toBe(201);
    expect(keyed.json().dedupeKey).toBe('custom:backlog-eu');
    const { rows } = await ctx.sql.query(`SELECT count(*)::int AS n FROM alerts WHERE type = 'custom.label_backlog'`);
    expect(rows[0].n).toBe(3);
  });

  it('raises an alert about no model, and refuses invalid bodies naming the field', async () => {
    const global = await call(ctx.app, 'POST', '/v1/alerts', { type: 'custom.upstream', severity: 'critical', title: 'The feature store is down' });
    expect(global.statusCode, global.body).toBe(201);
    expect(global.json()).toMatchObject({ model: null, detail: '', dedupeKey: 'custom.upstream:-' });
    const path = async (body: unknown, status = 400) => problem(await call(ctx.app, 'POST', '/v1/alerts', body), status).errors![0]!.path;
    expect(await path({ type: 'drift.feature', severity: 'warning', title: 'spoofed' })).toBe('/body/type');
    expect(await path({ type: 'custom.x', severity: 'urgent', title: 't' })).toBe('/body/severity');
    expect(await path({ type: 'custom.x', severity: 'info', title: '' })).toBe('/body/title');
    expect(await path({ type: 'custom.x', severity: 'info' })).toBe('/body/title');
    expect(await path({ type: 'custom.x', severity: 'info', title: 't', extra: 1 })).toMatch(/^\/body/);
    expect(await path({ type: 'custom.x', severity: 'info', title: 't', model: 'gamma' }, 404)).toBe('/body/model');
  });

  it('needs the admin scope; a model-limited key must name one of its models', async () => {
    const body = { type: 'custom.x', severity: 'info', title: 't' };
    problem(await call(ctx.app, 'POST', '/v1/alerts', body, keys.read), 403);
    problem(await call(ctx.app, 'POST', '/v1/alerts', body, keys.alphaAdmin), 403);
    problem(await call(ctx.app, 'POST', '/v1/alerts', { ...body, model: 'beta' }, keys.alphaAdmin), 403);
    expect((await call(ctx.app, 'POST', '/v1/alerts', { ...body, model: 'alpha' }, keys.alphaAdmin)).statusCode).toBe(201);
  });
});

describe('POST /v1/alerts/{id}/acknowledge and /resolve', () => {
  it('acknowledges an open alert (idempotently); a repeat still counts on it', async () => {
    const alert = (await list('?type=drift.concept'))[0]!;
    const r = await call(ctx.app, 'POST', `/v1/alerts/${alert.id}/acknowledge`, { note: 'looking into the upstream feed' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id: alert.id, status: 'acknowledged', acknowledgedBy: 'HINDSIGHT_ADMIN_KEY', acknowledgementNote: 'looking into the upstream feed' });
    const again = await call(ctx.app, 'POST', `/v1/alerts/${alert.id}/acknowledge`, {});
    expect(again.json()).toMatchObject({ status: 'acknowledged', acknowledgedAt: r.json().acknowledgedAt, acknowledgementNote: 'looking into the upstream feed' });
    // Without a body at all.
    expect((await call(ctx.app, 'POST', `/v1/alerts/${alert.id}/acknowledge`)).statusCode).toBe(200);
    const repeat = await ctx.app.services.alerts.raise({ type: 'drift.concept', severity: 'warning', modelId: ids.alpha, title: 'alpha: concept drift', detail: 'still' });
    expect(repeat.alert).toMatchObject({ id: alert.id, status: 'acknowledged', count: 2 });
    expect((await list('?status=open&type=drift.concept'))).toEqual([]);
  });

  it('answers 404 for an unknown alert, 400 for a malformed id, 409 for a resolved one', async () => {
    const missing = problem(await call(ctx.app, 'POST', '/v1/alerts/8f1e6c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b/acknowledge', {}), 404);
    expect(missing.errors).toEqual([{ path: '/params/id', message: 'not found' }]);
    expect(problem(await call(ctx.app, 'POST', '/v1/alerts/42/acknowledge', {}), 400).errors![0]!.path).toBe('/params/id');
    expect(problem(await call(ctx.app, 'POST', '/v1/alerts/8f1e6c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b/acknowledge', { note: 7 }), 400).errors![0]!.path).toBe('/body/note');
    const resolved = (await list('?status=resolved'))[0]!;
    expect(problem(await call(ctx.app, 'POST', `/v1/alerts/${resolved.id}/acknowledge`, {}), 409).detail).toContain('resolved');
  });

  it('resolves by hand; the same condition later opens a new alert', async () => {
    const alert = (await list('?type=performance.degraded'))[0]!;
    const r = await call(ctx.app, 'POST', `/v1/alerts/${alert.id}/resolve`, { note: 'fixed the upstream join' });
    expect(r.json()).toMatchObject({ status: 'resolved', resolvedBy: 'HINDSIGHT_ADMIN_KEY', resolution: 'fixed the upstream join' });
    expect((await call(ctx.app, 'POST', `/v1/alerts/${alert.id}/resolve`, {})).json().resolution).toBe('fixed the upstream join');
    const next = await ctx.app.services.alerts.raise({ type: 'performance.degraded', severity: 'warning', modelId: ids.beta, title: 'beta: accuracy is degrading', detail: 'again' });
    expect(next).toMatchObject({ created: true, alert: { count: 1, status: 'open' } });
    expect(next.alert.id).not.toBe(alert.id);
  });

  it('needs the admin scope (and the model)', async () => {
    const beta = (await list('?model=beta&status=open'))[0]!;
    problem(await call(ctx.app, 'POST', `/v1/alerts/${beta.id}/acknowledge`, {}, keys.read), 403);
    problem(await call(ctx.app, 'POST', `/v1/alerts/${beta.id}/acknowledge`, {}, keys.alphaAdmin), 403);
    problem(await call(ctx.app, 'POST', `/v1/alerts/${beta.id}/resolve`, {}, keys.read), 403);
  });
});

describe('the alert notification webhook (ALERT_WEBHOOK_URL)', () => {
  const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  let hooked: TestContext;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver('/hooks/alerts');
    hooked = await createRetrainingApp({}, { ALERT_WEBHOOK_URL: receiver.url, ALERT_WEBHOOK_SECRET: SECRET, ALERT_WEBHOOK_MIN_SEVERITY: 'warning', PUBLIC_URL: 'https://hindsight.example.com' });
    await createModel(hooked.app, binaryModel('watched'));
  });
  afterAll(async () => {
    await hooked.close();
    await receiver.close();
  });

  const deliver = async () => {
    const r = await call(hooked.app, 'POST', '/v1/jobs/webhook-delivery/runs?wait=true');
    expect(r.statusCode, r.body).toBe(200);
    return r.json().result as { attempted: number };
  };

  it('sends a Slack-compatible body signed with Standard Webhooks headers when an alert opens, escalates and resolves', async () => {
    const raised = await call(hooked.app, 'POST', '/v1/alerts', { type: 'custom.label_backlog', severity: 'warning', title: 'Labels <late> & lost', detail: 'a *week* behind', model: 'watched' });
    expect(raised.statusCode, raised.body).toBe(201);
    const alert = raised.json();
    expect((await deliver()).attempted).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const hit = receiver.received[0]!;
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['webhook-id']).toMatch(/^msg_/);
    const event = new Webhook(SECRET).verify(hit.body, hit.headers as Record<string, string>) as Record<string, any>;
    expect(() => new Webhook(`whsec_${Buffer.from('another-secret-another-secret-12').toString('base64')}`).verify(hit.body, hit.headers as Record<string, string>)).toThrow();
    expect(event.type).toBe('alert.opened');
    expect(event.text).toBe(':large_orange_circle: [warning] · watched: Labels &lt;late&gt; &amp; lost');
    expect(event.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Labels <late> & lost', emoji: true } });
    expect(event.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'a *week* behind' } });
    expect(event.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(event.blocks[3].elements[0].text).toContain(`<https://hindsight.example.com/v1/alerts/${alert.id}|${alert.id}>`);
    expect(event.alert).toMatchObject({ id: alert.id, type: 'custom.label_backlog', severity: 'warning', status: 'open', model: 'watched', count: 1, url: `https://hindsight.example.com/v1/alerts/${alert.id}` });

    // A repeat only counts: nothing is sent. An escalation is.
    await call(hooked.app, 'POST', '/v1/alerts', { type: 'custom.label_backlog', severity: 'warning', title: 'Labels <late> & lost', model: 'watched' });
    expect((await deliver()).attempted).toBe(0);
    await call(hooked.app, 'POST', '/v1/alerts', { type: 'custom.label_backlog', severity: 'critical', title: 'Labels lost', model: 'watched' });
    expect((await deliver()).attempted).toBe(1);
    const escalated = new Webhook(SECRET).verify(receiver.received[1]!.body, receiver.received[1]!.headers as Record<string, string>) as Record<string, any>;
    expect(escalated).toMatchObject({ type: 'alert.escalated', alert: { id: alert.id, severity: 'critical', count: 3 } });
    expect(escalated.text).toMatch(/^:red_circle: \[critical, escalated\]/);

    // Acknowledging sends nothing; resolving does.
    await call(hooked.app, 'POST', `/v1/alerts/${alert.id}/acknowledge`, {});
    expect((await deliver()).attempted).toBe(0);
    await call(hooked.app, 'POST', `/v1/alerts/${alert.id}/resolve`, { note: 'caught up' });
    expect((await deliver()).attempted).toBe(1);
    const resolved = new Webhook(SECRET).verify(receiver.received[2]!.body, receiver.received[2]!.headers as Record<string, string>) as Record<string, any>;
    expect(resolved).toMatchObject({ type: 'alert.resolved', alert: { id: alert.id, status: 'resolved', resolution: 'caught up' } });
    expect(resolved.text).toMatch(/^:white_check_mark:/);
    expect(resolved.blocks[1].text.text).toContain('*Resolved:* caught up');
  });

  it('sends nothing below ALERT_WEBHOOK_MIN_SEVERITY', async () => {
    const before = receiver.received.length;
    expect((await call(hooked.app, 'POST', '/v1/alerts', { type: 'custom.fyi', severity: 'info', title: 'for your information' })).statusCode).toBe(201);
    expect((await deliver()).attempted).toBe(0);
    expect(receiver.received).toHaveLength(before);
  });
});
