import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftRepository } from '../../src/db/repositories/drift.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { ingest, iso } from '../helpers/analytics.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

/** Above the sample limit a window is read as the deterministic md5 sample of its prediction ids. */
let ctx: TestContext;
let modelId: string;
const T0 = Date.parse('2024-09-01T00:00:00Z');
const window = { from: new Date(T0), to: new Date(T0 + 86_400_000) };

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('nba'));
  await ingest(ctx.app, Array.from({ length: 120 }, (_, i) => ({ model: 'nba', id: `p${i}`, features: { i }, prediction: 'LAL', confidence: 0.7, predictedAt: iso(T0 + i * 60_000) })));
  modelId = (await ctx.sql.query(`SELECT id FROM models WHERE name = 'nba'`)).rows[0].id;
});
afterAll(() => ctx.close());

describe('drift window samples', () => {
  it('reads every row up to the limit, and the limit rows with the smallest md5(id) above it', async () => {
    const repo = new DriftRepository(ctx.sql);
    const all: number[] = [];
    expect(await repo.windowRows({ modelId, ...window }, 'binary', 1000, (row) => all.push(JSON.parse(row[0]).i))).toEqual({ population: 120, read: 120 });
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i));

    const sampled: number[] = [];
    expect(await repo.windowRows({ modelId, ...window }, 'binary', 50, (row) => sampled.push(JSON.parse(row[0]).i))).toEqual({ population: 120, read: 50 });
    const { rows } = await ctx.sql.query(`SELECT id FROM predictions WHERE model_id = $1 ORDER BY md5(id) COLLATE "C", id COLLATE "C" LIMIT 50`, [modelId]);
    expect(sampled).toEqual(rows.map((r) => Number(r.id.slice(1))));
    const again: number[] = [];
    await repo.windowRows({ modelId, ...window }, 'binary', 50, (row) => again.push(JSON.parse(row[0]).i));
    expect(again).toEqual(sampled);
  });

  it('a failing row consumer fails the read, and the connection goes back to the pool clean', async () => {
    const repo = new DriftRepository(ctx.sql);
    await expect(repo.windowRows({ modelId, ...window }, 'binary', 1000, () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect((await ctx.sql.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });
});
