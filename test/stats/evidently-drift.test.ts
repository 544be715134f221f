import { describe, expect, it } from 'vitest';
import {
  chiSquareGoodnessDrift,
  jensenShannonDrift,
  normalizedWasserstein,
  StatsInputError,
  zTestBinaryDrift,
} from '../../src/stats/index.js';
import { closeTo } from './tolerance.js';

// Expected values: the Evidently 0.4.x stattest bodies evaluated with numpy/scipy.
const repeat = <T>(v: T, n: number): T[] => Array.from({ length: n }, () => v);

describe('chiSquareGoodnessDrift (Evidently chi_stat_test)', () => {
  const reference = [...repeat('a', 50), ...repeat('b', 30), ...repeat('c', 20)];

  it('scales reference counts to the current size and uses scipy.stats.chisquare', () => {
    const current = [...repeat('a', 45), ...repeat('b', 35), ...repeat('c', 20)];
    const r = chiSquareGoodnessDrift(reference, current);
    expect(closeTo(r.statistic, 1.3333333333333335)).toBe(true);
    expect(closeTo(r.pValue as number, 0.5134171190325921)).toBe(true);
    expect(r.drift).toBe(false);
    expect(r.threshold).toBe(0.05);
  });

  it('gives an infinite statistic and p = 0 for a category unseen in the reference', () => {
    const current = [...repeat('a', 30), ...repeat('b', 40), ...repeat('c', 25), ...repeat('d', 5)];
    const r = chiSquareGoodnessDrift(reference, current);
    expect(r.statistic).toBe(Infinity);
    expect(r.pValue).toBe(0);
    expect(r.drift).toBe(true);
  });

  it('has no degree of freedom with one category (p NaN, no drift)', () => {
    const r = chiSquareGoodnessDrift(['x', 'x'], ['x']);
    expect(r.statistic).toBe(0);
    expect(r.pValue).toBeNaN();
    expect(r.drift).toBe(false);
  });
});

describe('zTestBinaryDrift (Evidently z_stat_test)', () => {
  it('is the pooled two-proportion z-test', () => {
    const r = zTestBinaryDrift([...repeat('x', 70), ...repeat('y', 30)], [...repeat('x', 50), ...repeat('y', 50)]);
    expect(closeTo(r.statistic, -2.886751345948129)).toBe(true);
    expect(closeTo(r.pValue as number, 0.0038924171227785465)).toBe(true);
    expect(r.drift).toBe(true);
  });

  it('returns p = 1 when both samples hold the same single value', () => {
    expect(zTestBinaryDrift([true, true].map(String), ['true'])).toMatchObject({ pValue: 1, drift: false });
  });
});

describe('normalizedWasserstein (Evidently wasserstein_distance_norm)', () => {
  it('divides scipy’s Wasserstein distance by the reference std', () => {
    const u = Array.from({ length: 60 }, (_, i) => (i % 7) * 0.5 + (i % 3));
    const v = Array.from({ length: 45 }, (_, i) => (i % 5) * 0.7 + 1);
    const r = normalizedWasserstein(u, v);
    expect(closeTo(r.statistic, 0.2381374971669208)).toBe(true);
    expect(r.pValue).toBeNull();
    expect(r.drift).toBe(true);
  });

  it('floors the std at 0.001 for a constant reference', () => {
    expect(normalizedWasserstein([2, 2, 2], [2.001]).statistic).toBeCloseTo(1, 10);
  });
});

describe('jensenShannonDrift (Evidently jensenshannon_stat_test)', () => {
  const reference = [...repeat('a', 5), ...repeat('b', 3), ...repeat('c', 2)];
  const current = [...repeat('a', 2), ...repeat('b', 4), ...repeat('c', 4)];

  it('uses natural log by default, as Evidently', () => {
    const r = jensenShannonDrift(reference, current, { featureType: 'cat' });
    expect(closeTo(r.statistic, 0.23190674294098562)).toBe(true);
    expect(r.drift).toBe(true);
    expect(r.binning.categories).toEqual(['a', 'b', 'c']);
  });

  it('accepts base 2', () => {
    const r = jensenShannonDrift(reference, current, { featureType: 'cat', base: 2 });
    expect(closeTo(r.statistic, 0.27854838569509666)).toBe(true);
  });

  it('rejects empty samples and NaN values', () => {
    expect(() => jensenShannonDrift([], ['a'])).toThrow(StatsInputError);
    expect(() => chiSquareGoodnessDrift([NaN], [1])).toThrow(StatsInputError);
  });
});
