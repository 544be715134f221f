import { chi2Sf } from './distributions.js';
import { StatsInputError } from './errors.js';
import { pairwiseSum } from './summation.js';

export interface ChiSquareGoodnessOfFitResult {
  statistic: number;
  pValue: number;
  df: number;
  expected: number[];
}

/**
 * Pearson's χ² goodness-of-fit test of observed counts against expected proportions
 * (scipy.stats.chisquare(f_obs, f_exp = total · proportions)): Σ (o − e)² / e on k − 1 degrees of freedom.
 * The proportions are normalised to sum to 1.
 */
export function chiSquareGoodnessOfFit(observed: readonly number[], proportions: readonly number[]): ChiSquareGoodnessOfFitResult {
  const k = observed.length;
  if (k < 2) throw new StatsInputError('at least 2 categories are needed');
  if (proportions.length !== k) throw new StatsInputError(`observed and proportions must have the same length (${k} vs ${proportions.length})`);
  for (const o of observed) if (!(o >= 0) || !Number.isFinite(o)) throw new StatsInputError(`observed counts must be finite and non-negative, got ${o}`);
  for (const w of proportions) if (!(w > 0) || !Number.isFinite(w)) throw new StatsInputError(`proportions must be finite and positive, got ${w}`);
  const total = pairwiseSum(observed);
  const weightSum = pairwiseSum(proportions);
  const expected = proportions.map((w) => (total * w) / weightSum);
  if (total === 0) return { statistic: 0, pValue: 1, df: k - 1, expected };
  const statistic = pairwiseSum(observed.map((o, i) => ((o - expected[i]!) * (o - expected[i]!)) / expected[i]!));
  return { statistic, pValue: chi2Sf(k - 1, statistic), df: k - 1, expected };
}
