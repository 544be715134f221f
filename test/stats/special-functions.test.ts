import jStat from 'jstat';
import { describe, expect, it } from 'vitest';
import { chi2Sf, incbet, kolmogorovSf, lgamma, ndtr, normalSf, smirnovSf, studentTCdf } from '../../src/stats/index.js';
import { closeTo } from './tolerance.js';

// Expected values: scipy 1.17 (scipy.special.stdtr / chdtrc / ndtr, scipy.stats.kstwo.sf), whose
// algorithms for these functions are those of scipy 1.10, to ~1e-15.

function expectRel(actual: number, expected: number, rel = 1e-12): void {
  expect(closeTo(actual, expected, rel, 0), `${actual} vs ${expected}`).toBe(true);
}

describe('Student t CDF (stdtr) in the tails', () => {
  it.each([
    [3.5, -40, 4.383220554686509e-6],
    [120, -9, 2.050011759883223e-15],
    [2868.58, -2.05, 0.020227575988841718],
    [1, -1e10, 3.183098861837907e-11],
  ])('stdtr(%d, %d)', (df, t, expected) => expectRel(studentTCdf(df, t), expected));

  it('handles t = 0, ±∞ and NaN like scipy', () => {
    expect(studentTCdf(7, 0)).toBe(0.5);
    expect(studentTCdf(7, -Infinity)).toBe(0);
    expect(studentTCdf(7, Infinity)).toBe(1);
    expect(studentTCdf(7, NaN)).toBeNaN();
    expect(studentTCdf(0, 1)).toBeNaN();
  });

  it('agrees with jstat where jstat is accurate (|t| small, moderate df)', () => {
    for (const df of [2, 5, 17.5, 60]) {
      for (const t of [-3, -1.2, -0.1, 0.7, 2.5]) {
        expect(Math.abs(studentTCdf(df, t) - jStat.studentt.cdf(t, df))).toBeLessThan(1e-7);
      }
    }
  });
});

describe('χ² survival function (chdtrc)', () => {
  it.each([
    [6, 1308.3406609456374, 1.694785388423981e-279],
    [3, 40, 1.065509033425585e-8],
    [12, 0.5, 0.9999997261864366],
    [5000, 5200, 0.023818998020740657],
  ])('chi2.sf(x; df=%d) at %d', (df, x, expected) => expectRel(chi2Sf(df, x), expected));

  it('is 1 at 0 and 0 at +∞', () => {
    expect(chi2Sf(4, 0)).toBe(1);
    expect(chi2Sf(4, Infinity)).toBe(0);
  });
});

describe('normal distribution (Cephes ndtr)', () => {
  it('keeps relative accuracy deep in the tail', () => {
    expectRel(ndtr(-8.63), 3.067598679040791e-18);
    expectRel(ndtr(0.3), 0.6179114221889526);
    expectRel(normalSf(8.63), 3.067598679040791e-18);
    expect(ndtr(-38)).toBe(0);
  });
});

describe('incomplete beta and log-gamma', () => {
  it('has exact values at simple parameters', () => {
    // I_x(1, 1) = x; I_x(2, 1) = x²; I_x(1, b) = 1 − (1 − x)^b.
    expectRel(incbet(1, 1, 0.3), 0.3, 1e-15);
    expectRel(incbet(2, 1, 0.3), 0.09, 1e-14);
    expectRel(incbet(1, 3, 0.2), 1 - 0.8 ** 3, 1e-14);
    expect(incbet(2, 3, 0)).toBe(0);
    expect(incbet(2, 3, 1)).toBe(1);
  });

  it('matches log n! for integers', () => {
    let logFact = 0;
    for (let n = 1; n <= 170; n++) {
      logFact += Math.log(n);
      expectRel(lgamma(n + 1), logFact, 1e-13);
    }
  });
});

describe('Kolmogorov distribution kstwo.sf, every branch of scipy’s dispatch', () => {
  it.each([
    [5, 0.15, 0.9988], // Ruben–Gambino, t ≤ 1
    [200, 0.004, 1], // t ≤ ½
    [10, 0.95, 1.9531250000000172e-13], // t ≥ n − 1
    [30, 0.6, 7.392006292214292e-11], // x ≥ ½: 2·smirnov
    [100, 0.05, 0.9532159710635725], // n ≤ 140, Durbin matrix
    [100, 0.15, 0.019839242125641813], // n ≤ 140, Pomeranz
    [100, 0.3, 1.7719869892662917e-8], // n ≤ 140, 2·smirnov
    [5000, 0.3, 0], // n·x² ≥ 370
    [1000, 0.06, 0.001428597887952891], // n·x² ≥ 2.2, 2·smirnov
    [1000, 0.01, 0.9999496745370611], // Durbin matrix, large n
    [1000, 0.02, 0.8108971656895577], // Pelz–Good
    [200000, 0.002, 0.39995085369038097], // n > 100000, Pelz–Good
    [200000, 0.0035, 0.014858338517072333],
  ])('kstwo.sf(%d, %d)', (n, d, expected) => {
    const p = kolmogorovSf(n, d);
    if (expected === 0 || expected === 1) expect(p).toBe(expected);
    else expectRel(p, expected, 1e-12);
  });

  it('one-sided smirnov has its closed forms at n = 1 and d ≥ 1 − 1/n', () => {
    expect(smirnovSf(1, 0.3)).toBeCloseTo(0.7, 15);
    // P(D+_n ≥ d) = (1 − d)^n when n(1 − d) < 1.
    expectRel(smirnovSf(7, 0.9), 0.1 ** 7, 1e-12);
  });
});
