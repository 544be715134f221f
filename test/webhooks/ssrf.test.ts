import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { postWebhook } from '../../src/webhooks/sender.js';
import { type Resolver, type TargetPolicy, checkWebhookUrl, guardedLookup, refusedRange, systemResolver } from '../../src/webhooks/ssrf.js';
import { call, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { FAST_SCHEDULE, type Receiver, createRetrainingApp, startReceiver } from '../helpers/retraining.js';

/** Names a test resolver knows; anything else goes to the system resolver (localhost → 127.0.0.1). */
const DNS: Record<string, string[]> = {
  'public.example': ['93.184.216.34'],
  'v6.example': ['2606:4700:4700::1111'],
  'internal.example': ['10.1.2.3'],
  'metadata.example': ['169.254.169.254'],
  'mixed.example': ['93.184.216.34', '192.168.0.10'],
};
let rebind: string[] = ['93.184.216.34'];
const resolve: Resolver = async (host) => {
  if (host === 'rebind.example') return rebind.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  const known = DNS[host];
  if (known) return known.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  return systemResolver(host);
};
const strict: TargetPolicy = { allowPrivate: false, resolve };
const lenient: TargetPolicy = { allowPrivate: true, resolve };

describe('webhook URLs are checked when saved', () => {
  const refused = [
    ['http://public.example/hook', /must use https/],
    ['ftp://public.example/hook', /https URL/],
    ['https://user:pw@public.example/hook', /credentials/],
    ['not a url', /valid absolute URL/],
    ['https://127.0.0.1/hook', /loopback/],
    ['https://2130706433/hook', /127\.0\.0\.1, a loopback/],
    ['https://0x7f.0.0.1/hook', /127\.0\.0\.1, a loopback/],
    ['https://017700000001/hook', /127\.0\.0\.1, a loopback/],
    ['https://127.1/hook', /127\.0\.0\.1, a loopback/],
    ['https://[::1]/hook', /loopback/],
    ['https://[::ffff:127.0.0.1]/hook', /IPv4-mapped loopback/],
    ['https://[::ffff:a9fe:a9fe]/latest/meta-data', /IPv4-mapped link-local/],
    ['https://169.254.169.254/latest/meta-data/', /link-local/],
    ['https://10.0.0.1/hook', /private/],
    ['https://172.16.5.4/hook', /private/],
    ['https://172.31.255.255/hook', /private/],
    ['https://192.168.1.1/hook', /private/],
    ['https://100.64.0.1/hook', /carrier-grade NAT/],
    ['https://[fc00::1]/hook', /unique local/],
    ['https://[fd12:3456::1]/hook', /unique local/],
    ['https://[fe80::1]/hook', /link-local/],
    ['https://224.0.0.1/hook', /multicast/],
    ['https://[ff02::1]/hook', /multicast/],
    ['https://0.0.0.0/hook', /unspecified/],
    ['https://[::]/hook', /unspecified/],
    ['https://240.0.0.1/hook', /reserved/],
    ['https://255.255.255.255/hook', /broadcast/],
    ['https://192.0.2.10/hook', /reserved/],
    ['https://[::7f00:1]/hook', /reserved/],
    ['https://[64:ff9b::7f00:1]/hook', /NAT64/],
    ['https://localhost/hook', /resolves to (127\.0\.0\.1|::1), a loopback/],
    ['https://internal.example/hook', /resolves to 10\.1\.2\.3, a private network address/],
    ['https://metadata.example/hook', /169\.254\.169\.254, a link-local/],
    ['https://mixed.example/hook', /192\.168\.0\.10/],
    ['https://no-such-host.invalid/hook', /does not resolve/],
  ] as const;

  it.each(refused)('refuses %s', async (url, reason) => {
    const checked = await checkWebhookUrl(url, strict);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toMatch(reason);
  });

  it('accepts https URLs of public addresses, normalised', async () => {
    expect(await checkWebhookUrl('https://public.example/hook?x=1', strict)).toEqual({ ok: true, url: 'https://public.example/hook?x=1' });
    expect(await checkWebhookUrl('https://v6.example:8443/hook', strict)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('https://8.8.8.8/hook', strict)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('https://[2606:4700:4700::1111]/hook', strict)).toMatchObject({ ok: true });
  });

  it('allows plain http and private targets with HINDSIGHT_WEBHOOK_ALLOW_PRIVATE, but never unspecified or multicast', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:8080/hook', lenient)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://localhost:8080/hook', lenient)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('https://10.0.0.1/hook', lenient)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://0.0.0.0/hook', lenient)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://224.0.0.1/hook', lenient)).toMatchObject({ ok: false });
    expect(refusedRange('::ffff:0.0.0.0', true)).toBe('IPv4-mapped unspecified');
  });
});

describe('webhook targets are checked again when sending', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.received.length = 0;
    rebind = ['93.184.216.34'];
  });

  it('refuses at connection time a name that now resolves inward (DNS rebinding), without connecting', async () => {
    rebind = ['127.0.0.1'];
    const result = await postWebhook(`https://rebind.example:${receiver.port}/hooks/retrain`, {}, '{}', { timeoutMs: 1_000, policy: strict });
    expect(result).toMatchObject({ ok: false, statusCode: null });
    expect(result.error).toBe('refused: "rebind.example" resolves to 127.0.0.1, a loopback address');
    // localhost itself, through the system resolver.
    const local = await postWebhook(`https://localhost:${receiver.port}/hooks/retrain`, {}, '{}', { timeoutMs: 1_000, policy: { allowPrivate: false, resolve: systemResolver } });
    expect(local.error).toMatch(/^refused: "localhost" resolves to/);
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses IP literals and plain http before any connection', async () => {
    expect((await postWebhook(`https://127.0.0.1:${receiver.port}/hooks/retrain`, {}, '{}', { timeoutMs: 1_000, policy: strict })).error).toBe('refused: 127.0.0.1 is a loopback address');
    expect((await postWebhook(`https://[::ffff:7f00:1]:${receiver.port}/`, {}, '{}', { timeoutMs: 1_000, policy: strict })).error).toMatch(/IPv4-mapped loopback/);
    expect((await postWebhook(`http://public.example/`, {}, '{}', { timeoutMs: 1_000, policy: strict })).error).toMatch(/https only/);
    expect(receiver.received).toHaveLength(0);
  });

  it('validates every resolved address for a lookup asking for all of them', async () => {
    const lookup = guardedLookup(strict);
    const all = await new Promise<unknown>((done) => lookup('v6.example', { all: true }, (error, addresses) => done(error ?? addresses)));
    expect(all).toEqual([{ address: '2606:4700:4700::1111', family: 6 }]);
    const bad = await new Promise<unknown>((done) => lookup('mixed.example', { all: true }, (error) => done(error)));
    expect((bad as Error).message).toMatch(/192\.168\.0\.10, a private network address/);
  });
});

describe('the API with HINDSIGHT_WEBHOOK_ALLOW_PRIVATE off', () => {
  let ctx: TestContext;
  let receiver: Receiver;
  beforeAll(async () => {
    ctx = await createRetrainingApp({ resolve, delivery: { schedule: FAST_SCHEDULE } }, { HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'false' });
    receiver = await startReceiver();
    await createModel(ctx.app, binaryModel('guarded'), 'v1');
  });
  afterAll(async () => {
    await receiver.close();
    await ctx.close();
  });

  it('answers 422 naming /body/url, for the training webhook and for subscriptions', async () => {
    for (const url of ['https://localhost/hook', 'http://public.example/hook', 'https://169.254.169.254/', 'https://[::ffff:10.0.0.1]/', 'https://2130706433/']) {
      const p = problem(await call(ctx.app, 'PUT', '/v1/models/guarded/webhook', { url }), 422);
      expect(p.errors?.[0]?.path, url).toBe('/body/url');
      const s = problem(await call(ctx.app, 'POST', '/v1/models/guarded/subscriptions', { url }), 422);
      expect(s.errors?.[0]?.path).toBe('/body/url');
    }
    const ok = await call(ctx.app, 'PUT', '/v1/models/guarded/webhook', { url: 'https://public.example/hook' });
    expect(ok.statusCode).toBe(201);
  });

  it('refuses to send to a saved URL whose name resolves inward by the time it is sent', async () => {
    await call(ctx.app, 'PUT', '/v1/models/guarded/webhook', { url: `https://rebind.example:${receiver.port}/hooks/retrain` });
    rebind = ['127.0.0.1'];
    const request = (await call(ctx.app, 'POST', '/v1/models/guarded/retrain-requests', { reason: 'rebinding' })).json();
    await ctx.app.services.delivery.runOnce();
    const after = (await call(ctx.app, 'GET', `/v1/retrain-requests/${request.id}`)).json();
    expect(after.delivery.attempts[0]).toMatchObject({ statusCode: null, error: 'refused: "rebind.example" resolves to 127.0.0.1, a loopback address' });
    // And a URL changed behind the API's back to localhost is refused as well.
    await ctx.sql.query(`UPDATE webhook_endpoints SET url = $1`, [`https://localhost:${receiver.port}/hooks/retrain`]);
    await ctx.sql.query(`UPDATE webhook_messages SET next_attempt_at = now()`);
    await ctx.app.services.delivery.runOnce();
    const later = (await call(ctx.app, 'GET', `/v1/retrain-requests/${request.id}`)).json();
    expect(later.delivery.attempts[1].error).toMatch(/^refused: "localhost" resolves to/);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('inward targets in every spelling, at send time (URLs changed behind the API, training webhook and subscriptions)', () => {
  let ctx: TestContext;
  let receiver: Receiver;
  beforeAll(async () => {
    ctx = await createRetrainingApp({ resolve, delivery: { schedule: FAST_SCHEDULE } }, { HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'false' });
    receiver = await startReceiver();
    await createModel(ctx.app, binaryModel('spelled'), 'v1');
    expect((await call(ctx.app, 'POST', '/v1/models/spelled/versions', { name: 'v2' })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await receiver.close();
    await ctx.close();
  });

  const INWARD: [string, RegExp][] = [
    ['https://2130706433/hook', /127\.0\.0\.1 is a loopback/],
    ['https://0x7f000001/hook', /127\.0\.0\.1 is a loopback/],
    ['https://0177.0.0.1/hook', /127\.0\.0\.1 is a loopback/],
    ['https://127.1/hook', /127\.0\.0\.1 is a loopback/],
    ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local/],
    ['https://[::ffff:127.0.0.1]/hook', /IPv4-mapped loopback/],
    ['https://[::ffff:a9fe:a9fe]/latest/meta-data/', /IPv4-mapped link-local/],
    ['https://[fe80::1]/hook', /link-local/],
    ['https://10.0.0.1/hook', /private network/],
    ['https://metadata.example/latest/meta-data/', /"metadata\.example" resolves to 169\.254\.169\.254/],
    ['https://internal.example/hook', /"internal\.example" resolves to 10\.1\.2\.3/],
  ];

  it('refuses each of them for the training webhook and records why, without connecting', async () => {
    expect((await call(ctx.app, 'PUT', '/v1/models/spelled/webhook', { url: 'https://public.example/hook' })).statusCode).toBe(201);
    const request = (await call(ctx.app, 'POST', '/v1/models/spelled/retrain-requests', { reason: 'spellings' })).json();
    for (const [i, [url, reason]] of INWARD.entries()) {
      await ctx.sql.query(`UPDATE webhook_endpoints SET url = $1 WHERE kind = 'training'`, [url]);
      // Attempts never run out here: each URL gets a fresh attempt of the same message.
      await ctx.sql.query(`UPDATE webhook_messages SET next_attempt_at = now(), attempt_count = 0 WHERE retrain_request_id = $1`, [request.id]);
      await ctx.app.services.delivery.runOnce();
      const { rows } = await ctx.sql.query(
        `SELECT a.status_code, a.error FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id WHERE m.retrain_request_id = $1 ORDER BY a.id`,
        [request.id],
      );
      expect(rows, url).toHaveLength(i + 1);
      expect(rows[i], url).toMatchObject({ status_code: null, error: expect.stringMatching(reason) });
      expect(rows[i].error).toMatch(/^refused: /);
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses them for subscriptions (model.version.promoted) too', async () => {
    const sub = await call(ctx.app, 'POST', '/v1/models/spelled/subscriptions', { url: 'https://public.example/sub', events: ['model.version.promoted'] });
    expect(sub.statusCode, sub.body).toBe(201);
    await ctx.sql.query(`UPDATE webhook_endpoints SET url = 'https://[::ffff:169.254.169.254]/latest/meta-data/' WHERE id = $1`, [sub.json().id]);
    expect((await call(ctx.app, 'POST', '/v1/models/spelled/versions/v2/promote', { reason: 'test' })).statusCode).toBe(200);
    await ctx.app.services.delivery.runOnce();
    await ctx.app.services.delivery.runOnce();
    const { rows } = await ctx.sql.query(
      `SELECT a.status_code, a.error FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id WHERE m.endpoint_id = $1`,
      [sub.json().id],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toMatchObject({ status_code: null, error: expect.stringMatching(/^refused: .*IPv4-mapped link-local/) });
  });
});

describe('redirects are never followed, even to allowed targets', () => {
  let ctx: TestContext;
  let redirector: Receiver;
  let inside: Receiver;
  beforeAll(async () => {
    // Private targets allowed, so that the local receivers are reachable at all: a redirect must still fail.
    ctx = await createRetrainingApp({ resolve });
    redirector = await startReceiver();
    inside = await startReceiver('/internal');
    await createModel(ctx.app, binaryModel('redirected'), 'v1');
  });
  afterAll(async () => {
    await redirector.close();
    await inside.close();
    await ctx.close();
  });

  it.each([
    [302, 'http://169.254.169.254/latest/meta-data/'],
    [307, 'inside'],
    [308, 'inside'],
    [301, 'http://[::ffff:127.0.0.1]:1/'],
  ])('a %i to %s is a failed attempt, and nothing is requested there', async (status, location) => {
    const target = location === 'inside' ? inside.url : location;
    redirector.respond(() => ({ status, headers: { location: target } }));
    const direct = await postWebhook(redirector.url, {}, '{}', { timeoutMs: 2_000, policy: lenient });
    expect(direct).toMatchObject({ ok: false, statusCode: status, error: `HTTP ${status}: a redirect to ${target}, not followed` });

    expect((await call(ctx.app, 'PUT', '/v1/models/redirected/webhook', { url: redirector.url })).statusCode).toBeLessThan(300);
    const request = (await call(ctx.app, 'POST', '/v1/models/redirected/retrain-requests', { reason: `redirect ${status}`, force: true })).json();
    await ctx.app.services.delivery.runOnce();
    const after = (await call(ctx.app, 'GET', `/v1/retrain-requests/${request.id}`)).json();
    expect(after.delivery.attempts[0]).toMatchObject({ statusCode: status, error: `HTTP ${status}: a redirect to ${target}, not followed` });
    expect(inside.received).toHaveLength(0);
    // Fail this request for good, so that the next case opens a new one.
    await ctx.sql.query(`UPDATE retrain_requests SET status = 'failed', completed_at = now() WHERE id = $1`, [request.id]);
    await ctx.sql.query(`DELETE FROM webhook_messages WHERE retrain_request_id = $1`, [request.id]);
  });
});

describe('ALERT_WEBHOOK_URL', () => {
  const env = (url: string, extra: Record<string, string> = {}) => ({ DATABASE_URL: 'postgresql://x@127.0.0.1:1/db', ALERT_WEBHOOK_URL: url, ...extra });

  it.each([
    'https://127.0.0.1/hook',
    'https://2130706433/hook',
    'https://0x7f.0.0.1/hook',
    'https://017700000001/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:a9fe:a9fe]/hook',
    'https://10.0.0.1/hook',
    'https://[::1]/hook',
  ])('refuses %s at start-up', (url) => {
    expect(() => loadConfig(env(url))).toThrow(ConfigError);
    try {
      loadConfig(env(url));
    } catch (error) {
      expect((error as ConfigError).problems.join('\n')).toMatch(/ALERT_WEBHOOK_URL must not point at .* address/);
    }
    expect(loadConfig(env(url.replace('https:', 'http:'), { HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true' })).alertWebhookUrl).toBe(url.replace('https:', 'http:'));
  });

  it('refuses at send time a name that resolves inward', async () => {
    const receiver = await startReceiver('/hooks/alerts');
    const ctx = await createRetrainingApp({ resolve }, { HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'false', ALERT_WEBHOOK_URL: `https://metadata.example:${receiver.port}/hooks/alerts` });
    try {
      const raised = await call(ctx.app, 'POST', '/v1/alerts', { type: 'custom.ssrf', severity: 'critical', title: 'inward' });
      expect(raised.statusCode, raised.body).toBe(201);
      const run = await call(ctx.app, 'POST', '/v1/jobs/webhook-delivery/runs?wait=true');
      expect(run.statusCode, run.body).toBe(200);
      const { rows } = await ctx.sql.query(`SELECT a.status_code, a.error FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id WHERE m.alert_id = $1`, [raised.json().id]);
      expect(rows).toEqual([{ status_code: null, error: 'refused: "metadata.example" resolves to 169.254.169.254, a link-local, which includes cloud metadata services address' }]);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await ctx.close();
      await receiver.close();
    }
  });
});
