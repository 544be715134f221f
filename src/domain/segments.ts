import { holm, mean, percentiles, proportionsZTest, standardDeviation, welchTTest } from '../stats/index.js';
import { type FeatureColumn, MAX_CATEGORIES, topCategories } from './feature-columns.js';

/**
 * Systematic errors by feature segment. Each feature is cut into slices — quintile bins of the sample for
 * numeric features (one slice per value when it takes at most DISCRETE_MAX values), the MAX_CATEGORIES
 * most frequent categories plus one slice for the rest for categorical ones, and one slice for missing
 * values — and each slice is compared with the rest of the sample: Welch's t-test on residuals
 * (regression) or the two-proportion z-test on correctness (classification). p-values are adjusted with
 * Holm's method over every slice tested (all features together); slices with adjusted p < ALPHA are
 * returned, largest effect first.
 */
export type SegmentMode = 'residual' | 'accuracy';

export type Slice =
  | { kind: 'range'; lower: number | null; upper: number | null }
  | { kind: 'value'; value: number | string | boolean }
  | { kind: 'other'; categories: number }
  | { kind: 'missing' };

export interface SegmentRow {
  residual: number | null;
  correct: boolean | null;
}

export interface SegmentFinding {
  feature: string;
  slice: Slice;
  label: string;
  count: number;
  restCount: number;
  test: 'welch-t' | 'two-proportion-z';
  statistic: number | null;
  pValue: number;
  adjustedPValue: number;
  /** residual mode: mean residual in the slice and in the rest, their difference and Cohen's d (pooled SD). */
  mean?: number;
  restMean?: number;
  meanDifference?: number;
  cohensD?: number | null;
  /** accuracy mode: accuracy in the slice and in the rest, and their difference. */
  accuracy?: number;
  restAccuracy?: number;
  accuracyDifference?: number;
}

export interface FeatureSlicing {
  feature: string;
  kind: 'numeric' | 'categorical';
  binning: 'quintiles' | 'values' | 'categories';
  /** Quintile cut points of the sample (linear percentiles 20, 40, 60, 80, duplicates removed). */
  edges?: number[];
  slicesTested: number;
}

export const DISCRETE_MAX = 5;
export const MIN_SLICE = 10;
export const ALPHA = 0.05;

export interface SegmentAnalysis {
  features: FeatureSlicing[];
  tested: number;
  findings: SegmentFinding[];
}

export function findSegments(rows: readonly SegmentRow[], columns: readonly FeatureColumn[], mode: SegmentMode): SegmentAnalysis {
  const usable = rows.map((r) => (mode === 'residual' ? r.residual !== null : r.correct !== null));
  const candidates: Omit<SegmentFinding, 'adjustedPValue'>[] = [];
  const features: FeatureSlicing[] = [];
  for (const column of columns) {
    const { slicing, slices } = sliceColumn(column);
    let tested = 0;
    for (const { slice, label, member } of slices) {
      const finding = compare(rows, usable, column.values.map(member), mode);
      if (!finding) continue;
      tested++;
      candidates.push({ feature: column.name, slice, label: label(column.name), ...finding });
    }
    features.push({ ...slicing, feature: column.name, slicesTested: tested });
  }
  const adjusted = candidates.length > 0 ? holm(candidates.map((c) => c.pValue)) : [];
  const findings = candidates
    .map((c, i) => ({ ...c, adjustedPValue: adjusted[i]! }))
    .filter((f) => f.adjustedPValue < ALPHA)
    .sort((a, b) => effectSize(b) - effectSize(a) || a.adjustedPValue - b.adjustedPValue);
  return { features, tested: candidates.length, findings };
}

const effectSize = (f: Omit<SegmentFinding, 'adjustedPValue'>) =>
  Math.abs(f.accuracyDifference ?? f.cohensD ?? f.meanDifference ?? 0);

interface SliceDef {
  slice: Slice;
  label: (feature: string) => string;
  member: (value: number | string | null) => boolean;
}

function sliceColumn(column: FeatureColumn): { slicing: Omit<FeatureSlicing, 'feature' | 'slicesTested'>; slices: SliceDef[] } {
  const slices: SliceDef[] = [];
  let slicing: Omit<FeatureSlicing, 'feature' | 'slicesTested'>;
  if (column.kind === 'numeric') {
    const present = column.values.filter((v): v is number => v !== null);
    const distinct = [...new Set(present)].sort((a, b) => a - b);
    if (distinct.length <= DISCRETE_MAX) {
      slicing = { kind: 'numeric', binning: 'values' };
      for (const value of distinct) slices.push({ slice: { kind: 'value', value }, label: (f) => `${f} = ${value}`, member: (v) => v === value });
    } else {
      const edges = [...new Set(percentiles(present, [20, 40, 60, 80]))];
      slicing = { kind: 'numeric', binning: 'quintiles', edges };
      const bounds = [null, ...edges, null];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const lower = bounds[i] ?? null;
        const upper = bounds[i + 1] ?? null;
        slices.push({
          slice: { kind: 'range', lower, upper },
          label: (f) => (lower === null ? `${f} ≤ ${upper}` : upper === null ? `${f} > ${lower}` : `${lower} < ${f} ≤ ${upper}`),
          member: (v) => v !== null && (lower === null || (v as number) > lower) && (upper === null || (v as number) <= upper),
        });
      }
    }
  } else {
    const { kept, grouped } = topCategories(column.values, MAX_CATEGORIES);
    slicing = { kind: 'categorical', binning: 'categories' };
    const keptSet = new Set(kept);
    for (const text of kept) {
      const value = column.originals?.get(text) ?? text;
      slices.push({ slice: { kind: 'value', value }, label: (f) => `${f} = ${JSON.stringify(value)}`, member: (v) => v === text });
    }
    if (grouped > 0) {
      slices.push({
        slice: { kind: 'other', categories: grouped },
        label: (f) => `${f} in ${grouped} other categories`,
        member: (v) => v !== null && !keptSet.has(v as string),
      });
    }
  }
  if (column.present < column.values.length) {
    slices.push({ slice: { kind: 'missing' }, label: (f) => `${f} missing`, member: (v) => v === null });
  }
  return { slicing, slices };
}

type Comparison = Omit<SegmentFinding, 'feature' | 'slice' | 'label' | 'adjustedPValue'>;

function compare(rows: readonly SegmentRow[], usable: boolean[], inSlice: boolean[], mode: SegmentMode): Comparison | null {
  const inside: number[] = [];
  const rest: number[] = [];
  rows.forEach((row, i) => {
    if (!usable[i]) return;
    const value = mode === 'residual' ? row.residual! : row.correct ? 1 : 0;
    (inSlice[i] ? inside : rest).push(value);
  });
  if (inside.length < MIN_SLICE || rest.length < MIN_SLICE) return null;
  if (mode === 'accuracy') {
    const x1 = inside.reduce((s, v) => s + v, 0);
    const x2 = rest.reduce((s, v) => s + v, 0);
    const z = proportionsZTest(x1, inside.length, x2, rest.length);
    if (Number.isNaN(z.pValue)) return null;
    return {
      count: inside.length,
      restCount: rest.length,
      test: 'two-proportion-z',
      statistic: finite(z.z),
      pValue: z.pValue,
      accuracy: z.p1,
      restAccuracy: z.p2,
      accuracyDifference: z.p1 - z.p2,
    };
  }
  const t = welchTTest(inside, rest);
  if (Number.isNaN(t.pValue)) return null;
  const m1 = mean(inside);
  const m2 = mean(rest);
  const s1 = standardDeviation(inside, { ddof: 1 });
  const s2 = standardDeviation(rest, { ddof: 1 });
  const pooled = Math.sqrt(((inside.length - 1) * s1 * s1 + (rest.length - 1) * s2 * s2) / (inside.length + rest.length - 2));
  return {
    count: inside.length,
    restCount: rest.length,
    test: 'welch-t',
    statistic: finite(t.statistic),
    pValue: t.pValue,
    mean: m1,
    restMean: m2,
    meanDifference: m1 - m2,
    cohensD: pooled > 0 ? (m1 - m2) / pooled : null,
  };
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);
