import { describe, expect, it } from 'vitest';
import { correlationRatio, pearson, rankdata, spearman, StatsInputError } from '../../src/stats/index.js';
import { closeTo } from './tolerance.js';

// Expected values from scipy.stats.pearsonr / spearmanr / rankdata.
const x = [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 6.1, 2.8, 4.9, 5.0];
const y = [1.2, 2.9, 2.2, 4.1, 4.8, 2.5, 5.9, 3.1, 4.0, 4.7];
const xt = [1, 2, 2, 3, 4, 4, 4, 5];
const yt = [2, 1, 3, 3, 5, 4, 6, 6];
const xs = Array.from({ length: 500 }, (_, i) => (i * 0.6180339887) % 1);
const ys = xs.map((v, i) => v * 0.3 + ((i * 0.4142135623) % 1));

function expectPair(r: { statistic: number; pValue: number }, statistic: number, pValue: number): void {
  expect(closeTo(r.statistic, statistic, 1e-12), `r ${r.statistic} vs ${statistic}`).toBe(true);
  expect(closeTo(r.pValue, pValue, 1e-10), `p ${r.pValue} vs ${pValue}`).toBe(true);
}

describe('pearson', () => {
  it('matches scipy.stats.pearsonr', () => {
    expectPair(pearson(x, y), 0.9051234041975799, 0.0003157120848064249);
    expectPair(pearson(xt, yt), 0.8767227853705732, 0.004261325702533633);
    expectPair(pearson(xs, ys), 0.29075929195849504, 3.378453996099425e-11);
  });

  it('follows scipy at the edges: n = 2 gives ±1 with p = 1, constant input NaN', () => {
    expect(pearson([1, 2], [5, 3])).toEqual({ statistic: -1, pValue: 1, n: 2 });
    const c = pearson([1, 1, 1], [1, 2, 3]);
    expect(c.statistic).toBeNaN();
    expect(c.pValue).toBeNaN();
    expect(() => pearson([1], [2])).toThrow(StatsInputError);
    expect(() => pearson([1, 2, 3], [2, 3])).toThrow(StatsInputError);
  });

  it('is exactly ±1 with p = 0 for a perfect line', () => {
    const r = pearson([1, 2, 3, 4, 5], [3, 5, 7, 9, 11]);
    expect(r.statistic).toBeCloseTo(1, 15);
    expect(r.pValue).toBeLessThan(1e-15);
  });
});

describe('spearman', () => {
  it('matches scipy.stats.spearmanr, with and without ties', () => {
    expectPair(spearman(x, y), 0.8666666666666665, 0.0011735381801554685);
    expectPair(spearman(xt, yt), 0.9007775105401477, 0.0022640090646742616);
    expectPair(spearman(xs, ys), 0.27630532922131684, 3.264052814597118e-10);
  });

  it('gives p = 0 for a perfectly monotone relation', () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toEqual({ statistic: 1, pValue: 0, n: 4 });
  });
});

describe('rankdata', () => {
  it('averages tied ranks like scipy', () => {
    expect(rankdata([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])).toEqual([4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8]);
  });
});

describe('correlationRatio', () => {
  it('is sqrt(SS_between/SS_total)', () => {
    // Groups a: [1, 2, 3] (mean 2), b: [7, 8, 9] (mean 8); grand mean 5.
    // SS_between = 3·9 + 3·9 = 54, SS_total = 16+9+4+4+9+16 = 58.
    expect(correlationRatio(['a', 'a', 'a', 'b', 'b', 'b'], [1, 2, 3, 7, 8, 9])).toBeCloseTo(Math.sqrt(54 / 58), 15);
  });

  it('is 1 when categories determine the value and 0 when they say nothing', () => {
    expect(correlationRatio([1, 1, 2, 2], [5, 5, 9, 9])).toBe(1);
    expect(correlationRatio(['x', 'y', 'x', 'y'], [1, 1, 2, 2])).toBe(0);
    expect(correlationRatio(['x', 'y'], [3, 3])).toBe(0);
  });
});
