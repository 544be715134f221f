import { type Binning, type Category, evidentlyBinning, type FeatureType } from './binning.js';
import { jensenShannon } from './jensen-shannon.js';
import { pairwiseSum } from './summation.js';

export interface PsiResult extends Binning {
  psi: number;
  drift: boolean;
  threshold: number;
}

/**
 * Population Stability Index as Evidently 0.4.x computes it (stattests/psi.py): Evidently binning with
 * zero filling, then Σ (ref − cur)·ln(ref/cur); drift when PSI ≥ threshold (0.1 by default). The
 * percentages and edges are returned so a report can show the bins.
 */
export function psi(
  reference: readonly Category[],
  current: readonly Category[],
  options: { featureType?: FeatureType; threshold?: number } = {},
): PsiResult {
  const threshold = options.threshold ?? 0.1;
  const bins = evidentlyBinning(reference, current, { featureType: options.featureType ?? 'num', fillZeroes: true });
  const terms = bins.referencePercents.map((r, i) => {
    const c = bins.currentPercents[i] as number;
    return (r - c) * Math.log(r / c);
  });
  const value = pairwiseSum(terms);
  return { ...bins, psi: value, drift: value >= threshold, threshold };
}

export interface BinnedJensenShannonResult extends Binning {
  distance: number;
}

/**
 * Jensen–Shannon distance between the Evidently-binned distributions of two samples (no zero filling,
 * as Evidently's jensenshannon test). `base` defaults to e (Evidently passes none); use 2 for [0, 1].
 */
export function jensenShannonBinned(
  reference: readonly Category[],
  current: readonly Category[],
  options: { featureType?: FeatureType; base?: number } = {},
): BinnedJensenShannonResult {
  const bins = evidentlyBinning(reference, current, { featureType: options.featureType ?? 'num', fillZeroes: false });
  const base = options.base;
  const distance = jensenShannon(bins.referencePercents, bins.currentPercents, base === undefined ? {} : { base });
  return { ...bins, distance };
}
