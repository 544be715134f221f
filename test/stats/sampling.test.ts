import { describe, expect, it } from 'vitest';
import { deterministicSample, mulberry32, StatsInputError } from '../../src/stats/index.js';

describe('mulberry32', () => {
  it('produces the reference sequence (independent Python implementation)', () => {
    const r = mulberry32(42);
    expect([r(), r(), r(), r(), r()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693, 0.17481389874592423,
    ]);
    const z = mulberry32(0);
    expect([z(), z(), z()]).toEqual([0.26642920868471265, 0.0003297457005828619, 0.2232720274478197]);
  });
});

describe('deterministicSample', () => {
  const items = Array.from({ length: 1000 }, (_, i) => `row-${i}`);

  it('is reproducible for the same seed and differs across seeds', () => {
    expect(deterministicSample(items, 50, 7)).toEqual(deterministicSample(items, 50, 7));
    expect(deterministicSample(items, 50, 'model-a/2026-11-24')).toEqual(deterministicSample(items, 50, 'model-a/2026-11-24'));
    expect(deterministicSample(items, 50, 7)).not.toEqual(deterministicSample(items, 50, 8));
  });

  it('returns k distinct items in their original order', () => {
    const s = deterministicSample(items, 100, 123);
    expect(s).toHaveLength(100);
    expect(new Set(s).size).toBe(100);
    const idx = s.map((v) => items.indexOf(v));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
  });

  it('returns everything when k ≥ n, nothing when k = 0', () => {
    expect(deterministicSample([1, 2, 3], 5, 1)).toEqual([1, 2, 3]);
    expect(deterministicSample([1, 2, 3], 0, 1)).toEqual([]);
    expect(() => deterministicSample([1, 2], -1, 1)).toThrow(StatsInputError);
    expect(() => deterministicSample([1, 2], 1.5, 1)).toThrow(StatsInputError);
  });

  it('picks every item about equally often across seeds', () => {
    const counts = new Array<number>(20).fill(0);
    const pool = Array.from({ length: 20 }, (_, i) => i);
    for (let seed = 0; seed < 4000; seed++) for (const v of deterministicSample(pool, 5, seed)) counts[v]! += 1;
    // Expected 1000 each; binomial sd ≈ 27.
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});
