import { describe, expect, it } from 'vitest';
import { mannKendall, StatsInputError } from '../../src/stats/index.js';
import { closeTo } from './tolerance.js';

// Expected values: pymannkendall.original_test's formulas evaluated with numpy/scipy.
describe('mannKendall', () => {
  it.each([
    [[1, 2, 3, 4, 5], 10, 16.666666666666668, 2.2045407685048604, 0.0274863361115103, 1, 1, 1, 'increasing'],
    [
      [3.1, 2.9, 3.5, 3.5, 4.0, 3.8, 4.4, 4.4, 4.4, 5.1, 4.9, 5.6],
      56, 208, 3.8135638490484505, 0.0001369771163386435, 0.8484848484848485, 0.22361111111111112, 2.970138888888889,
      'increasing',
    ],
    [[5, 4, 4, 3, 3, 3, 2, 1], -24, 60.666666666666664, -2.9529273983252993, 0.0031477598557005937, -0.8571428571428571, -0.5, 4.75, 'decreasing'],
  ] as const)('%j', (series, s, varS, z, p, tau, slope, intercept, trend) => {
    const r = mannKendall(series);
    expect(r.statistic).toBe(s);
    expect(closeTo(r.varS, varS)).toBe(true);
    expect(closeTo(r.z, z)).toBe(true);
    expect(closeTo(r.pValue, p)).toBe(true);
    expect(closeTo(r.tau, tau)).toBe(true);
    expect(closeTo(r.slope, slope)).toBe(true);
    expect(closeTo(r.intercept, intercept)).toBe(true);
    expect(r.trend).toBe(trend);
  });

  it('reports no trend for a flat or short series', () => {
    const flat = mannKendall([2, 2, 2, 2]);
    expect(flat.statistic).toBe(0);
    expect(flat.z).toBe(0);
    expect(flat.pValue).toBe(1);
    expect(flat.trend).toBe('no trend');
    expect(() => mannKendall([1])).toThrow(StatsInputError);
  });
});
