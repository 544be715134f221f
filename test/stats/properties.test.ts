import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as stats from '../../src/stats/index.js';

// Small-magnitude, finite doubles rounded to a grid so ties occur often.
const value = fc.integer({ min: -2000, max: 2000 }).map((i) => i / 100);
const sample = (min: number, max: number) => fc.array(value, { minLength: min, maxLength: max });
const label = fc.constantFrom<0 | 1>(0, 1);
const probability = fc.integer({ min: 0, max: 1000 }).map((i) => i / 1000);
const inUnit = (p: number) => p >= 0 && p <= 1;

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rand = stats.mulberry32(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// Reordering rows changes only the summation order: equal up to rounding (relative, or absolute near 0).
const relClose = (a: number, b: number) =>
  (Number.isNaN(a) && Number.isNaN(b)) ||
  a === b ||
  Math.abs(a - b) <= Math.max(1e-12 * Math.max(Math.abs(a), Math.abs(b)), 1e-12);

describe('p-values lie in [0, 1]', () => {
  it('KS, t-tests, Mann–Whitney', () => {
    fc.assert(
      fc.property(sample(1, 40), sample(1, 40), (x, y) => {
        for (const method of ['auto', 'exact', 'asymp'] as const) {
          const p = stats.ksTwoSample(x, y, { method }).pValue;
          // 1 vs 1 gives round(n1·n2/(n1+n2)) = round(0.5) = 0 for kstwo, which scipy answers with NaN.
          if (method === 'asymp' && x.length === 1 && y.length === 1) expect(p).toBeNaN();
          else expect(inUnit(p)).toBe(true);
        }
        for (const method of ['auto', 'exact', 'asymptotic'] as const) {
          expect(inUnit(stats.mannWhitneyU(x, y, { method }).pValue)).toBe(true);
        }
        if (x.length > 1 && y.length > 1) {
          for (const r of [stats.welchTTest(x, y), stats.studentTTest(x, y), stats.oneSampleTTest(x, 0.5)]) {
            expect(Number.isNaN(r.pValue) || inUnit(r.pValue)).toBe(true);
          }
        }
      }),
    );
  });

  it('Shapiro–Wilk for n ≥ 4 (n = 3 reproduces scipy 1.10’s unclamped, possibly negative p)', () => {
    fc.assert(
      fc.property(sample(4, 60), (x) => {
        expect(inUnit(stats.shapiroWilk(x).pValue)).toBe(true);
      }),
    );
  });

  it('χ² contingency, proportions z-test, correlations, Mann–Kendall, Evidently tests', () => {
    const count = fc.integer({ min: 1, max: 500 });
    fc.assert(
      fc.property(fc.array(fc.tuple(count, count), { minLength: 1, maxLength: 6 }), fc.boolean(), (cols, correction) => {
        const table = [cols.map((c) => c[0]), cols.map((c) => c[1])];
        const p = stats.chi2Contingency(table, { correction }).pValue;
        expect(inUnit(p)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (n1, n2, a, b) => {
        const p = stats.proportionsZTest(a % (n1 + 1), n1, b % (n2 + 1), n2).pValue;
        expect(Number.isNaN(p) || inUnit(p)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(value, value), { minLength: 3, maxLength: 40 }), (pairs) => {
        const x = pairs.map((p) => p[0]);
        const y = pairs.map((p) => p[1]);
        for (const r of [stats.pearson(x, y), stats.spearman(x, y)]) expect(Number.isNaN(r.pValue) || inUnit(r.pValue)).toBe(true);
        expect(inUnit(stats.mannKendall(x).pValue)).toBe(true);
      }),
    );
    const cat = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 50 });
    fc.assert(
      fc.property(cat, cat, (r, c) => {
        const chi = stats.chiSquareGoodnessDrift(r, c).pValue as number;
        expect(Number.isNaN(chi) || inUnit(chi)).toBe(true);
        expect(inUnit(stats.zTestBinaryDrift(r, c).pValue as number)).toBe(true);
      }),
    );
  });
});

describe('symmetries and invariances', () => {
  it('KS is symmetric in its arguments', () => {
    fc.assert(
      fc.property(sample(1, 60), sample(1, 60), fc.constantFrom('auto', 'asymp') as fc.Arbitrary<stats.KsMethod>, (x, y, method) => {
        const a = stats.ksTwoSample(x, y, { method });
        const b = stats.ksTwoSample(y, x, { method });
        expect(b.statistic).toBe(a.statistic);
        expect(b.pValue).toBe(a.pValue);
      }),
    );
  });

  it('metrics are invariant under a permutation of the rows', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(label, probability, value, value), { minLength: 1, maxLength: 80 }), fc.nat(), (rows, seed) => {
        const perm = shuffled(rows, seed);
        const reg = (r: typeof rows) => stats.regressionMetrics(r.map((x) => x[2]), r.map((x) => x[3]));
        const bin = (r: typeof rows) => stats.binaryClassificationMetrics(r.map((x) => x[0]), r.map((x) => x[1]));
        const ece = (r: typeof rows) => stats.expectedCalibrationError(r.map((x) => x[0]), r.map((x) => x[1]));
        const multi = (r: typeof rows) =>
          stats.multiclassClassificationMetrics(r.map((x) => Math.round(x[2]) % 3), r.map((x) => Math.round(x[3]) % 3));
        for (const [a, b] of [
          [reg(rows), reg(perm)],
          [bin(rows), bin(perm)],
          [multi(rows), multi(perm)],
        ] as unknown as [Record<string, unknown>, Record<string, unknown>][]) {
          for (const key of Object.keys(a)) {
            const va = a[key];
            const vb = b[key];
            if (typeof va === 'number') expect(relClose(va, vb as number), key).toBe(true);
            else expect(vb, key).toEqual(va);
          }
        }
        expect(relClose(ece(rows).ece, ece(perm).ece)).toBe(true);
      }),
    );
  });
});

describe('distances', () => {
  it('PSI and JS are ≥ 0, and 0 for identical samples', () => {
    fc.assert(
      fc.property(sample(1, 80), sample(1, 80), (r, c) => {
        expect(stats.psi(r, c).psi).toBeGreaterThanOrEqual(0);
        expect(stats.jensenShannonBinned(r, c).distance).toBeGreaterThanOrEqual(0);
        expect(stats.psi(r, r).psi).toBe(0);
        expect(stats.jensenShannonBinned(r, r).distance).toBe(0);
        expect(stats.jensenShannonDrift(r, r).statistic).toBe(0);
      }),
    );
  });

  it('Wasserstein is symmetric, ≥ 0 and 0 for identical samples', () => {
    fc.assert(
      fc.property(sample(1, 60), sample(1, 60), (u, v) => {
        const d = stats.wassersteinDistance(u, v);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(relClose(d, stats.wassersteinDistance(v, u))).toBe(true);
        expect(stats.wassersteinDistance(u, shuffled(u, 3))).toBe(0);
      }),
    );
  });
});

describe('multiple-testing adjustments', () => {
  it('are ≥ the raw p-values, ≤ 1, and keep the order of the raw p-values', () => {
    fc.assert(
      fc.property(fc.array(probability, { minLength: 1, maxLength: 30 }), (p) => {
        for (const adjusted of [stats.holm(p), stats.benjaminiHochberg(p)]) {
          adjusted.forEach((a, i) => {
            expect(a).toBeGreaterThanOrEqual(p[i] as number);
            expect(a).toBeLessThanOrEqual(1);
          });
          for (let i = 0; i < p.length; i++) {
            for (let j = 0; j < p.length; j++) {
              if ((p[i] as number) < (p[j] as number)) expect(adjusted[i]).toBeLessThanOrEqual(adjusted[j] as number);
            }
          }
        }
      }),
    );
  });
});
