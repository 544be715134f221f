import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainArray, textArray } from '../../src/db/pg-arrays.js';
import { createTestDatabase } from '../helpers/db.js';

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: await createTestDatabase() });
  await client.connect();
});
afterAll(() => client.end());

describe('array literals', () => {
  it('round-trips any text, including quotes, backslashes, braces, commas, "NULL" and nulls', async () => {
    const tricky = ['a"b', 'c\\d', '{x,y}', 'NULL', 'null', ' spaced ', '', 'ünï©ødé 🎯', '\\"', null, 'tab\there'];
    const { rows } = await client.query('SELECT $1::text[] AS v', [textArray(tricky)]);
    expect(rows[0].v).toEqual(tricky);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { maxLength: 20 }), async (values) => {
        const clean = values.map((v) => (v === null ? null : v.replace(/\u0000/g, '')));
        const result = await client.query('SELECT $1::text[] AS v', [textArray(clean)]);
        expect(result.rows[0].v ?? []).toEqual(clean);
      }),
      { numRuns: 50 },
    );
  });

  it('writes numbers, booleans, UUIDs and timestamps exactly', async () => {
    const numbers = [0, -0, 1.5, 1e-7, -2.5e300, Number.MAX_VALUE, Number.MIN_VALUE, 0.1 + 0.2, null];
    const { rows } = await client.query(
      'SELECT $1::float8[] AS n, $2::bool[] AS b, $3::uuid[] AS u, $4::timestamptz[] AS t',
      [plainArray(numbers), plainArray([true, false, null]), plainArray(['0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f', null]), plainArray(['2024-10-18T23:00:00.123Z'])],
    );
    // The sign of a zero is not kept (String(-0) is "0"); -0 === 0 everywhere Hindsight compares numbers.
    expect(rows[0].n).toEqual(numbers.map((x) => (Object.is(x, -0) ? 0 : x)));
    expect(rows[0].b).toEqual([true, false, null]);
    expect(rows[0].u).toEqual(['0192f6c4-3b1e-7c2a-9d1e-5a4b3c2d1e0f', null]);
    expect(rows[0].t[0].toISOString()).toBe('2024-10-18T23:00:00.123Z');
  });
});
