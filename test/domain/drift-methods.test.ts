import { describe, expect, it } from 'vitest';
import { type ColumnDrift, compareColumn, correctAndRate } from '../../src/domain/drift/column-drift.js';
import { columnOf } from '../../src/domain/drift/columns.js';
import { chooseMethod, defaultMethod, runMethod } from '../../src/domain/drift/methods.js';
import { ksTwoSample, psi } from '../../src/stats/index.js';

describe('Evidently 0.4.x default method', () => {
  it.each([
    ['numeric', 1000, 6, 'ks'],
    ['numeric', 1000, 5, 'chi2'],
    ['numeric', 1000, 2, 'z'],
    ['categorical', 50, 3, 'chi2'],
    ['categorical', 50, 2, 'z'],
    ['boolean', 1000, 2, 'z'],
    ['numeric', 1001, 6, 'wasserstein'],
    ['numeric', 1001, 5, 'jensenshannon'],
    ['categorical', 5000, 40, 'jensenshannon'],
    ['boolean', 5000, 2, 'jensenshannon'],
  ] as const)('%s, reference %i values, %i distinct → %s', (type, n, distinct, method) => {
    expect(defaultMethod(type, n, distinct)).toBe(method);
  });

  it('a forced method applies where it can, else the default stays and the note says why', () => {
    expect(chooseMethod('psi', 'categorical', 10, 3, 3)).toEqual({ method: 'psi' });
    expect(chooseMethod('ks', 'categorical', 10, 3, 3)).toMatchObject({ method: 'chi2', note: expect.stringMatching(/ks needs a numeric feature/) });
    expect(chooseMethod('wasserstein', 'boolean', 5000, 2, 2)).toMatchObject({ method: 'jensenshannon' });
    expect(chooseMethod('z', 'categorical', 10, 3, 4)).toMatchObject({ method: 'chi2', note: expect.stringMatching(/takes 4/) });
    expect(chooseMethod('z', 'boolean', 10, 2, 2)).toEqual({ method: 'z' });
  });
});

describe('compareColumn', () => {
  const opts = { correction: 'benjamini-hochberg' as const };
  const numbers = (n: number, shift = 0) => Array.from({ length: n }, (_, i) => ((i * 7919) % n) / n + shift);

  it('a numeric feature: the KS of scipy, PSI as effect size, counts and missing shares', () => {
    const ref = columnOf([...numbers(200), null, null]);
    const cur = columnOf([...numbers(100, 0.3), 'oops']);
    const c = compareColumn('x', ref, cur, opts);
    const expected = ksTwoSample(numbers(200), numbers(100, 0.3));
    expect(c).toMatchObject({ type: 'numeric', status: 'tested', method: 'ks', statistic: expected.statistic, pValue: expected.pValue, threshold: 0.05 });
    expect(c.effectSize!.value).toBeCloseTo(psi(numbers(200), numbers(100, 0.3)).psi, 12);
    expect(c.details).toMatchObject({ referenceCount: 200, currentCount: 100, missing: { reference: 2 / 202, current: 1 / 101 }, typeMismatches: { reference: 0, current: 1 } });
  });

  it('a feature absent from the current window is drifted (high); a new one is said (low)', () => {
    const gone = compareColumn('x', columnOf([1, 2, 3]), columnOf([null, null]), opts);
    const added = compareColumn('y', columnOf([null]), columnOf(['a']), opts);
    correctAndRate([gone, added], 'holm');
    expect(gone).toMatchObject({ status: 'missing_in_current', method: null, drifted: true, severity: 'high' });
    expect(added).toMatchObject({ status: 'missing_in_reference', type: 'categorical', drifted: true, severity: 'low' });
    expect(added.reasons[0]).toMatch(/new in the current window/);
  });

  it('missing values rising by 10 points count as drift even when the values themselves do not move', () => {
    const values = Array.from({ length: 90 }, (_, i) => ['a', 'b', 'c'][i % 3]!);
    const c = compareColumn('x', columnOf(values), columnOf([...values, ...Array<null>(20).fill(null)]), opts);
    correctAndRate([c], 'benjamini-hochberg');
    expect(c.testDrifted).toBe(false);
    expect(c).toMatchObject({ drifted: true, severity: 'medium' });
    expect(c.reasons).toEqual(['missing values went from 0.0% to 18.2%']);
  });

  it('corrects the family of p-values (Holm, Benjamini–Hochberg) and leaves distances alone', () => {
    const make = (pValue: number | null, method: 'ks' | 'wasserstein', statistic = 0.2): ColumnDrift => ({
      name: String(pValue), type: 'numeric', status: 'tested', method, statistic, pValue, adjustedPValue: null, threshold: method === 'ks' ? 0.05 : 0.1, drifted: false, severity: 'none',
      effectSize: { measure: 'psi', value: 0.3 }, reasons: [], details: { referenceCount: 1, currentCount: 1, missing: { reference: 0, current: 0 } }, testDrifted: method === 'wasserstein', missingShift: 0,
    });
    const family = [make(0.01, 'ks'), make(0.03, 'ks'), make(0.04, 'ks'), make(null, 'wasserstein')];
    expect(correctAndRate(family, 'holm').tests).toBe(3);
    family.slice(0, 3).forEach((c, i) => expect(c.adjustedPValue).toBeCloseTo([0.03, 0.06, 0.06][i]!, 15));
    expect(family[3]!.adjustedPValue).toBeNull();
    expect(family.map((c) => c.drifted)).toEqual([true, false, false, true]);
    const bh = [make(0.01, 'ks'), make(0.03, 'ks'), make(0.04, 'ks')];
    correctAndRate(bh, 'benjamini-hochberg');
    bh.forEach((c, i) => expect(c.adjustedPValue).toBeCloseTo([0.03, 0.04, 0.04][i]!, 15));
    expect(bh.every((c) => c.drifted && c.severity === 'high')).toBe(true);
  });

  it('identical samples never drift, whatever the method', () => {
    const values = numbers(300);
    for (const method of ['ks', 'wasserstein', 'psi', 'jensenshannon', 'chi2'] as const) {
      const r = runMethod(method, { type: 'numeric', numbers: Float64Array.from(values).sort(), count: 300 }, { type: 'numeric', numbers: Float64Array.from(values).sort(), count: 300 });
      expect(r.drifted, method).toBe(false);
      expect(r.pValue ?? r.statistic, method).toBe(r.pValue === null ? 0 : 1);
    }
  });
});
