import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel, multiclassModel, regressionModel } from '../helpers/fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  await createModel(ctx.app, regressionModel('eta'), 'r1');
  await createModel(ctx.app, multiclassModel('match'));
});
afterAll(() => ctx.close());

async function predict(body: Record<string, unknown>): Promise<string> {
  const r = await call(ctx.app, 'POST', '/v1/predictions', body);
  expect(r.statusCode).toBe(201);
  return r.json().id;
}

describe('POST /v1/outcomes', () => {
  it('records a classification outcome by model + externalId and says whether it was correct', async () => {
    await predict({ model: 'nba', externalId: 'o-1', features: { a: 1 }, prediction: 'LAL', confidence: 0.8, predictedAt: '2024-10-18T23:00:00Z' });
    const r = await call(ctx.app, 'POST', '/v1/outcomes', { model: 'nba', externalId: 'o-1', actual: 'LAL', observedAt: '2024-10-19T01:00:00Z' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ model: 'nba', version: 'v1', prediction: 'LAL', actual: 'LAL', correct: true, labelDelaySeconds: 7200, source: 'ground_truth' });
    expect(r.json()).not.toHaveProperty('error');
    const { rows } = await ctx.sql.query(`SELECT correct, p_actual, p_positive FROM outcomes o JOIN prediction_keys k ON k.id = o.prediction_id WHERE k.external_id = 'o-1'`);
    expect(rows).toEqual([{ correct: true, p_actual: 0.8, p_positive: 0.8 }]);
  });

  it('records a regression outcome by predictionId with its errors', async () => {
    const id = await predict({ model: 'eta', features: { km: 12 }, prediction: 30, predictedAt: '2024-10-18T23:00:00Z' });
    const r = await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: id, actual: 25, observedAt: '2024-10-18T23:30:00Z', source: 'human' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ predictionId: id, version: 'r1', prediction: 30, actual: 25, error: 5, absoluteError: 5, absolutePercentageError: 20, labelDelaySeconds: 1800, source: 'human' });
    expect(r.json()).not.toHaveProperty('correct');
  });

  it('gives a null percentage error when the actual is 0', async () => {
    const id = await predict({ model: 'eta', features: {}, prediction: 2 });
    const r = await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: id, actual: 0 });
    expect(r.json()).toMatchObject({ error: 2, absoluteError: 2, absolutePercentageError: null });
  });

  it('the same outcome again is 200, a different one 409', async () => {
    const id = await predict({ model: 'match', features: {}, prediction: 'home', probabilities: { home: 0.5, away: 0.3, draw: 0.2 } });
    const first = await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: id, actual: 'away' });
    expect(first.statusCode).toBe(201);
    const { rows } = await ctx.sql.query('SELECT p_actual FROM outcomes WHERE prediction_id = $1', [id]);
    expect(rows[0].p_actual).toBe(0.3);
    const again = await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: id, actual: 'away' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    problem(await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: id, actual: 'draw' }), 409);
  });

  it('refuses an outcome observed before its prediction (422)', async () => {
    const id = await predict({ model: 'eta', features: {}, prediction: 1, predictedAt: '2024-10-18T23:00:00Z' });
    const p = problem(await call(ctx.app, 'POST', '/v1/outcomes', { predictionId: id, actual: 1, observedAt: '2024-10-18T22:00:00Z' }), 422);
    expect(p.errors?.[0]?.path).toBe('/body/observedAt');
  });

  it('marks the prediction labeled, which the unlabeled filter sees', async () => {
    const id = await predict({ model: 'eta', externalId: 'lab-1', features: {}, prediction: 1 });
    const before = await call(ctx.app, 'GET', '/v1/models/eta/predictions?labeled=false&limit=1000');
    expect(before.json().items.map((p: { id: string }) => p.id)).toContain(id);
    await call(ctx.app, 'POST', '/v1/outcomes', { model: 'eta', externalId: 'lab-1', actual: 2 });
    const after = await call(ctx.app, 'GET', '/v1/models/eta/predictions?labeled=false&limit=1000');
    expect(after.json().items.map((p: { id: string }) => p.id)).not.toContain(id);
  });
});

describe('POST /v1/outcomes/batch', () => {
  it('records valid items, names failures, and answers in input order', async () => {
    const ids = await Promise.all([1, 2, 3].map((i) => predict({ model: 'eta', features: { i }, prediction: i * 10 })));
    const r = await call(ctx.app, 'POST', '/v1/outcomes/batch', {
      items: [
        { predictionId: ids[0], actual: 11 },
        { predictionId: 'missing', actual: 1 },
        { predictionId: ids[1], actual: 'twenty' },
        { predictionId: ids[2], actual: 33 },
        { predictionId: ids[2], actual: 34 },
      ],
    });
    expect(r.statusCode).toBe(207);
    const { results, created, failed } = r.json();
    expect({ created, failed }).toEqual({ created: 2, failed: 3 });
    expect(results.map((x: { status: string }) => x.status)).toEqual(['created', 'failed', 'failed', 'created', 'failed']);
    expect(results[1].error).toMatchObject({ status: 404, errors: [{ path: '/body/items/1/predictionId' }] });
    expect(results[2].error).toMatchObject({ status: 400, errors: [{ path: '/body/items/2/actual' }] });
    expect(results[4].error.errors[0].message).toBe('names the same prediction as item 3 in this batch');
    const retry = await call(ctx.app, 'POST', '/v1/outcomes/batch', { items: [{ predictionId: ids[0], actual: 11 }] });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().results[0]).toEqual({ index: 0, status: 'duplicate', id: ids[0] });
  });

  it('labels concurrently without losing or doubling outcomes', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => predict({ model: 'eta', features: { i }, prediction: i })));
    const items = ids.map((id, i) => ({ predictionId: id, actual: i + 1 }));
    const responses = await Promise.all([1, 2, 3, 4].map(() => call(ctx.app, 'POST', '/v1/outcomes/batch', { items })));
    const created = responses.reduce((n, r) => n + r.json().created, 0);
    const duplicates = responses.reduce((n, r) => n + r.json().duplicates, 0);
    expect(created).toBe(20);
    expect(duplicates).toBe(60);
    const { rows } = await ctx.sql.query('SELECT count(*)::int AS n FROM outcomes WHERE prediction_id = ANY($1)', [ids]);
    expect(rows[0].n).toBe(20);
  });
});
