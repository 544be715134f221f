import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(() => ctx.close());

describe('models', () => {
  it('registers, reads and lists models', async () => {
    const r = await call(ctx.app, 'POST', '/v1/models', { name: 'churn', task: 'binary', labels: ['stay', 'churn'], description: 'who leaves' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ name: 'churn', task: 'binary', labels: ['stay', 'churn'], positiveLabel: 'churn', description: 'who leaves', productionVersion: null });
    // The single-model GET adds where the feedback loop stands (test/jobs/daily-learning.test.ts covers it).
    const { loop, ...model } = (await call(ctx.app, 'GET', '/v1/models/churn')).json();
    expect(model).toEqual(r.json());
    expect(loop).toMatchObject({ productionVersion: null, retrainInProgress: false, performance: null, drift: null, alerts: { open: 0 } });
    problem(await call(ctx.app, 'POST', '/v1/models', { name: 'churn', task: 'regression' }), 409);
    const missing = problem(await call(ctx.app, 'GET', '/v1/models/ghost'), 404);
    expect(missing.detail).toBe('model "ghost" does not exist');
  });

  it('checks the label configuration against the task', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'b1', task: 'binary' }, '/body/labels'],
      [{ name: 'b2', task: 'binary', labels: ['a', 'b', 'c'] }, '/body/labels'],
      [{ name: 'b3', task: 'binary', labels: ['a', 'b'], positiveLabel: 'z' }, '/body/positiveLabel'],
      [{ name: 'b4', task: 'binary', labels: ['a', 'a'] }, '/body/labels'],
      [{ name: 'r1', task: 'regression', labels: ['a', 'b'] }, '/body/labels'],
      [{ name: 'm1', task: 'multiclass', labels: ['a'] }, '/body/labels'],
      [{ name: 'm2', task: 'multiclass', positiveLabel: 'a' }, '/body/positiveLabel'],
      [{ name: 'Bad_Name', task: 'regression' }, '/body/name'],
      [{ name: 'x', task: 'ranking' }, '/body/task'],
    ];
    for (const [body, path] of cases) {
      const p = problem(await call(ctx.app, 'POST', '/v1/models', body), 400);
      expect(p.errors?.map((e) => e.path), JSON.stringify(body)).toContain(path);
    }
    expect((await ctx.sql.query('SELECT count(*)::int AS n FROM models')).rows[0].n).toBe(1);
  });

  it('paginates the list by name', async () => {
    for (const name of ['p-a', 'p-b', 'p-c', 'p-d']) await createModel(ctx.app, { name, task: 'regression' });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call(ctx.app, 'GET', `/v1/models?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      names.push(...r.json().items.map((m: { name: string }) => m.name));
      cursor = r.json().nextCursor;
    } while (cursor);
    expect(names).toEqual(['churn', 'p-a', 'p-b', 'p-c', 'p-d']);
  });

  it('patches the description and adds multiclass labels, but never removes labels', async () => {
    await createModel(ctx.app, { name: 'league', task: 'multiclass', labels: ['home', 'away'] });
    const r = await call(ctx.app, 'PATCH', '/v1/models/league', { description: 'match result', labels: ['home', 'away', 'draw'] });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ description: 'match result', labels: ['home', 'away', 'draw'] });
    problem(await call(ctx.app, 'PATCH', '/v1/models/league', { labels: ['home'] }), 422);
    problem(await call(ctx.app, 'PATCH', '/v1/models/churn', { labels: ['stay', 'churn', 'maybe'] }), 422);
    problem(await call(ctx.app, 'PATCH', '/v1/models/league', {}), 400);
    const accepted = await call(ctx.app, 'POST', '/v1/predictions', { model: 'league', features: {}, prediction: 'draw' });
    expect(accepted.statusCode).toBe(201);
  });
});

describe('versions', () => {
  it('promotes versions and rolls back through the chain of replaced versions', async () => {
    await createModel(ctx.app, binaryModel('nba'));
    for (const name of ['v1', 'v2', 'v3']) {
      const r = await call(ctx.app, 'POST', '/v1/models/nba/versions', { name, metrics: { accuracy: 0.7 }, artifactUri: `s3://m/${name}` });
      expect(r.statusCode).toBe(201);
      expect(r.json()).toMatchObject({ name, status: 'candidate', metrics: { accuracy: 0.7 } });
    }
    problem(await call(ctx.app, 'POST', '/v1/models/nba/versions', { name: 'v1' }), 409);
    problem(await call(ctx.app, 'POST', '/v1/models/nba/rollback'), 409);

    for (const name of ['v1', 'v2', 'v3']) {
      const r = await call(ctx.app, 'POST', `/v1/models/nba/versions/${name}/promote`, { reason: `ship ${name}` });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ action: 'promoted', productionVersion: name });
    }
    const same = await call(ctx.app, 'POST', '/v1/models/nba/versions/v3/promote');
    expect(same.json()).toMatchObject({ action: 'unchanged', productionVersion: 'v3' });

    const back = await call(ctx.app, 'POST', '/v1/models/nba/rollback', { reason: 'worse live accuracy' });
    expect(back.json()).toMatchObject({ action: 'rolled_back', productionVersion: 'v2', previousVersion: 'v3' });
    expect((await call(ctx.app, 'POST', '/v1/models/nba/rollback')).json().productionVersion).toBe('v1');
    problem(await call(ctx.app, 'POST', '/v1/models/nba/rollback'), 409);

    const list = (await call(ctx.app, 'GET', '/v1/models/nba/versions')).json().items;
    expect(list.map((v: { name: string; status: string }) => [v.name, v.status])).toEqual([
      ['v3', 'archived'],
      ['v2', 'archived'],
      ['v1', 'production'],
    ]);
    expect(list[0].replacedVersion).toBe('v2');
    const events = await ctx.sql.query(`SELECT action, reason FROM version_events ORDER BY id`);
    expect(events.rows.map((e) => e.action)).toEqual(['promote', 'promote', 'promote', 'rollback', 'rollback']);
    expect(events.rows[3].reason).toBe('worse live accuracy');

    const logged = await call(ctx.app, 'POST', '/v1/predictions', { model: 'nba', features: {}, prediction: 'LAL' });
    expect(logged.json().version).toBe('v1');
  });

  it('answers 404 for an unknown version or model', async () => {
    problem(await call(ctx.app, 'POST', '/v1/models/nba/versions/v9/promote'), 404);
    problem(await call(ctx.app, 'GET', '/v1/models/ghost/versions'), 404);
  });

  it('serialises concurrent promotions: exactly one production version remains', async () => {
    await createModel(ctx.app, { name: 'race', task: 'regression' });
    const names = Array.from({ length: 8 }, (_, i) => `r${i}`);
    for (const name of names) await call(ctx.app, 'POST', '/v1/models/race/versions', { name });
    const results = await Promise.all(names.map((name) => call(ctx.app, 'POST', `/v1/models/race/versions/${name}/promote`)));
    expect(results.every((r) => r.statusCode === 200)).toBe(true);
    const { rows } = await ctx.sql.query(`SELECT count(*)::int AS n FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = 'race' AND v.status = 'production'`);
    expect(rows[0].n).toBe(1);
  });
});
