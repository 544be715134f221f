import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel, regressionModel } from '../helpers/fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  await createModel(ctx.app, regressionModel('eta'));
});
afterAll(() => ctx.close());

const game = (externalId: string, extra: Record<string, unknown> = {}) => ({
  model: 'nba',
  externalId,
  features: { homeElo: 1620.5, restDays: 2, venue: 'TD Garden', playoff: false, injury: null },
  prediction: 'LAL',
  confidence: 0.78,
  probabilities: { LAL: 0.78, BOS: 0.22 },
  predictedAt: '2024-10-18T23:00:00Z',
  ...extra,
});

describe('POST /v1/predictions', () => {
  it('stores a prediction under the production version and answers 201 with it', async () => {
    const r = await call(ctx.app, 'POST', '/v1/predictions', game('g-201'));
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({
      model: 'nba',
      version: 'v1',
      externalId: 'g-201',
      prediction: 'LAL',
      confidence: 0.78,
      probabilities: { LAL: 0.78, BOS: 0.22 },
      features: game('').features,
      predictedAt: '2024-10-18T23:00:00.000Z',
      outcome: null,
    });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const { rows } = await ctx.sql.query('SELECT p_positive, version_id IS NOT NULL AS versioned FROM predictions WHERE id = $1', [body.id]);
    expect(rows).toEqual([{ p_positive: 0.78, versioned: true }]);
    const read = await call(ctx.app, 'GET', `/v1/predictions/${body.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
  });

  it('derives P(positive) from the confidence of the predicted label', async () => {
    const r = await call(ctx.app, 'POST', '/v1/predictions', { model: 'nba', features: { x: 1 }, prediction: 'BOS', confidence: 0.9 });
    expect(r.statusCode).toBe(201);
    const { rows } = await ctx.sql.query('SELECT p_positive FROM predictions WHERE id = $1', [r.json().id]);
    expect(rows[0].p_positive).toBeCloseTo(0.1, 12);
  });

  it('is idempotent by externalId: the same body is 200 with the stored prediction, a different body 409', async () => {
    const first = await call(ctx.app, 'POST', '/v1/predictions', game('g-idem'));
    expect(first.statusCode).toBe(201);
    const reordered = { ...game('g-idem'), features: { injury: null, playoff: false, venue: 'TD Garden', restDays: 2, homeElo: 1620.5 } };
    const again = await call(ctx.app, 'POST', '/v1/predictions', reordered);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const changed = problem(await call(ctx.app, 'POST', '/v1/predictions', game('g-idem', { confidence: 0.6, probabilities: { LAL: 0.6, BOS: 0.4 } })), 409);
    expect(changed.errors).toEqual([{ path: '/body/externalId', message: 'is already used by a different prediction' }]);
    expect(changed.existingId).toBe(first.json().id);
    const { rows } = await ctx.sql.query(`SELECT confidence FROM predictions WHERE external_id = 'g-idem'`);
    expect(rows).toEqual([{ confidence: 0.78 }]);
  });

  it('is idempotent by client id', async () => {
    const body = { ...game('g-id'), id: 'client-42' };
    expect((await call(ctx.app, 'POST', '/v1/predictions', body)).statusCode).toBe(201);
    const again = await call(ctx.app, 'POST', '/v1/predictions', body);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe('client-42');
    const conflict = problem(await call(ctx.app, 'POST', '/v1/predictions', { ...body, externalId: 'other' }), 409);
    expect(conflict.errors?.[0]?.path).toBe('/body/id');
  });

  it('records both prediction and outcome when the actual is inline', async () => {
    const r = await call(ctx.app, 'POST', '/v1/predictions', game('g-inline', { actual: 'BOS', observedAt: '2024-10-19T01:30:00Z' }));
    expect(r.statusCode).toBe(201);
    expect(r.json().outcome).toMatchObject({ actual: 'BOS', correct: false, labelDelaySeconds: 9000, source: 'ground_truth', observedAt: '2024-10-19T01:30:00.000Z' });
    const read = await call(ctx.app, 'GET', `/v1/predictions/${r.json().id}`);
    expect(read.json().outcome).toMatchObject({ actual: 'BOS', correct: false, labelDelaySeconds: 9000 });
    const { rows } = await ctx.sql.query('SELECT labeled_at IS NOT NULL AS labeled FROM predictions WHERE id = $1', [r.json().id]);
    expect(rows[0].labeled).toBe(true);
  });

  it('logs under an explicit registered version, and refuses an unregistered one with 422', async () => {
    await call(ctx.app, 'POST', '/v1/models/nba/versions', { name: 'v2' });
    const r = await call(ctx.app, 'POST', '/v1/predictions', game('g-v2', { version: 'v2' }));
    expect(r.statusCode).toBe(201);
    expect(r.json().version).toBe('v2');
    const p = problem(await call(ctx.app, 'POST', '/v1/predictions', game('g-v9', { version: 'v9' })), 422);
    expect(p.errors?.[0]?.path).toBe('/body/version');
    expect(p.detail).toContain('v9');
  });

  it('stores predictions in the partition of their month, creating it for a backfill', async () => {
    const r = await call(ctx.app, 'POST', '/v1/predictions', game('g-2019', { predictedAt: '2019-03-04T05:06:07Z' }));
    expect(r.statusCode).toBe(201);
    const { rows } = await ctx.sql.query(`SELECT tableoid::regclass::text AS part FROM predictions WHERE external_id = 'g-2019'`);
    expect(rows).toEqual([{ part: 'predictions_y2019m03' }]);
  });
});

describe('POST /v1/predictions/batch', () => {
  it('answers 201 when every item is created, with results in input order', async () => {
    const items = Array.from({ length: 50 }, (_, i) => game(`b-all-${i}`));
    const r = await call(ctx.app, 'POST', '/v1/predictions/batch', { items });
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({ created: 50, duplicates: 0, failed: 0 });
    expect(body.results.map((x: { index: number }) => x.index)).toEqual(items.map((_, i) => i));
    const { rows } = await ctx.sql.query(`SELECT count(*)::int AS n FROM predictions WHERE external_id LIKE 'b-all-%'`);
    expect(rows[0].n).toBe(50);
  });

  it('stores the valid items and answers 207 naming each failed item', async () => {
    const items = [
      game('b-mix-0'),
      game('b-mix-1', { confidence: 1.5 }),
      game('b-mix-2', { model: 'nope' }),
      game('b-mix-3', { prediction: 'XYZ' }),
      game('b-mix-4'),
    ];
    const r = await call(ctx.app, 'POST', '/v1/predictions/batch', { items });
    expect(r.statusCode).toBe(207);
    const { results, created, failed } = r.json();
    expect({ created, failed }).toEqual({ created: 2, failed: 3 });
    expect(results.map((x: { status: string }) => x.status)).toEqual(['created', 'failed', 'failed', 'failed', 'created']);
    expect(results[1].error).toMatchObject({ status: 400, errors: [{ path: '/body/items/1/confidence', message: 'must be <= 1' }] });
    expect(results[2].error).toMatchObject({ status: 404, errors: [{ path: '/body/items/2/model', message: 'not found' }] });
    expect(results[3].error).toMatchObject({ status: 422, errors: [{ path: '/body/items/3/prediction' }] });
    const { rows } = await ctx.sql.query(`SELECT external_id FROM predictions WHERE external_id LIKE 'b-mix-%' ORDER BY 1`);
    expect(rows.map((x) => x.external_id)).toEqual(['b-mix-0', 'b-mix-4']);
  });

  it('recognises retried items as duplicates (200 when nothing failed)', async () => {
    const items = [game('b-retry-0'), game('b-retry-1', { actual: 'LAL' })];
    const first = (await call(ctx.app, 'POST', '/v1/predictions/batch', { items })).json();
    const again = await call(ctx.app, 'POST', '/v1/predictions/batch', { items: [...items, game('b-retry-2')] });
    expect(again.statusCode).toBe(200);
    const body = again.json();
    expect(body).toMatchObject({ created: 1, duplicates: 2, failed: 0 });
    expect(body.results[0]).toEqual({ index: 0, status: 'duplicate', id: first.results[0].id });
    const { rows } = await ctx.sql.query(`SELECT count(*)::int AS n FROM outcomes o JOIN predictions p ON p.id = o.prediction_id WHERE p.external_id LIKE 'b-retry-%'`);
    expect(rows[0].n).toBe(1);
  });

  it('treats the same content spelled differently as a retry, and changed content as a conflict', async () => {
    const original = game('b-spelling', { features: { a: 1, b: 'x' }, confidence: 0.5, probabilities: { LAL: 0.5, BOS: 0.5 } });
    expect((await call(ctx.app, 'POST', '/v1/predictions', original)).statusCode).toBe(201);
    const respelled = '{"probabilities":{"BOS":5e-1,"LAL":0.50},"confidence":0.500,"prediction":"LAL","features":{"b":"x","a":1.0},' +
      '"externalId":"b-spelling","model":"nba","version":"v1","predictedAt":"2024-10-19T01:00:00+02:00"}';
    const again = await call(ctx.app, 'POST', '/v1/predictions', respelled);
    expect(again.statusCode).toBe(200);
    problem(await call(ctx.app, 'POST', '/v1/predictions', { ...original, features: { a: 2, b: 'x' } }), 409);
  });

  it('rejects a repeated id or externalId inside one batch for the later item', async () => {
    const r = await call(ctx.app, 'POST', '/v1/predictions/batch', {
      items: [game('b-dup-0', { id: 'dup-1' }), game('b-dup-1', { id: 'dup-1' }), game('b-dup-2'), game('b-dup-2')],
    });
    expect(r.statusCode).toBe(207);
    const { results } = r.json();
    expect(results.map((x: { status: string }) => x.status)).toEqual(['created', 'failed', 'created', 'failed']);
    expect(results[1].error.errors).toEqual([{ path: '/body/items/1/id', message: 'repeats the id of item 0 in this batch' }]);
    expect(results[3].error.errors).toEqual([{ path: '/body/items/3/externalId', message: 'repeats the externalId of item 2 in this batch' }]);
  });

  it('accepts 10,000 items and refuses 10,001 with 413', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ model: 'eta', features: { km: i % 37, rain: i % 2 === 0 }, prediction: i / 10 }));
    const ok = await call(ctx.app, 'POST', '/v1/predictions/batch', { items });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().created).toBe(10_000);
    const before = (await ctx.sql.query('SELECT count(*)::int AS n FROM predictions')).rows[0].n;
    const tooMany = problem(await call(ctx.app, 'POST', '/v1/predictions/batch', { items: [...items, items[0]] }), 413);
    expect(tooMany.detail).toContain('10000');
    expect((await ctx.sql.query('SELECT count(*)::int AS n FROM predictions')).rows[0].n).toBe(before);
  });
});

describe('reading predictions', () => {
  it('lists a model’s predictions newest first, filtered, with cursor pagination', async () => {
    const items = Array.from({ length: 7 }, (_, i) => ({
      model: 'eta',
      externalId: `page-${i}`,
      features: { km: i },
      prediction: i,
      predictedAt: `2025-01-0${i + 1}T10:00:00Z`,
      ...(i % 2 === 0 ? { actual: i + 0.5 } : {}),
    }));
    expect((await call(ctx.app, 'POST', '/v1/predictions/batch', { items })).statusCode).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call(ctx.app, 'GET', `/v1/models/eta/predictions?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.statusCode).toBe(200);
      seen.push(...r.json().items.map((p: { externalId: string }) => p.externalId));
      cursor = r.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    const labeled = await call(ctx.app, 'GET', '/v1/models/eta/predictions?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z&labeled=true');
    expect(labeled.json().items.map((p: { externalId: string }) => p.externalId)).toEqual(['page-6', 'page-4', 'page-2', 'page-0']);
    expect(labeled.json().items[0].outcome).toMatchObject({ actual: 6.5, error: -0.5, absoluteError: 0.5 });
    const unlabeled = await call(ctx.app, 'GET', '/v1/models/eta/predictions?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z&labeled=false');
    expect(unlabeled.json().items).toHaveLength(3);
  });

  it('answers 404 naming an unknown prediction and 400 for a forged cursor', async () => {
    const missing = problem(await call(ctx.app, 'GET', '/v1/predictions/nope-123'), 404);
    expect(missing.detail).toBe('prediction "nope-123" does not exist');
    const cursor = problem(await call(ctx.app, 'GET', '/v1/models/eta/predictions?cursor=garbage'), 400);
    expect(cursor.errors).toEqual([{ path: '/query/cursor', message: 'is not a cursor returned by this endpoint' }]);
  });
});
