import net from 'node:net';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy, registerSecurityHeaders } from '../../src/plugins/limits.js';
import { ADMIN_KEY, call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

/** Rate limits per API key (429 problem+json with Retry-After) and the security headers. */
let t: TestContext;

beforeAll(async () => {
  t = await createTestApp({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_INGEST_PER_MINUTE: '3' });
  await createModel(t.app, binaryModel('nba'), 'v1');
});
afterAll(() => t.close());

const newKey = async (scopes: string[]) => {
  const r = await call(t.app, 'POST', '/v1/api-keys', { name: `k-${Math.random()}`, scopes });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().key as string;
};
const prediction = (externalId: string) => ({ model: 'nba', externalId, features: { x: 1 }, prediction: 'LAL', confidence: 0.6 });

describe('rate limits', () => {
  it('answers 429 problem+json with Retry-After once a key exceeds its budget, and limits no other key', async () => {
    const a = await newKey(['read']);
    const b = await newKey(['read']);
    for (let i = 0; i < 5; i++) expect((await call(t.app, 'GET', '/v1/models', undefined, a)).statusCode).toBe(200);
    const limited = await call(t.app, 'GET', '/v1/models/nba', undefined, a);
    const body = problem(limited, 429);
    expect(body).toMatchObject({ type: 'https://hindsight.dev/problems/rate-limited', title: 'Too many requests', status: 429, requestId: expect.any(String) });
    expect(body.detail).toMatch(/more than 5 requests in a minute/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-limit']).toBe('5');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    // Another key, from the same address, is not affected.
    expect((await call(t.app, 'GET', '/v1/models', undefined, b)).statusCode).toBe(200);
  });

  it('gives ingestion its own budget, where a batch counts once', async () => {
    const key = await newKey(['ingest', 'read']);
    for (let i = 0; i < 5; i++) expect((await call(t.app, 'GET', '/v1/models', undefined, key)).statusCode).toBe(200);
    problem(await call(t.app, 'GET', '/v1/models', undefined, key), 429);
    // The read budget is spent; ingestion still has its 3 requests, the first a batch of 100.
    const batch = await call(t.app, 'POST', '/v1/predictions/batch', { items: Array.from({ length: 100 }, (_, i) => prediction(`rl-b-${i}`)) }, key);
    expect(batch.statusCode, batch.body).toBe(201);
    expect((await call(t.app, 'POST', '/v1/predictions', prediction('rl-1'), key)).statusCode).toBe(201);
    expect((await call(t.app, 'POST', '/v1/outcomes', { model: 'nba', externalId: 'rl-1', actual: 'LAL' }, key)).statusCode).toBe(201);
    const refused = problem(await call(t.app, 'POST', '/v1/predictions', prediction('rl-2'), key), 429);
    expect(refused.detail).toMatch(/more than 3 ingestion requests/);
    const { rows } = await t.sql.query(`SELECT count(*)::int AS n FROM predictions WHERE external_id = 'rl-2'`);
    expect(rows[0].n).toBe(0);
  });

  it('counts the bootstrap admin key as one principal, and never limits the probes, the docs or /metrics', async () => {
    const fresh = await createTestApp({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      for (let i = 0; i < 2; i++) expect((await call(fresh.app, 'GET', '/v1/models')).statusCode).toBe(200);
      problem(await call(fresh.app, 'GET', '/v1/models', undefined, ADMIN_KEY), 429);
      for (let i = 0; i < 10; i++) {
        for (const url of ['/healthz', '/readyz', '/docs', '/openapi.json']) {
          expect((await call(fresh.app, 'GET', url, undefined, null)).statusCode, url).toBeLessThan(400);
        }
        expect((await call(fresh.app, 'GET', '/metrics')).statusCode).toBe(200);
      }
    } finally {
      await fresh.close();
    }
  });

  it('is off for a class whose limit is 0', async () => {
    const fresh = await createTestApp({ RATE_LIMIT_PER_MINUTE: '0' });
    try {
      for (let i = 0; i < 30; i++) expect((await call(fresh.app, 'GET', '/v1/models')).statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});

describe('security headers', () => {
  it('sends the short REST set on API responses and problems: nothing may be loaded or framed', async () => {
    const responses = [await call(t.app, 'GET', '/healthz', undefined, null), await call(t.app, 'GET', '/v1/nothing'), await call(t.app, 'GET', '/v1/models', undefined, null)];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 404, 401]);
    for (const response of responses) {
      expect(response.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
      // Page-only headers stay off the JSON answers; plain http on loopback: no HSTS.
      expect(response.headers['x-dns-prefetch-control']).toBeUndefined();
      expect(response.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('sends helmet’s page headers on Swagger UI, without upgrading requests on plain http', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("object-src 'none'");
    expect(page.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(page.headers['strict-transport-security']).toBeUndefined();
  });

  it('lets Swagger UI load: every script and stylesheet of /docs is same-origin, and none is inline', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    const directive = (name: string) => csp.split(';').map((d) => d.trim().split(/\s+/)).find((d) => d[0] === name)?.slice(1) ?? [];
    expect(directive('script-src')).toEqual(["'self'"]);
    expect(directive('img-src')).toContain('data:');
    const html = page.body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, inline] of scripts) {
      const src = /src="([^"]+)"/.exec(attributes!)?.[1];
      expect(src, 'no inline script').toBeDefined();
      expect(src!.startsWith('./') || src!.startsWith('/docs/'), src).toBe(true);
      expect(inline!.trim()).toBe('');
      const asset = await t.app.inject({ method: 'GET', url: new URL(src!, 'http://x/docs/').pathname });
      expect(asset.statusCode, src).toBe(200);
    }
    for (const [, href] of html.matchAll(/<link rel="stylesheet"[^>]*href="([^"]+)"/g)) {
      expect(href!.startsWith('./') || href!.startsWith('/docs/'), href).toBe(true);
      expect((await t.app.inject({ method: 'GET', url: new URL(href!, 'http://x/docs/').pathname })).statusCode).toBe(200);
    }
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    // The initializer calls no online validator (img-src would refuse it) and fetches the spec from this origin.
    const init = await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toMatch(/"validatorUrl":\s*null/);
  });

  it('allows Swagger UI’s requests to PUBLIC_URL, and upgrades requests and sends HSTS only behind https', () => {
    expect(contentSecurityPolicy('https://hindsight.example.com')['connect-src']).toEqual(["'self'", 'https://hindsight.example.com']);
    expect(contentSecurityPolicy('https://hindsight.example.com')).toHaveProperty('upgrade-insecure-requests');
    expect(contentSecurityPolicy('http://127.0.0.1:3000')).not.toHaveProperty('upgrade-insecure-requests');
  });

  it('leaves the policy of a route with config.ownCsp to the route, keeping helmet’s other headers', async () => {
    const app = Fastify();
    registerSecurityHeaders(app, 'http://127.0.0.1:3000');
    app.get('/page', { config: { scope: 'public', ownCsp: true } }, async (_request, reply) =>
      reply.header('content-security-policy', "default-src 'none'; script-src 'nonce-abc'").type('text/html').send('<p>hi</p>'),
    );
    app.get('/other', { config: { scope: 'public' } }, async () => ({ ok: true }));
    const own = await app.inject({ method: 'GET', url: '/page' });
    expect(own.headers['content-security-policy']).toBe("default-src 'none'; script-src 'nonce-abc'");
    expect(own.headers['x-content-type-options']).toBe('nosniff');
    const other = await app.inject({ method: 'GET', url: '/other' });
    expect(other.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    await app.close();
  });
});

describe('request timeouts', () => {
  it('cuts off a client that does not finish sending its request within REQUEST_TIMEOUT_MS (408), and serves others meanwhile', async () => {
    const fresh = await createTestApp({ REQUEST_TIMEOUT_MS: '1000' });
    try {
      await fresh.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = fresh.app.server.address() as net.AddressInfo;
      const started = Date.now();
      const answer = await new Promise<{ text: string; ms: number }>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          // Headers promise 100 bytes of body; one arrives, the rest never does (a slow or stalled sender).
          socket.write(`POST /v1/predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
        });
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('close', () => resolve({ text, ms: Date.now() - started }));
        socket.on('error', reject);
        setTimeout(() => reject(new Error('the server kept the stalled request open')), 10_000).unref();
      });
      expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer.ms).toBeGreaterThanOrEqual(900);
      expect(answer.ms).toBeLessThan(5_000);
      // The process is unaffected.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});
