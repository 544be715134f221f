import { allNumeric, type Category, evidentlyBinning, type FeatureType } from './binning.js';
import { chi2Sf, normalCdf } from './distributions.js';
import { StatsInputError } from './errors.js';
import { jensenShannon } from './jensen-shannon.js';
import { standardDeviation } from './moments.js';
import { pairwiseSum } from './summation.js';
import { type NumericInput } from './validate.js';
import { wassersteinDistance } from './wasserstein.js';

export interface DriftTestResult {
  /** The test's score: χ² statistic, z, normalised distance or JS distance. */
  statistic: number;
  /** p-value where the test has one, otherwise null. */
  pValue: number | null;
  threshold: number;
  drift: boolean;
}

function countCategories(values: readonly Category[]): Map<Category, number> {
  const m = new Map<Category, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function nonEmpty(reference: readonly Category[], current: readonly Category[]): void {
  if (reference.length === 0 || current.length === 0) throw new StatsInputError('reference and current must not be empty');
  allNumeric(reference);
  allNumeric(current);
}

/**
 * Evidently 0.4.x `chi_stat_test` (stattests/chisquare_stattest.py): categories = union of both samples,
 * expected = reference counts × len(current)/len(reference), p from scipy.stats.chisquare on k − 1
 * degrees of freedom; drift when p < threshold (0.05). A category absent from the reference makes the
 * statistic +∞ and p 0; a single category leaves no degree of freedom and p is NaN (as scipy).
 */
export function chiSquareGoodnessDrift(
  reference: readonly Category[],
  current: readonly Category[],
  options: { threshold?: number } = {},
): DriftTestResult {
  nonEmpty(reference, current);
  const threshold = options.threshold ?? 0.05;
  const ref = countCategories(reference);
  const cur = countCategories(current);
  const keys = [...new Set<Category>([...ref.keys(), ...cur.keys()])];
  const kNorm = current.length / reference.length;
  const terms = keys.map((key) => {
    const expected = (ref.get(key) ?? 0) * kNorm;
    const d = (cur.get(key) ?? 0) - expected;
    return (d * d) / expected;
  });
  const statistic = pairwiseSum(terms);
  const pValue = keys.length > 1 ? chi2Sf(keys.length - 1, statistic) : NaN;
  return { statistic, pValue, threshold, drift: pValue < threshold };
}

/**
 * Evidently 0.4.x `z_stat_test` (stattests/z_stattest.py): pooled two-proportion z-test on the share of
 * values different from the smallest category; p = 2·(1 − Φ(|z|)) exactly as Evidently writes it; when
 * both samples hold the same single value p = 1. Drift when p < threshold (0.05).
 */
export function zTestBinaryDrift(
  reference: readonly Category[],
  current: readonly Category[],
  options: { threshold?: number } = {},
): DriftTestResult {
  nonEmpty(reference, current);
  const threshold = options.threshold ?? 0.05;
  const refKeys = new Set(reference);
  const curKeys = new Set(current);
  if (refKeys.size === 1 && curKeys.size === 1 && [...refKeys][0] === [...curKeys][0]) {
    return { statistic: 0, pValue: 1, threshold, drift: false };
  }
  const keys = [...new Set<Category>([...refKeys, ...curKeys])].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0,
  );
  const first = keys[0];
  const n1 = reference.length;
  const n2 = current.length;
  const p1 = reference.filter((v) => v !== first).length / n1;
  const p2 = current.filter((v) => v !== first).length / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const pValue = 2 * (1 - normalCdf(Math.abs(z)));
  return { statistic: z, pValue, threshold, drift: pValue < threshold };
}

/**
 * Evidently 0.4.x `wasserstein_distance_norm`: scipy's Wasserstein distance divided by
 * max(std(reference, ddof=0), 0.001); drift when the result ≥ threshold (0.1).
 */
export function normalizedWasserstein(
  reference: NumericInput,
  current: NumericInput,
  options: { threshold?: number } = {},
): DriftTestResult {
  const threshold = options.threshold ?? 0.1;
  const norm = Math.max(standardDeviation(reference), 0.001);
  const statistic = wassersteinDistance(reference, current) / norm;
  return { statistic, pValue: null, threshold, drift: statistic >= threshold };
}

/**
 * Evidently 0.4.x `jensenshannon_stat_test`: Evidently binning without zero filling, then
 * scipy.spatial.distance.jensenshannon with Evidently's default natural log (pass base 2 for a [0, 1]
 * scale); drift when the distance ≥ threshold (0.1).
 */
export function jensenShannonDrift(
  reference: readonly Category[],
  current: readonly Category[],
  options: { threshold?: number; featureType?: FeatureType; base?: number } = {},
): DriftTestResult & { binning: ReturnType<typeof evidentlyBinning> } {
  const threshold = options.threshold ?? 0.1;
  const binning = evidentlyBinning(reference, current, { featureType: options.featureType ?? 'num', fillZeroes: false });
  const base = options.base;
  const statistic = jensenShannon(binning.referencePercents, binning.currentPercents, base === undefined ? {} : { base });
  return { statistic, pValue: null, threshold, drift: statistic >= threshold, binning };
}
