import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel, multiclassModel, regressionModel } from '../helpers/fixtures.js';
import { snapshot } from '../helpers/snapshot.js';

/**
 * Every kind of bad input the foundation issue lists: a 4xx problem+json naming the field and the rule,
 * and nothing stored changes.
 */
let ctx: TestContext;
let labeledId: string;
beforeAll(async () => {
  ctx = await createTestApp({ BODY_LIMIT_BYTES: '65536' });
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  await createModel(ctx.app, regressionModel('eta'));
  await createModel(ctx.app, multiclassModel('match'));
  const r = await call(ctx.app, 'POST', '/v1/predictions', { model: 'nba', externalId: 'known', features: { a: 1 }, prediction: 'LAL', actual: 'LAL' });
  labeledId = r.json().id;
});
afterAll(() => ctx.close());

const valid = { model: 'nba', features: { homeElo: 1620.5 }, prediction: 'LAL', confidence: 0.7 };

interface Case {
  name: string;
  url?: string;
  body: unknown;
  status: number;
  path: string;
  message?: RegExp;
}

const predictionCases: Case[] = [
  { name: 'unknown model', body: { ...valid, model: 'ghost' }, status: 404, path: '/body/model' },
  { name: 'missing features', body: { model: 'nba', prediction: 'LAL' }, status: 400, path: '/body/features', message: /required/ },
  { name: 'features not an object', body: { ...valid, features: [1, 2] }, status: 400, path: '/body/features', message: /object/ },
  { name: 'features a string', body: { ...valid, features: 'a=1' }, status: 400, path: '/body/features', message: /object/ },
  { name: 'nested feature', body: { ...valid, features: { a: { b: 1 } } }, status: 400, path: '/body/features/a' },
  { name: '__proto__ key in features', body: '{"model":"nba","prediction":"LAL","features":{"__proto__":{"admin":true}}}', status: 400, path: '/body/features/__proto__', message: /forbidden/ },
  { name: 'constructor key in features', body: '{"model":"nba","prediction":"LAL","features":{"constructor":{"prototype":{"x":1}}}}', status: 400, path: '/body/features/constructor', message: /forbidden/ },
  { name: '__proto__ at the top level', body: '{"__proto__":{"x":1},"model":"nba","prediction":"LAL","features":{}}', status: 400, path: '/body/__proto__', message: /forbidden/ },
  { name: 'NaN literal', body: '{"model":"nba","prediction":"LAL","features":{"a":NaN}}', status: 400, path: '/body', message: /not valid JSON/ },
  { name: 'Infinity literal', body: '{"model":"eta","prediction":Infinity,"features":{}}', status: 400, path: '/body', message: /not valid JSON/ },
  { name: 'number overflowing to Infinity in a feature', body: '{"model":"nba","prediction":"LAL","features":{"a":1e400}}', status: 400, path: '/body/features/a', message: /finite/ },
  { name: 'number overflowing to Infinity as a prediction', body: '{"model":"eta","prediction":-1e400,"features":{}}', status: 400, path: '/body/prediction', message: /finite/ },
  { name: 'string where a regression needs a number', body: { model: 'eta', features: {}, prediction: '12.5' }, status: 400, path: '/body/prediction', message: /number/ },
  { name: 'string confidence', body: { ...valid, confidence: '0.7' }, status: 400, path: '/body/confidence', message: /number/ },
  { name: 'number where a classifier needs a label', body: { ...valid, prediction: 1 }, status: 400, path: '/body/prediction', message: /label/ },
  { name: 'confidence above 1', body: { ...valid, confidence: 1.01 }, status: 400, path: '/body/confidence', message: /<= 1/ },
  { name: 'confidence below 0', body: { ...valid, confidence: -0.1 }, status: 400, path: '/body/confidence', message: />= 0/ },
  { name: 'probabilities with an unknown label', body: { ...valid, probabilities: { LAL: 0.5, NYK: 0.5 } }, status: 422, path: '/body/probabilities/NYK' },
  { name: 'probabilities not summing to 1', body: { ...valid, probabilities: { LAL: 0.5, BOS: 0.4 } }, status: 400, path: '/body/probabilities', message: /sum to 1/ },
  { name: 'probability above 1', body: { ...valid, probabilities: { LAL: 1.5, BOS: -0.5 } }, status: 400, path: '/body/probabilities/LAL' },
  { name: 'predicted label outside the labels', body: { ...valid, prediction: 'NYK' }, status: 422, path: '/body/prediction', message: /not one of the model's labels/ },
  { name: 'multiclass label outside the labels', body: { model: 'match', features: {}, prediction: 'win' }, status: 422, path: '/body/prediction' },
  { name: 'inline actual outside the labels', body: { ...valid, actual: 'NYK' }, status: 422, path: '/body/actual' },
  { name: 'malformed predictedAt', body: { ...valid, predictedAt: '18/10/2024 23:00' }, status: 400, path: '/body/predictedAt', message: /date-time/ },
  { name: 'predictedAt without a time zone', body: { ...valid, predictedAt: '2024-10-18T23:00:00' }, status: 400, path: '/body/predictedAt' },
  { name: 'impossible date', body: { ...valid, predictedAt: '2024-02-30T23:00:00Z' }, status: 400, path: '/body/predictedAt' },
  { name: 'predictedAt far in the future', body: { ...valid, predictedAt: '2999-01-01T00:00:00Z' }, status: 400, path: '/body/predictedAt', message: /future/ },
  { name: 'externalId over 256 characters', body: { ...valid, externalId: 'x'.repeat(257) }, status: 400, path: '/body/externalId', message: /256/ },
  { name: 'unknown property', body: { ...valid, colour: 'red' }, status: 400, path: '/body/colour', message: /not an allowed property/ },
  { name: 'empty body', body: '', status: 400, path: '/body' },
  { name: 'body over the limit', body: { ...valid, features: { big: 'x'.repeat(4000) }, externalId: 'y'.repeat(200), pad: 'z'.repeat(70_000) }, status: 413, path: '' },
];

const outcomeCases: Case[] = [
  { name: 'outcome for an unknown prediction id', url: '/v1/outcomes', body: { predictionId: 'no-such-prediction', actual: 'LAL' }, status: 404, path: '/body/predictionId', message: /not found/ },
  { name: 'outcome for an unknown externalId', url: '/v1/outcomes', body: { model: 'nba', externalId: 'never-logged', actual: 'LAL' }, status: 404, path: '/body/externalId' },
  { name: 'outcome for an unknown model', url: '/v1/outcomes', body: { model: 'ghost', externalId: 'x', actual: 'LAL' }, status: 404, path: '/body/model' },
  { name: 'outcome naming no prediction', url: '/v1/outcomes', body: { actual: 'LAL' }, status: 400, path: '/body/predictionId' },
  { name: 'outcome label outside the labels', url: '/v1/outcomes', body: { model: 'nba', externalId: 'known', actual: 'NYK' }, status: 422, path: '/body/actual' },
  { name: 'outcome with a malformed observedAt', url: '/v1/outcomes', body: { model: 'nba', externalId: 'known', actual: 'LAL', observedAt: 'yesterday' }, status: 400, path: '/body/observedAt' },
  { name: 'outcome with a non-finite actual', url: '/v1/outcomes', body: '{"model":"nba","externalId":"known","actual":1e999}', status: 400, path: '/body/actual' },
  { name: 'outcome batch over 10,000 items', url: '/v1/outcomes/batch', body: { items: Array.from({ length: 10_001 }, () => ({})) }, status: 413, path: '/body/items' },
];

describe('bad input is refused with problem+json and changes nothing', () => {
  it.each([...predictionCases, ...outcomeCases])('$name → $status', async (c) => {
    const before = await snapshot(ctx.sql);
    const r = await call(ctx.app, 'POST', c.url ?? '/v1/predictions', c.body);
    if (c.status === 413 && c.url === '/v1/outcomes/batch') {
      // 10,001 items exceed the 64 KiB body limit of this app before the item count is checked.
      expect(r.statusCode).toBe(413);
    } else {
      const body = problem(r, c.status);
      expect(body).toMatchObject({ status: c.status, type: expect.stringContaining('https://hindsight.dev/problems/'), title: expect.any(String), requestId: expect.any(String) });
      expect(body.detail.length).toBeGreaterThan(0);
      if (c.path) {
        const match = body.errors?.find((e) => e.path === c.path);
        expect(match, `errors ${JSON.stringify(body.errors)} should name ${c.path}`).toBeDefined();
        if (c.message) expect(match!.message).toMatch(c.message);
      }
    }
    expect(r.body).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(await snapshot(ctx.sql)).toBe(before);
  });

  it('a different actual for a labeled prediction is 409 and keeps the first', async () => {
    const before = await snapshot(ctx.sql);
    const body = problem(await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: labeledId, actual: 'BOS' }), 409);
    expect(body.errors).toEqual([{ path: '/body/actual', message: 'differs from the recorded actual "LAL"' }]);
    expect(await snapshot(ctx.sql)).toBe(before);
  });

  it('a batch of bad items stores nothing and names every item', async () => {
    const before = await snapshot(ctx.sql);
    const r = await call(ctx.app, 'POST', '/v1/predictions/batch', { items: predictionCases.filter((c) => typeof c.body === 'object' && c.status !== 413).map((c) => c.body) });
    expect(r.statusCode).toBe(207);
    const { results, created, failed } = r.json();
    expect(created).toBe(0);
    expect(failed).toBe(results.length);
    for (const [i, result] of results.entries()) {
      expect(result.error.errors.every((e: { path: string }) => e.path.startsWith(`/body/items/${i}`))).toBe(true);
    }
    expect(await snapshot(ctx.sql)).toBe(before);
  });

  it('refuses malformed batch envelopes', async () => {
    for (const [body, path] of [
      [{}, '/body/items'],
      [{ items: [] }, '/body/items'],
      [{ items: {} }, '/body/items'],
      [[valid], '/body'],
      [{ items: [valid], extra: 1 }, '/body/extra'],
    ] as const) {
      const p = problem(await call(ctx.app, 'POST', '/v1/predictions/batch', body), 400);
      expect(p.errors?.[0]?.path).toBe(path);
    }
  });

  it('answers 404 problem+json for unknown routes and 415 for non-JSON bodies', async () => {
    problem(await call(ctx.app, 'GET', '/v1/nothing-here'), 404);
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/predictions', headers: { authorization: 'Bearer test-admin-key-0123456789abcdef', 'content-type': 'text/plain' }, payload: 'hello' });
    problem(r, 415);
  });

  it('names path and query parameters that break their rules', async () => {
    const p = problem(await call(ctx.app, 'GET', '/v1/models/Not_A_Slug'), 400);
    expect(p.errors?.[0]?.path).toBe('/params/model');
    const q = problem(await call(ctx.app, 'GET', '/v1/models/nba/predictions?limit=0'), 400);
    expect(q.errors?.[0]).toEqual({ path: '/query/limit', message: 'must be >= 1' });
    const t = problem(await call(ctx.app, 'GET', '/v1/models/nba/predictions?from=not-a-date'), 400);
    expect(t.errors?.[0]?.path).toBe('/query/from');
  });
});
