import { describe, expect, it } from 'vitest';
import { ksTwoSample } from '../../src/stats/index.js';
import { closeTo } from './tolerance.js';

// Deterministic samples both scipy and this test can generate (golden-ratio / √2 sequences), with
// expected values from scipy.stats.ks_2samp (exact: Hodges / Viehmann, identical to scipy 1.10).
function sequence(n: number, step: number, scale: number, shift: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * step) % 1) * scale + shift);
}

describe('exact two-sample KS at large n', () => {
  it.each([
    [10000, 9999, 0.01, 0.05720600060006001, 1.1454653451104228e-14, 1.1543227194205261e-14],
    [6000, 4000, 0.02, 0.06691666666666667, 8.84544347279679e-10, 8.681967449393792e-10],
    [3000, 3000, 0.05, 0.09533333333333334, 2.7786040591941576e-12, 2.5697935912524945e-12],
    [2000, 1500, 0.3, 0.3338333333333333, 4.392175525260644e-85, 1.2012017405985123e-85],
  ])('n1=%d n2=%d', (n1, n2, shift, d, pExact, pAsymp) => {
    const x = sequence(n1, 0.6180339887, 1, 0);
    const y = sequence(n2, 0.4142135623, 1.05, shift);
    const exact = ksTwoSample(x, y, { method: 'exact' });
    expect(exact.method).toBe('exact');
    expect(closeTo(exact.statistic, d)).toBe(true);
    expect(closeTo(exact.pValue, pExact), `${exact.pValue} vs ${pExact}`).toBe(true);
    const auto = ksTwoSample(x, y);
    expect(auto).toEqual(exact);
    const asymp = ksTwoSample(x, y, { method: 'asymp' });
    expect(closeTo(asymp.pValue, pAsymp), `${asymp.pValue} vs ${pAsymp}`).toBe(true);
  });

  it("switches 'auto' to the asymptotic law above 10000 values", () => {
    const x = sequence(10001, 0.6180339887, 1, 0);
    const y = sequence(500, 0.4142135623, 1, 0.02);
    expect(ksTwoSample(x, y).method).toBe('asymp');
    expect(ksTwoSample(x, y, { method: 'exact' }).method).toBe('exact');
  });

  it('reports where and in which direction the ECDFs differ most', () => {
    // F_x − F_y at 3 is 1 − 1/4: the largest gap, with x ahead.
    const r = ksTwoSample([1, 2, 3], [2.5, 3.5, 4.5, 5.5]);
    expect(r.statistic).toBe(0.75);
    expect(r.statisticSign).toBe(1);
    expect(r.statisticLocation).toBe(3);
    const swapped = ksTwoSample([2.5, 3.5, 4.5, 5.5], [1, 2, 3]);
    expect(swapped.statisticSign).toBe(-1);
    expect(swapped.pValue).toBe(r.pValue);
  });
});
