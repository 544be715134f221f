import { describe, expect, it } from 'vitest';
import * as stats from '../../src/stats/index.js';

const { StatsInputError } = stats;

describe('input validation', () => {
  it('refuses empty samples and non-finite values', () => {
    expect(() => stats.ksTwoSample([], [1])).toThrow(StatsInputError);
    expect(() => stats.ksTwoSample([1, NaN], [1])).toThrow(StatsInputError);
    expect(() => stats.welchTTest([1, 2], [Infinity, 3])).toThrow(StatsInputError);
    expect(() => stats.mannWhitneyU([], [])).toThrow(StatsInputError);
    expect(() => stats.wassersteinDistance([1], [])).toThrow(StatsInputError);
    expect(() => stats.psi([], [1])).toThrow(StatsInputError);
    expect(() => stats.regressionMetrics([1, 2], [1])).toThrow(StatsInputError);
  });

  it('rejects what scipy rejects, with scipy’s message', () => {
    expect(() => stats.shapiroWilk([1, 2])).toThrow('Data must be at least length 3.');
    expect(() => stats.chi2Contingency([[1, -1], [2, 3]])).toThrow('All values in `observed` must be nonnegative.');
    expect(() => stats.chi2Contingency([])).toThrow('No data; `observed` has size 0.');
    expect(() => stats.ksTwoSample([1], [2], { method: 'nope' as stats.KsMethod })).toThrow(StatsInputError);
    expect(() => stats.percentiles([1, 2], [101])).toThrow(StatsInputError);
  });

  it('refuses labels and scores outside their domain', () => {
    expect(() => stats.binaryClassificationMetrics([0, 2], [0.1, 0.2])).toThrow(StatsInputError);
    expect(() => stats.binaryClassificationMetrics([0, 1], [0.1, 1.2])).toThrow(StatsInputError);
    expect(() => stats.proportionsZTest(5, 4, 1, 2)).toThrow(StatsInputError);
  });

  it('StatsInputError is an Error with its own name', () => {
    const e = new StatsInputError('x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('StatsInputError');
  });
});

describe('exact Mann–Whitney null distribution', () => {
  it('matches the enumerated distribution for small samples', () => {
    // All C(7,3) = 35 placements of 3 x-ranks among 7: count U ≥ u directly.
    const counts = new Map<number, number>();
    for (let a = 1; a <= 7; a++)
      for (let b = a + 1; b <= 7; b++)
        for (let c = b + 1; c <= 7; c++) {
          const u = a + b + c - 6;
          counts.set(u, (counts.get(u) ?? 0) + 1);
        }
    for (let u = 0; u <= 12; u++) {
      let tail = 0;
      for (const [k, v] of counts) if (k >= u) tail += v;
      expect(stats.mannWhitneyExactSf(u, 3, 4)).toBeCloseTo(tail / 35, 15);
    }
  });

  it('switches to exact big integers once C(m+n, m) exceeds 2^53 and stays a probability', () => {
    // Exact value from Python integer arithmetic: Σ_{k≥1500} f(k) / C(90, 40).
    expect(stats.mannWhitneyExactSf(1500, 40, 50)).toBeCloseTo(1.5905257318772407e-5, 18);
    // Symmetry: P(U ≥ mn/2 + d) = P(U ≤ mn/2 − d).
    expect(stats.mannWhitneyExactSf(1000, 40, 50) + stats.mannWhitneyExactSf(1001, 40, 50)).toBeCloseTo(1, 12);
  });

  it('refuses an exact computation that would run for minutes', () => {
    expect(() => stats.mannWhitneyExactSf(500_001, 1000, 1000)).toThrow(StatsInputError);
    const x = Array.from({ length: 2000 }, (_, i) => i);
    expect(stats.mannWhitneyU(x, x.map((v) => v + 0.5)).method).toBe('asymptotic');
  });
});
