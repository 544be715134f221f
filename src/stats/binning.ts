import { StatsInputError } from './errors.js';

// Evidently 0.4.x `get_binned_data` (calculations/stattests/utils.py), the binning behind its PSI,
// Jensen–Shannon, KL and related drift scores.

export type FeatureType = 'num' | 'cat';
export type Category = number | string;

export interface Binning {
  binning: 'sturges' | 'categorical';
  nBins: number;
  /** Histogram edges (numeric path) or null. */
  binEdges: number[] | null;
  /** Bin labels, ascending (categorical path) or null. */
  categories: Category[] | null;
  referencePercents: number[];
  currentPercents: number[];
}

function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * numpy.histogram_bin_edges(data, bins='sturges'): width = ptp/(log2(N)+1), nbins = ceil(range/width)
 * (which rounds up by one when log2(N)+1 is an integer and the division lands a hair above it, exactly
 * as numpy), edges = lo + i·(range/nbins) with the last edge pinned to hi (np.linspace).
 */
export function sturgesEdges(min: number, max: number, total: number): number[] {
  let lo = min;
  let hi = max;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (max - min) / (Math.log2(total) + 1);
  const nbins = width ? Math.ceil((hi - lo) / width) : 1;
  const step = (hi - lo) / nbins;
  const edges = new Array<number>(nbins + 1);
  for (let i = 0; i < nbins; i++) edges[i] = i * step + lo;
  edges[nbins] = hi;
  return edges;
}

/** np.histogram(sample, edges)[0] / len(sample): bins [e_i, e_{i+1}), the last one closed. */
export function histogramPercents(sortedSample: Float64Array, edges: readonly number[]): number[] {
  const n = sortedSample.length;
  const cum = edges.map((e, i) => (i === edges.length - 1 ? upperBound(sortedSample, e) : lowerBound(sortedSample, e)));
  const out: number[] = [];
  for (let i = 0; i + 1 < cum.length; i++) out.push(((cum[i + 1] as number) - (cum[i] as number)) / n);
  return out;
}

function compareCategories(a: Category, b: Category): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Checks the values and tells whether all are numbers (NaN and infinities are refused). */
export function allNumeric(values: readonly Category[]): boolean {
  let numeric = true;
  for (const v of values) {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new StatsInputError('values must be finite numbers or strings');
    } else if (typeof v === 'string') numeric = false;
    else throw new StatsInputError('values must be finite numbers or strings');
  }
  return numeric;
}

function distinctMoreThan(sorted: Float64Array, limit: number): boolean {
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length && distinct <= limit; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  return distinct > limit;
}

function countValues(values: readonly Category[]): Map<Category, number> {
  const counts = new Map<Category, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** Evidently's zero filling: 0 → min(nonzero)/1e6 when that minimum is ≤ 0.0001, else 0.0001. */
export function fillZeroes(percents: readonly number[]): number[] {
  let minNonZero = Infinity;
  for (const p of percents) if (p !== 0 && p < minNonZero) minNonZero = p;
  const fill = minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  return percents.map((p) => (p === 0 ? fill : p));
}

/**
 * Bins reference and current the way Evidently 0.4.x does: numeric features with more than 20 distinct
 * reference values get Sturges edges over reference ∪ current, everything else one bin per distinct
 * value of the union (sorted ascending here; Evidently's set order only changes rounding).
 */
export function evidentlyBinning(
  reference: readonly Category[],
  current: readonly Category[],
  options: { featureType?: FeatureType; fillZeroes?: boolean } = {},
): Binning {
  if (reference.length === 0 || current.length === 0) throw new StatsInputError('reference and current must not be empty');
  const featureType = options.featureType ?? 'num';
  const numeric = allNumeric(reference) && allNumeric(current);
  let result: Binning;
  let ref: Float64Array | null = null;
  if (numeric) {
    ref = Float64Array.from(reference as readonly number[]).sort();
  }
  if (featureType === 'num' && ref !== null && distinctMoreThan(ref, 20)) {
    const cur = Float64Array.from(current as readonly number[]).sort();
    const min = Math.min(ref[0] as number, cur[0] as number);
    const max = Math.max(ref[ref.length - 1] as number, cur[cur.length - 1] as number);
    const edges = sturgesEdges(min, max, ref.length + cur.length);
    result = {
      binning: 'sturges',
      nBins: edges.length - 1,
      binEdges: edges,
      categories: null,
      referencePercents: histogramPercents(ref, edges),
      currentPercents: histogramPercents(cur, edges),
    };
  } else {
    const refCounts = countValues(reference);
    const curCounts = countValues(current);
    const keys = [...new Set<Category>([...refCounts.keys(), ...curCounts.keys()])].sort(compareCategories);
    result = {
      binning: 'categorical',
      nBins: keys.length,
      binEdges: null,
      categories: keys,
      referencePercents: keys.map((k) => (refCounts.get(k) ?? 0) / reference.length),
      currentPercents: keys.map((k) => (curCounts.get(k) ?? 0) / current.length),
    };
  }
  if (options.fillZeroes) {
    result.referencePercents = fillZeroes(result.referencePercents);
    result.currentPercents = fillZeroes(result.currentPercents);
  }
  return result;
}
