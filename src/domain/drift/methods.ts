import {
  type Binning,
  type Category,
  chiSquareGoodnessDrift,
  evidentlyBinning,
  fillZeroes,
  jensenShannonDrift,
  ksTwoSample,
  normalizedWasserstein,
  psi,
  standardDeviation,
  zTestBinaryDrift,
} from '../../stats/index.js';
import type { DriftFeatureType } from './columns.js';

/** The drift tests of Evidently 0.4.x, by the names the API uses (`method=`). */
export const DRIFT_METHODS = ['ks', 'chi2', 'z', 'psi', 'wasserstein', 'jensenshannon'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

/** Evidently's default thresholds: p-value tests drift when p < threshold, distances when statistic ≥ threshold. */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftMethod, number>> = { ks: 0.05, chi2: 0.05, z: 0.05, psi: 0.1, wasserstein: 0.1, jensenshannon: 0.1 };
export const usesPValue = (method: DriftMethod) => method === 'ks' || method === 'chi2' || method === 'z';

/** Reference sizes up to this use the p-value tests by default, larger ones the distances (Evidently). */
export const SMALL_REFERENCE = 1000;
/** Numeric features with at most this many distinct reference values are tested as categories (Evidently). */
export const FEW_VALUES = 5;
/** Bins and categories listed in `details` at most (the tests themselves use all of them). */
export const MAX_LISTED_BINS = 50;

/**
 * Evidently 0.4.x `_get_default_stattest`: a reference of at most 1000 values → KS for numeric features
 * with more than 5 distinct values, else χ² (more than 2 distinct values) or the z-test (binary); a larger
 * reference → normalised Wasserstein for numeric features with more than 5 distinct values, else
 * Jensen–Shannon. Booleans are categories.
 */
export function defaultMethod(type: DriftFeatureType, referenceCount: number, distinct: number): DriftMethod {
  const continuous = type === 'numeric' && distinct > FEW_VALUES;
  if (referenceCount <= SMALL_REFERENCE) return continuous ? 'ks' : distinct > 2 ? 'chi2' : 'z';
  return continuous ? 'wasserstein' : 'jensenshannon';
}

/**
 * The method a feature is tested with when the request forces one: KS and Wasserstein need numbers, the
 * z-test two values at most; otherwise the feature keeps its default, and the note says why.
 */
export function chooseMethod(
  requested: DriftMethod | undefined,
  type: DriftFeatureType,
  referenceCount: number,
  referenceDistinct: number,
  unionDistinct: number,
): { method: DriftMethod; note?: string } {
  const fallback = defaultMethod(type, referenceCount, referenceDistinct);
  if (requested === undefined) return { method: fallback };
  if ((requested === 'ks' || requested === 'wasserstein') && type !== 'numeric') {
    return { method: fallback, note: `${requested} needs a numeric feature; this one is ${type}, so the default (${fallback}) was used` };
  }
  if (requested === 'z' && unionDistinct > 2) {
    return { method: fallback, note: `the z-test compares two values; this feature takes ${unionDistinct}, so the default (${fallback}) was used` };
  }
  return { method: requested };
}

/** One side of a comparison: the present values of a feature in one window, in the form its type needs. */
export interface Sample {
  type: DriftFeatureType;
  /** Numeric features: the finite values, sorted ascending. */
  numbers?: Float64Array;
  /** Categorical and boolean features: the values as text. */
  texts?: string[];
  count: number;
}

/** How a result was obtained (what `details` in a report holds). */
export interface ColumnDetails {
  referenceCount: number;
  currentCount: number;
  missing: { reference: number; current: number };
  typeMismatches?: { reference: number; current: number; note: string };
  distinct?: { reference: number; current: number };
  unseenCategories?: { value: string; count: number; currentShare: number }[];
  unseenCategoryCount?: number;
  unseenShare?: number;
  vanishedCategories?: { value: string; count: number; referenceShare: number }[];
  methodChosenBy?: 'request' | 'evidently-default';
  methodNote?: string;
  pValueMethod?: 'exact' | 'asymp';
  statisticLocation?: number;
  distance?: number;
  referenceStd?: number;
  normalizer?: number;
  statisticNote?: string;
  pValueNote?: string;
  logBase?: 'e' | '2';
  epsilon?: { reference: number | null; current: number | null; rule: string } | null;
  binning?: BinningDetails | null;
}

export type MethodDetails = Omit<ColumnDetails, 'referenceCount' | 'currentCount' | 'missing'>;

export interface MethodResult {
  method: DriftMethod;
  /** null when it is infinite (χ² with a category the reference never had). */
  statistic: number | null;
  pValue: number | null;
  threshold: number;
  /** For distances: statistic ≥ threshold. For p-value tests: p < threshold before correction (the report corrects). */
  drifted: boolean;
  details: MethodDetails;
}

/**
 * The values as Evidently's categorical inputs. A numeric sample passes as its Float64Array: the binning and
 * the χ²/z tests only iterate over it and copy it, and copying 100,000 doubles into a plain array per test
 * would cost more than the test.
 */
export const categories = (s: Sample): Category[] => (s.type === 'numeric' ? (s.numbers as unknown as number[]) : s.texts!);
const featureType = (s: Sample) => (s.type === 'numeric' ? 'num' : 'cat');

/** Runs one drift test of Evidently 0.4.x on a reference and a current sample (both non-empty). */
export function runMethod(method: DriftMethod, reference: Sample, current: Sample, options: { threshold?: number; logBase?: 'e' | '2' } = {}): MethodResult {
  const threshold = options.threshold ?? DEFAULT_THRESHOLDS[method];
  switch (method) {
    case 'ks': {
      const r = ksTwoSample(reference.numbers!, current.numbers!, { method: 'auto' });
      return {
        method,
        statistic: r.statistic,
        pValue: r.pValue,
        threshold,
        drifted: r.pValue < threshold,
        details: { pValueMethod: r.method, statisticLocation: r.statisticLocation, binning: null },
      };
    }
    case 'wasserstein': {
      const r = normalizedWasserstein(reference.numbers!, current.numbers!, { threshold });
      const std = standardDeviation(reference.numbers!);
      const normalizer = Math.max(std, 0.001);
      return {
        method,
        statistic: r.statistic,
        pValue: null,
        threshold,
        drifted: r.drift,
        details: { distance: r.statistic * normalizer, referenceStd: std, normalizer, binning: null },
      };
    }
    case 'chi2': {
      const r = chiSquareGoodnessDrift(categories(reference), categories(current), { threshold });
      const finite = Number.isFinite(r.statistic);
      const defined = r.pValue !== null && !Number.isNaN(r.pValue);
      return {
        method,
        statistic: finite ? r.statistic : null,
        pValue: defined ? r.pValue : null,
        threshold,
        drifted: defined && (r.pValue as number) < threshold,
        details: {
          ...(finite ? {} : { statisticNote: 'infinite: the current window has values the reference never had (expected count 0), so p = 0' }),
          ...(defined ? {} : { pValueNote: 'one value in both windows: nothing to test' }),
          binning: categoricalBinning(reference, current),
        },
      };
    }
    case 'z': {
      const r = zTestBinaryDrift(categories(reference), categories(current), { threshold });
      const defined = r.pValue !== null && Number.isFinite(r.pValue);
      return { method, statistic: Number.isFinite(r.statistic) ? r.statistic : null, pValue: defined ? r.pValue : null, threshold, drifted: r.drift, details: { binning: categoricalBinning(reference, current) } };
    }
    case 'jensenshannon': {
      const base = options.logBase === '2' ? 2 : undefined;
      const r = jensenShannonDrift(categories(reference), categories(current), { threshold, featureType: featureType(reference), ...(base ? { base } : {}) });
      return { method, statistic: r.statistic, pValue: null, threshold, drifted: r.drift, details: { logBase: base ? '2' : 'e', epsilon: null, binning: describeBinning(r.binning) } };
    }
    case 'psi': {
      const ref = categories(reference);
      const cur = categories(current);
      const r = psi(ref, cur, { featureType: featureType(reference), threshold });
      const raw = evidentlyBinning(ref, cur, { featureType: featureType(reference), fillZeroes: false });
      return {
        method,
        statistic: r.psi,
        pValue: null,
        threshold,
        drifted: r.drift,
        details: {
          logBase: 'e',
          epsilon: { reference: zeroFill(raw.referencePercents), current: zeroFill(raw.currentPercents), rule: 'an empty bin counts as min(non-empty share)/1e6 when that minimum is ≤ 1e-4, else 1e-4 (Evidently 0.4.x)' },
          binning: describeBinning(r),
        },
      };
    }
  }
}

/** The value an empty bin was replaced with (Evidently's zero filling), or null when no bin was empty. */
function zeroFill(percents: number[]): number | null {
  const index = percents.indexOf(0);
  return index < 0 ? null : (fillZeroes(percents)[index] as number);
}

export interface BinningDetails {
  kind: 'sturges' | 'categorical';
  bins: number;
  edges: number[] | null;
  categories: Category[] | null;
  referencePercents: number[];
  currentPercents: number[];
  /** Bins left out of this listing (the most populated MAX_LISTED_BINS are shown). */
  omittedBins: number;
}

export function describeBinning(b: Binning): BinningDetails {
  const listed = b.categories !== null && b.categories.length > MAX_LISTED_BINS ? topBins(b) : null;
  return {
    kind: b.binning,
    bins: b.nBins,
    edges: b.binEdges,
    categories: listed ? listed.map((i) => b.categories![i]!) : b.categories,
    referencePercents: listed ? listed.map((i) => b.referencePercents[i]!) : b.referencePercents,
    currentPercents: listed ? listed.map((i) => b.currentPercents[i]!) : b.currentPercents,
    omittedBins: listed ? b.nBins - listed.length : 0,
  };
}

function topBins(b: Binning): number[] {
  return b.referencePercents
    .map((r, i) => ({ i, weight: Math.max(r, b.currentPercents[i]!) }))
    .sort((x, y) => y.weight - x.weight || x.i - y.i)
    .slice(0, MAX_LISTED_BINS)
    .map((x) => x.i)
    .sort((x, y) => x - y);
}

/** The categories χ² and the z-test compare, with their shares (one bin per value of reference ∪ current). */
function categoricalBinning(reference: Sample, current: Sample): BinningDetails {
  return describeBinning(evidentlyBinning(categories(reference), categories(current), { featureType: 'cat', fillZeroes: false }));
}
