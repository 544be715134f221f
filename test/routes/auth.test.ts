import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { freePort, startServer, waitForStatus, type ServerProcess } from '../helpers/server-process.js';

const KEY_FORMAT = /^hs_[0-9A-Za-z]{8}_[0-9A-Za-z]{32}$/;

let t: TestContext;

interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  name: string;
  scopes: string[];
  models: string[];
  expiresAt: string | null;
  revokedAt: string | null;
}

async function createKey(body: Record<string, unknown>): Promise<CreatedKey> {
  const response = await call(t.app, 'POST', '/v1/api-keys', body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as CreatedKey;
}

const prediction = (model: string, extra: Record<string, unknown> = {}) => ({ model, features: { x: 1 }, prediction: 'yes', confidence: 0.7, ...extra });

async function predictionCount(model: string): Promise<number> {
  const { rows } = await t.sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM predictions p JOIN models m ON m.id = p.model_id WHERE m.name = $1',
    [model],
  );
  return rows[0]!.n;
}

function expectProblemShape(body: ReturnType<typeof problem>, status: number) {
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String), requestId: expect.any(String) });
}

beforeAll(async () => {
  t = await createTestApp();
  for (const name of ['a', 'b']) {
    const response = await call(t.app, 'POST', '/v1/models', { name, task: 'binary', labels: ['no', 'yes'] });
    expect(response.statusCode, response.body).toBe(201);
  }
});

afterAll(async () => {
  await t?.close();
});

describe('authentication', () => {
  it('answers 401 problem+json with WWW-Authenticate: Bearer when the key is missing', async () => {
    const response = await call(t.app, 'GET', '/v1/models', undefined, null);
    const body = problem(response, 401);
    expectProblemShape(body, 401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expect(body.detail).toMatch(/Authorization: Bearer/);
    expect(body.requestId).toBe(response.headers['x-request-id']);
  });

  it.each([
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['a Bearer header without a key', 'Bearer'],
    ['a Bearer header with two tokens', 'Bearer abc def'],
    ['a bare key without the scheme', ADMIN_KEY],
  ])('answers 401 for %s', async (_, authorization) => {
    const response = await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization } });
    const body = problem(response, 401);
    expectProblemShape(body, 401);
    expect(body.detail).toMatch(/Bearer <key>/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer\b/);
  });

  it('answers 401 for an unknown key, well-formed or not', async () => {
    for (const key of ['hs_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', 'not-a-key-at-all']) {
      const body = problem(await call(t.app, 'GET', '/v1/models', undefined, key), 401);
      expectProblemShape(body, 401);
      expect(body.detail).toMatch(/not valid/);
    }
  });

  it('accepts the scheme case-insensitively', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `bearer ${ADMIN_KEY}` } });
    expect(response.statusCode).toBe(200);
  });

  it('needs no key on the public routes', async () => {
    for (const url of ['/healthz', '/readyz', '/docs', '/openapi.json']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(400);
    }
    expect((await t.app.inject({ method: 'GET', url: '/docs/static/index.html' })).statusCode).toBeLessThan(400);
    expect((await t.app.inject({ method: 'HEAD', url: '/healthz' })).statusCode).toBe(200);
  });

  it('protects HEAD routes like their GET', async () => {
    const response = await t.app.inject({ method: 'HEAD', url: '/v1/models' });
    expect(response.statusCode).toBe(401);
  });
});

describe('scopes', () => {
  let ingestKey: CreatedKey;
  let readKey: CreatedKey;
  let adminKey: CreatedKey;

  beforeAll(async () => {
    ingestKey = await createKey({ name: 'ingest only', scopes: ['ingest'] });
    readKey = await createKey({ name: 'read only', scopes: ['read'] });
    adminKey = await createKey({ name: 'stored admin', scopes: ['admin'] });
  });

  it('refuses an ingest-only key on GET /v1/models with a 403 naming the scope', async () => {
    const body = problem(await call(t.app, 'GET', '/v1/models', undefined, ingestKey.key), 403);
    expectProblemShape(body, 403);
    expect(body.detail).toContain('"read"');
  });

  it('refuses a read-only key on POST /v1/predictions, and stores nothing', async () => {
    const before = await predictionCount('a');
    const body = problem(await call(t.app, 'POST', '/v1/predictions', prediction('a'), readKey.key), 403);
    expectProblemShape(body, 403);
    expect(body.detail).toContain('"ingest"');
    expect(await predictionCount('a')).toBe(before);
  });

  it('refuses non-admin keys on POST /v1/api-keys', async () => {
    const { rows: before } = await t.sql.query('SELECT count(*)::int AS n FROM api_keys');
    for (const key of [ingestKey, readKey]) {
      const body = problem(await call(t.app, 'POST', '/v1/api-keys', { name: 'escalate', scopes: ['admin'] }, key.key), 403);
      expectProblemShape(body, 403);
      expect(body.detail).toContain('"admin"');
      problem(await call(t.app, 'GET', '/v1/api-keys', undefined, key.key), 403);
      problem(await call(t.app, 'DELETE', `/v1/api-keys/${adminKey.id}`, undefined, key.key), 403);
    }
    const { rows: after } = await t.sql.query('SELECT count(*)::int AS n FROM api_keys');
    expect(after[0].n).toBe(before[0].n);
  });

  it('lets the ingest and read scopes do their own work', async () => {
    expect((await call(t.app, 'POST', '/v1/predictions', prediction('a'), ingestKey.key)).statusCode).toBe(201);
    expect((await call(t.app, 'GET', '/v1/models', undefined, readKey.key)).statusCode).toBe(200);
    expect((await call(t.app, 'GET', '/v1/models/a', undefined, readKey.key)).statusCode).toBe(200);
  });

  it('treats admin as including every scope', async () => {
    const created = await call(t.app, 'POST', '/v1/predictions', prediction('b'), adminKey.key);
    expect(created.statusCode, created.body).toBe(201);
    const read = await call(t.app, 'GET', `/v1/predictions/${created.json().id}`, undefined, adminKey.key);
    expect(read.statusCode).toBe(200);
    expect((await call(t.app, 'GET', '/v1/models', undefined, adminKey.key)).statusCode).toBe(200);
    expect((await call(t.app, 'GET', '/v1/api-keys', undefined, adminKey.key)).statusCode).toBe(200);
  });
});

describe('API keys', () => {
  it('shows the secret once on creation and never in the list', async () => {
    const created = await createKey({ name: 'serving', scopes: ['ingest', 'read'], models: ['a'] });
    expect(created.key).toMatch(KEY_FORMAT);
    expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);
    expect(created).toMatchObject({ name: 'serving', scopes: ['ingest', 'read'], models: ['a'], expiresAt: null, revokedAt: null });

    const list = await call(t.app, 'GET', '/v1/api-keys?limit=100');
    expect(list.statusCode).toBe(200);
    const item = (list.json().items as Record<string, unknown>[]).find((k) => k.id === created.id);
    expect(item).toMatchObject({ id: created.id, prefix: created.prefix, name: 'serving' });
    expect(item).not.toHaveProperty('key');
    expect(list.body).not.toContain(created.key);
    expect(list.body).not.toContain(created.key.slice(created.prefix.length + 1));
  });

  it('stores only a hash of the key', async () => {
    const created = await createKey({ name: 'hash check', scopes: ['read'] });
    const secret = created.key.slice(created.prefix.length + 1);
    const { rows } = await t.sql.query('SELECT * FROM api_keys WHERE id = $1', [created.id]);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(row.prefix).toBe(created.prefix);
    for (const [column, value] of Object.entries(row)) {
      const texts = Buffer.isBuffer(value) ? [value.toString('utf8'), value.toString('hex'), value.toString('base64')] : [JSON.stringify(value) ?? ''];
      for (const text of texts) {
        expect(text, column).not.toContain(created.key);
        expect(text, column).not.toContain(secret);
      }
    }
    // The whole table, as text, does not contain it either.
    const { rows: dump } = await t.sql.query(`SELECT t::text AS row FROM api_keys t`);
    expect(dump.map((r) => r.row).join('\n')).not.toContain(secret);
  });

  it('rejects an expiresAt in the past with a 400 naming the field, storing nothing', async () => {
    const { rows: before } = await t.sql.query('SELECT count(*)::int AS n FROM api_keys');
    const body = problem(await call(t.app, 'POST', '/v1/api-keys', { name: 'late', scopes: ['read'], expiresAt: new Date(Date.now() - 60_000).toISOString() }), 400);
    expectProblemShape(body, 400);
    expect(body.errors).toEqual([expect.objectContaining({ path: '/body/expiresAt' })]);
    const { rows: after } = await t.sql.query('SELECT count(*)::int AS n FROM api_keys');
    expect(after[0].n).toBe(before[0].n);
  });

  it('rejects unknown scopes and empty scope lists', async () => {
    problem(await call(t.app, 'POST', '/v1/api-keys', { name: 'x', scopes: ['root'] }), 400);
    problem(await call(t.app, 'POST', '/v1/api-keys', { name: 'x', scopes: [] }), 400);
  });

  it('revokes a key: it gets 401 at once, even right after being used', async () => {
    const created = await createKey({ name: 'to revoke', scopes: ['read'] });
    expect((await call(t.app, 'GET', '/v1/models', undefined, created.key)).statusCode).toBe(200);
    const revoked = await call(t.app, 'DELETE', `/v1/api-keys/${created.id}`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    expect(revoked.body).not.toContain(created.key);
    const body = problem(await call(t.app, 'GET', '/v1/models', undefined, created.key), 401);
    expectProblemShape(body, 401);
    expect(body.detail).toMatch(/revoked/);
    const { rows } = await t.sql.query('SELECT revoked_at FROM api_keys WHERE id = $1', [created.id]);
    expect(rows[0].revoked_at).toBeInstanceOf(Date);
  });

  it('revokes a key even while a request that authenticated it is still looking it up', async () => {
    const created = await createKey({ name: 'racing revoke', scopes: ['read'] });
    // Many concurrent first uses race with the revocation; none of the lookups may re-cache the key as valid.
    const uses = Array.from({ length: 20 }, () => call(t.app, 'GET', '/v1/models', undefined, created.key));
    const revoked = call(t.app, 'DELETE', `/v1/api-keys/${created.id}`);
    await Promise.all([...uses, revoked]);
    expect((await revoked).statusCode).toBe(200);
    problem(await call(t.app, 'GET', '/v1/models', undefined, created.key), 401);
  });

  it('answers 404 naming an unknown key id, and 400 for a malformed one', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const body = problem(await call(t.app, 'DELETE', `/v1/api-keys/${id}`), 404);
    expect(body.detail).toContain(id);
    problem(await call(t.app, 'DELETE', '/v1/api-keys/not-a-uuid'), 400);
  });

  it('refuses an expired key with a 401 saying so', async () => {
    const expiresAt = new Date(Date.now() + 1_000);
    const created = await createKey({ name: 'short-lived', scopes: ['read'], expiresAt: expiresAt.toISOString() });
    expect(created.expiresAt).toBe(expiresAt.toISOString());
    // Used (and cached) before it expires…
    expect((await call(t.app, 'GET', '/v1/models', undefined, created.key)).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 50));
    // …refused after, at once.
    const body = problem(await call(t.app, 'GET', '/v1/models', undefined, created.key), 401);
    expectProblemShape(body, 401);
    expect(body.detail).toMatch(/expired/);
  });
});

describe('keys limited to models', () => {
  let limited: CreatedKey;

  beforeAll(async () => {
    limited = await createKey({ name: 'only a', scopes: ['ingest', 'read'], models: ['a'] });
  });

  it('reads and writes its model', async () => {
    expect((await call(t.app, 'GET', '/v1/models/a', undefined, limited.key)).statusCode).toBe(200);
    const created = await call(t.app, 'POST', '/v1/predictions', prediction('a', { externalId: 'limited-a-1' }), limited.key);
    expect(created.statusCode, created.body).toBe(201);
    expect((await call(t.app, 'GET', `/v1/predictions/${created.json().id}`, undefined, limited.key)).statusCode).toBe(200);
    expect((await call(t.app, 'GET', '/v1/models/a/predictions', undefined, limited.key)).statusCode).toBe(200);
    const outcome = await call(t.app, 'POST', '/v1/outcomes', { model: 'a', externalId: 'limited-a-1', actual: 'yes' }, limited.key);
    expect(outcome.statusCode, outcome.body).toBe(201);
  });

  it('gets 403 on another model, whatever the route', async () => {
    expect((await call(t.app, 'POST', '/v1/predictions', prediction('b', { externalId: 'b-1' }))).statusCode).toBe(201);
    const before = await predictionCount('b');
    for (const [method, url, body] of [
      ['GET', '/v1/models/b', undefined],
      ['GET', '/v1/models/b/predictions', undefined],
      ['GET', '/v1/models/b/versions', undefined],
      ['POST', '/v1/predictions', prediction('b')],
      ['POST', '/v1/outcomes', { model: 'b', externalId: 'b-1', actual: 'yes' }],
    ] as const) {
      const response = await call(t.app, method, url, body, limited.key);
      const p = problem(response, 403);
      expectProblemShape(p, 403);
      expect(p.detail, `${method} ${url}`).toContain('"b"');
    }
    expect(await predictionCount('b')).toBe(before);
    const { rows } = await t.sql.query(`SELECT count(*)::int AS n FROM outcomes o JOIN models m ON m.id = o.model_id WHERE m.name = 'b'`);
    expect(rows[0].n).toBe(0);
  });

  it('as an admin key, administers only its models and cannot manage API keys', async () => {
    const limitedAdmin = await createKey({ name: 'admin of a', scopes: ['admin'], models: ['a'] });
    expect((await call(t.app, 'PATCH', '/v1/models/a', { description: 'mine' }, limitedAdmin.key)).statusCode).toBe(200);
    for (const [method, url, body] of [
      ['PATCH', '/v1/models/b', { description: 'not yours' }],
      ['POST', '/v1/models/b/versions', { name: 'v1' }],
      ['POST', '/v1/models', { name: 'c', task: 'regression' }],
    ] as const) {
      const p = problem(await call(t.app, method, url, body, limitedAdmin.key), 403);
      expect(p.detail, `${method} ${url}`).toMatch(/"[bc]"/);
    }
    const { rows: models } = await t.sql.query(`SELECT name, description FROM models ORDER BY name`);
    expect(models).toEqual([
      { name: 'a', description: 'mine' },
      { name: 'b', description: null },
    ]);
    const { rows: versions } = await t.sql.query(`SELECT count(*)::int AS n FROM model_versions`);
    expect(versions[0].n).toBe(0);

    // A key limited to some models must not mint itself an unlimited one, nor list or revoke others.
    const { rows: before } = await t.sql.query('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL');
    for (const body of [{ name: 'escalate', scopes: ['admin'] }, { name: 'same', scopes: ['read'], models: ['a'] }]) {
      const p = problem(await call(t.app, 'POST', '/v1/api-keys', body, limitedAdmin.key), 403);
      expect(p.detail).toMatch(/limited to/);
    }
    problem(await call(t.app, 'GET', '/v1/api-keys', undefined, limitedAdmin.key), 403);
    problem(await call(t.app, 'DELETE', `/v1/api-keys/${limited.id}`, undefined, limitedAdmin.key), 403);
    const { rows: after } = await t.sql.query('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL');
    expect(after[0].n).toBe(before[0].n);
  });

  it('cannot read a prediction of another model by id', async () => {
    const other = await call(t.app, 'POST', '/v1/predictions', prediction('b'));
    expect(other.statusCode).toBe(201);
    problem(await call(t.app, 'GET', `/v1/predictions/${other.json().id}`, undefined, limited.key), 403);
  });

  it('lists only its models', async () => {
    const response = await call(t.app, 'GET', '/v1/models', undefined, limited.key);
    expect(response.statusCode).toBe(200);
    expect((response.json().items as { name: string }[]).map((m) => m.name)).toEqual(['a']);
    const all = await call(t.app, 'GET', '/v1/models');
    expect((all.json().items as { name: string }[]).map((m) => m.name)).toEqual(['a', 'b']);
  });

  it('gets a 207 for a batch mixing its model and another: the other item fails 403, its own is stored', async () => {
    const beforeA = await predictionCount('a');
    const beforeB = await predictionCount('b');
    const response = await call(
      t.app,
      'POST',
      '/v1/predictions/batch',
      { items: [prediction('a', { externalId: 'mixed-a' }), prediction('b', { externalId: 'mixed-b' })] },
      limited.key,
    );
    expect(response.statusCode, response.body).toBe(207);
    const body = response.json();
    expect(body).toMatchObject({ created: 1, duplicates: 0, failed: 1 });
    expect(body.results[0]).toMatchObject({ index: 0, status: 'created', id: expect.any(String) });
    expect(body.results[1]).toMatchObject({ index: 1, status: 'failed', error: { status: 403, type: expect.stringContaining('forbidden'), requestId: expect.any(String) } });
    expect(body.results[1].error.detail).toContain('"b"');
    expect(await predictionCount('a')).toBe(beforeA + 1);
    expect(await predictionCount('b')).toBe(beforeB);
    const stored = await call(t.app, 'GET', `/v1/predictions/${body.results[0].id}`, undefined, limited.key);
    expect(stored.statusCode).toBe(200);
  });
});

describe('logs', () => {
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('never contain a key, even at debug level', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const adminKey = `log-test-admin-key-${Math.random().toString(36).slice(2)}-0123456789`;
    server = startServer({ DATABASE_URL: await createTestDatabase(), PORT: String(port), HINDSIGHT_ADMIN_KEY: adminKey, LOG_LEVEL: 'debug' });
    const base = `http://127.0.0.1:${port}`;
    await server.waitFor(/Hindsight is ready/);
    await waitForStatus(`${base}/readyz`, 200);

    const request = (method: string, url: string, key: string | undefined, body?: unknown) =>
      fetch(base + url, {
        method,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const createdResponse = await request('POST', '/v1/api-keys', adminKey, { name: 'logged?', scopes: ['read'] });
    expect(createdResponse.status).toBe(201);
    const created = (await createdResponse.json()) as CreatedKey;
    expect((await request('GET', '/v1/models', created.key)).status).toBe(200);
    expect((await request('POST', '/v1/models', created.key, { name: 'm', task: 'regression' })).status).toBe(403);
    expect((await request('DELETE', `/v1/api-keys/${created.id}`, adminKey)).status).toBe(200);
    expect((await request('GET', '/v1/models', created.key)).status).toBe(401);
    const unknown = 'hs_ZZZZZZZZ_unknownunknownunknownunknownunkn';
    expect((await request('GET', '/v1/models', unknown)).status).toBe(401);
    expect((await request('GET', '/v1/models', `${created.key}x`)).status).toBe(401);
    await server.stop();
    expect((await server.exited).code).toBe(0);

    const output = server.stdout() + server.stderr();
    // The requests were logged at all (so the absence below means something).
    expect(output).toContain('/v1/api-keys');
    expect(output).toContain('incoming request');
    for (const secret of [adminKey, created.key, created.key.slice(created.prefix.length + 1), unknown]) {
      expect(output).not.toContain(secret);
    }
  });
});
