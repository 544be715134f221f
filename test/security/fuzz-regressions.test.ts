import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

/**
 * Regression tests for what the OpenAPI fuzzer (bench/reliability/fuzz.ts, test/security/fuzz.test.ts)
 * found: each was a 500, an undocumented status or a non-problem+json answer.
 */
const BODY_LIMIT = 65_536;
let t: TestContext;

beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: String(BODY_LIMIT), HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true' });
  await createModel(t.app, binaryModel('nba'), 'v1');
});
afterAll(() => t?.close());

const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('statuses the framework answers are documented', () => {
  it('413 and 415 on every operation that takes a body, 429 on every authenticated one', () => {
    const spec = t.app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>> };
    let checked = 0;
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const codes = Object.keys(op.responses);
        if (['post', 'put', 'patch', 'delete'].includes(method)) expect(codes, `${method} ${path}`).toEqual(expect.arrayContaining(['413', '415']));
        if (op.security?.length !== 0) expect(codes, `${method} ${path}`).toContain('429');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('a 415 for a DELETE with a text body, a 413 naming the limit for a POST too large', async () => {
    const deleted = await t.app.inject({ method: 'DELETE', url: '/v1/models/nba/webhook', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/plain' }, payload: 'x' });
    problem(deleted, 415);
    const big = problem(await call(t.app, 'POST', '/v1/outcomes', { predictionId: 'x', actual: 'LAL', pad: 'x'.repeat(BODY_LIMIT) }), 413);
    expect(big.detail).toBe(`the request body is larger than the limit of ${BODY_LIMIT} bytes (BODY_LIMIT_BYTES)`);
  });
});

describe('text PostgreSQL cannot store (it was a 500)', () => {
  it.each([
    ['a NUL in a string', '{"name":"nul","task":"regression","description":"a\\u0000b"}', '/body/description'],
    ['a lone high surrogate', '{"name":"sur","task":"regression","description":"x\\ud800y"}', '/body/description'],
    ['a lone low surrogate', '{"name":"sur","task":"regression","description":"x\\udfffy"}', '/body/description'],
    ['a NUL in a label', '{"name":"nul","task":"binary","labels":["a","b\\u0000"]}', '/body/labels/1'],
  ])('%s is a 400 naming the field', async (_, body, path) => {
    const p = problem(await call(t.app, 'POST', '/v1/models', body), 400);
    expect(p.errors).toEqual([{ path, message: 'must not contain the NUL character (U+0000) or a lone surrogate' }]);
  });

  it('a NUL in a feature name or value of a prediction is a 400; a surrogate pair (an emoji) is fine', async () => {
    problem(await call(t.app, 'POST', '/v1/predictions', '{"model":"nba","features":{"x\\u0000":1},"prediction":"LAL"}'), 400);
    const p = problem(await call(t.app, 'POST', '/v1/predictions', '{"model":"nba","features":{"venue":"TD\\u0000Garden"},"prediction":"LAL"}'), 400);
    expect(p.errors?.[0]?.path).toBe('/body/features/venue');
    const ok = await call(t.app, 'POST', '/v1/predictions', '{"model":"nba","features":{"venue":"\\ud83c\\udfc0 TD Garden"},"prediction":"LAL"}');
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('a NUL in an NDJSON baseline line is a 400 naming the line', async () => {
    const response = await t.app.inject({
      method: 'PUT',
      url: '/v1/models/nba/baseline',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-ndjson' },
      payload: '{"features":{"a":1},"prediction":"LAL"}\n{"features":{"a":"x\\u0000"},"prediction":"LAL"}\n',
    });
    const p = problem(response, 400);
    expect(p.errors?.[0]?.path).toBe('/body/line/2/features/a');
    expect(p.line).toBe(2);
  });
});

describe('forged cursors (a 500 when a value reached SQL)', () => {
  const lists = ['/v1/models/nba/predictions', '/v1/models/nba/versions', '/v1/models/nba/datasets', '/v1/models/nba/drift-reports', '/v1/models/nba/retrain-requests', '/v1/experiments', '/v1/api-keys', '/v1/alerts', '/v1/jobs/daily-learning/runs', '/v1/models', '/v1/models/nba/labeling-queue?strategy=entropy'];
  const forged = [['2024-01-01T00:00:00Z', 'a\u0000b'], ['-271821-04-20T00:00:00Z', '00000000-0000-4000-8000-000000000000'], [1, 2], ['\u0000'], 'not a list'];
  // Lists ordered by (time, uuid id): the id must be a uuid.
  const byUuid = new Set(['/v1/models/nba/versions', '/v1/models/nba/drift-reports', '/v1/models/nba/retrain-requests', '/v1/experiments', '/v1/api-keys', '/v1/alerts', '/v1/jobs/daily-learning/runs']);

  it.each(lists)('%s answers 400 naming /query/cursor', async (url) => {
    for (const value of [...forged, ...(byUuid.has(url) ? [['2024-01-01T00:00:00Z', 'not-a-uuid']] : []), ...(url.endsWith('/datasets') ? [['x'], ['1e9']] : [])]) {
      const response = await call(t.app, 'GET', `${url}${url.includes('?') ? '&' : '?'}cursor=${forge(value)}`);
      const p = problem(response, 400);
      expect(p.errors?.[0]?.path, `${url} ${JSON.stringify(value)}`).toBe('/query/cursor');
    }
  });
});

describe('the router', () => {
  it('lets a prediction id of 128 characters through (it answered 414)', async () => {
    const id = `p-${'x'.repeat(126)}`;
    const created = await call(t.app, 'POST', '/v1/predictions', { model: 'nba', id, features: { a: 1 }, prediction: 'LAL' });
    expect(created.statusCode, created.body).toBe(201);
    const read = await call(t.app, 'GET', `/v1/predictions/${id}`);
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().id).toBe(id);
  });

  it('answers problem+json 400 for an overlong path parameter and a malformed %-escape (they were plain JSON, 414 and 400)', async () => {
    expect(problem(await call(t.app, 'GET', `/v1/predictions/${'x'.repeat(500)}`), 400).errors?.[0]?.path).toBe('/params/id');
    expect(problem(await call(t.app, 'GET', `/v1/models/${'a'.repeat(5_000)}`), 400).detail).toMatch(/too long/);
    expect(problem(await call(t.app, 'GET', '/v1/models/%E0%A4%A'), 400).detail).toMatch(/malformed %-escape/);
    expect(problem(await call(t.app, 'GET', '/v1/models/%ED%A0%80/report.html'), 400).detail).toMatch(/malformed %-escape/);
  });
});

describe('retrain trigger racing the deletion of the webhook (a foreign-key violation, 500)', () => {
  it('answers 202 or 409, never 500', async () => {
    await createModel(t.app, binaryModel('racing'), 'v1');
    const statuses = new Set<number>();
    for (let i = 0; i < 15; i++) {
      expect((await call(t.app, 'PUT', '/v1/models/racing/webhook', { url: 'http://127.0.0.1:9/hook' })).statusCode).toBeLessThan(300);
      const [trigger, removal] = await Promise.all([
        call(t.app, 'POST', '/v1/models/racing/retrain-requests', { reason: `race ${i}`, force: true }),
        call(t.app, 'DELETE', '/v1/models/racing/webhook'),
      ]);
      statuses.add(trigger.statusCode);
      expect([200, 202, 409], trigger.body).toContain(trigger.statusCode);
      expect(removal.statusCode, removal.body).toBe(204);
    }
    // Every request that was created has its message, failed with the deleted webhook; none is left pending.
    const { rows } = await t.sql.query(`SELECT count(*)::int AS n FROM webhook_messages WHERE status = 'pending' AND endpoint_id IS NULL`);
    expect(rows[0].n).toBe(0);
  });
});
