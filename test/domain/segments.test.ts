import { describe, expect, it } from 'vitest';
import { featureAssociations } from '../../src/domain/feature-association.js';
import { featureColumns, groupedCategories } from '../../src/domain/feature-columns.js';
import { findSegments } from '../../src/domain/segments.js';
import { mulberry32 } from '../../src/stats/index.js';

const rnd = mulberry32(1);
const rows = Array.from({ length: 300 }, (_, i) => {
  const flag = i % 3 === 0;
  const level = i % 4; // a numeric feature with 4 values: sliced per value
  const city = `c${i % 14}`; // 14 categories: the 10 most frequent kept, the rest grouped
  const features: Record<string, unknown> = { flag, level, city, noise: rnd() };
  if (i % 10 === 0) features.noise = null;
  return { features, residual: (flag ? 3 : 0) + rnd() - 0.5, correct: rnd() < 0.8 };
});

describe('feature columns', () => {
  it('types features: numbers numeric, anything else categorical, null and absent missing', () => {
    const { columns } = featureColumns([{ features: { a: 1, b: true, c: 'x', d: 1 } }, { features: { a: null, b: false, d: 'y' } }]);
    const byName = Object.fromEntries(columns.map((c) => [c.name, c]));
    expect(byName.a).toMatchObject({ kind: 'numeric', values: [1, null], present: 1 });
    expect(byName.b).toMatchObject({ kind: 'categorical', values: ['true', 'false'], present: 2 });
    expect(byName.c).toMatchObject({ kind: 'categorical', values: ['x', null] });
    expect(byName.d).toMatchObject({ kind: 'categorical', values: ['1', 'y'] });
    expect(columns.map((c) => c.name)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('keeps the most frequent categories and groups the rest', () => {
    const values = ['a', 'a', 'b', 'c', null, 'd'];
    expect(groupedCategories(values, 2)).toEqual(['a', 'a', 'b', '(other)', '(missing)', '(other)']);
  });

  it('analyses at most the requested number of features, the most often present first', () => {
    const { columns, skipped } = featureColumns([{ features: { a: 1, b: 2 } }, { features: { b: 3 } }], 1);
    expect(columns.map((c) => c.name)).toEqual(['b']);
    expect(skipped).toEqual(['a']);
  });
});

describe('segments', () => {
  const { columns } = featureColumns(rows);

  it('finds the planted boolean slice, keeps its value a boolean, and nothing else', () => {
    const analysis = findSegments(rows, columns, 'residual');
    expect(analysis.findings.map((f) => f.label).sort()).toEqual(['flag = false', 'flag = true']);
    const flag = analysis.findings.find((f) => f.slice.kind === 'value' && f.slice.value === true)!;
    expect(flag).toMatchObject({ feature: 'flag', count: 100, restCount: 200, test: 'welch-t' });
    expect(flag.meanDifference).toBeGreaterThan(2.5);
  });

  it('slices discrete numbers per value, categories top-10 + other, and missing values on their own', () => {
    const analysis = findSegments(rows, columns, 'accuracy');
    const slicing = Object.fromEntries(analysis.features.map((f) => [f.feature, f]));
    expect(slicing.level).toMatchObject({ kind: 'numeric', binning: 'values', slicesTested: 4 });
    expect(slicing.city).toMatchObject({ kind: 'categorical', slicesTested: 11 });
    expect(slicing.noise).toMatchObject({ binning: 'quintiles', slicesTested: 6 });
    expect(slicing.noise!.edges).toHaveLength(4);
    expect(analysis.tested).toBe(2 + 4 + 11 + 6);
  });

  it('does not test slices under the minimum size', () => {
    const small = rows.slice(0, 15);
    const analysis = findSegments(small, featureColumns(small).columns, 'residual');
    expect(analysis.tested).toBe(0);
    expect(analysis.findings).toEqual([]);
  });
});

describe('feature association', () => {
  it('sorts by strength and explains what is undefined', () => {
    const data = Array.from({ length: 50 }, (_, i) => ({ features: { x: i, constant: 1, k: i % 2 ? 'odd' : 'even' } as Record<string, unknown> }));
    const { columns } = featureColumns(data);
    const result = featureAssociations(data.map((_, i) => ({ target: i * 2 + (i % 3), residual: null })), columns);
    expect(result.map((r) => r.feature)).toEqual(['x', 'k', 'constant']);
    expect(result[0]!.strength).toBeGreaterThan(0.99);
    const constant = result.find((r) => r.feature === 'constant')!;
    expect(constant.actual.pearson).toBeNull();
    expect(constant.undefined['actual.pearson']).toMatch(/constant/);
    expect(constant.undefined['error.pearson']).toMatch(/at least 3 rows/);
  });
});
