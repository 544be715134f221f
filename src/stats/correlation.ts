import { studentTCdf } from './distributions.js';
import { incbet } from './incomplete-beta.js';
import { StatsInputError } from './errors.js';
import { rankWithTies } from './rank.js';
import { mean, pairwiseSum } from './summation.js';
import { assertSameLength, type NumericInput, toFiniteArray } from './validate.js';

export interface CorrelationResult {
  /** NaN when either input is constant (scipy warns and returns NaN). */
  statistic: number;
  pValue: number;
  n: number;
}

/** r of two samples, computed on deviations from the mean scaled by their norms, clipped to [−1, 1]. */
function pearsonR(x: Float64Array, y: Float64Array): number {
  const mx = mean(x);
  const my = mean(y);
  const n = x.length;
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    dx[i] = (x[i] as number) - mx;
    dy[i] = (y[i] as number) - my;
  }
  const nx = Math.sqrt(pairwiseSum(dx.map((v) => v * v)));
  const ny = Math.sqrt(pairwiseSum(dy.map((v) => v * v)));
  if (nx === 0 || ny === 0) return NaN;
  const prod = new Float64Array(n);
  for (let i = 0; i < n; i++) prod[i] = ((dx[i] as number) / nx) * ((dy[i] as number) / ny);
  return Math.max(-1, Math.min(1, pairwiseSum(prod)));
}

function prepare(x: NumericInput, y: NumericInput): [Float64Array, Float64Array] {
  const a = toFiniteArray(x, 'x');
  const b = toFiniteArray(y, 'y');
  assertSameLength(a, b, 'x and y');
  if (a.length < 2) throw new StatsInputError('x and y must have length at least 2.');
  return [a, b];
}

/**
 * Pearson correlation with scipy.stats.pearsonr's two-sided p-value: under H0, (r+1)/2 follows
 * Beta(n/2 − 1, n/2 − 1), so p = 2·P(B ≥ (|r|+1)/2); n = 2 gives p = 1.
 */
export function pearson(x: NumericInput, y: NumericInput): CorrelationResult {
  const [a, b] = prepare(x, y);
  const n = a.length;
  const r = pearsonR(a, b);
  if (Number.isNaN(r)) return { statistic: NaN, pValue: NaN, n };
  if (n === 2) {
    const sign = Math.sign((a[1] as number) - (a[0] as number)) * Math.sign((b[1] as number) - (b[0] as number));
    return { statistic: sign, pValue: 1, n };
  }
  const ab = n / 2 - 1;
  // P(B ≥ (|r|+1)/2) = I_{(1−|r|)/2}(ab, ab), with the small argument formed directly.
  const p = 2 * incbet(ab, ab, (1 - Math.abs(r)) / 2, (1 + Math.abs(r)) / 2);
  return { statistic: r, pValue: Math.min(Math.max(p, 0), 1), n };
}

/**
 * Spearman rank correlation (Pearson on average ranks) with scipy.stats.spearmanr's p-value from
 * t = r·sqrt((n−2)/((r+1)(1−r))) on n − 2 degrees of freedom (|r| = 1 gives p = 0).
 */
export function spearman(x: NumericInput, y: NumericInput): CorrelationResult {
  const [a, b] = prepare(x, y);
  const n = a.length;
  const r = pearsonR(rankWithTies(a).ranks, rankWithTies(b).ranks);
  if (Number.isNaN(r)) return { statistic: NaN, pValue: NaN, n };
  const dof = n - 2;
  const t = r * Math.sqrt(Math.max(dof / ((r + 1) * (1 - r)), 0));
  const p = dof > 0 ? 2 * studentTCdf(dof, -Math.abs(t)) : NaN;
  return { statistic: r, pValue: p, n };
}

/**
 * Correlation ratio η between a categorical and a numeric variable: sqrt(SS_between / SS_total), in
 * [0, 1]. 0 when there is no variation at all (as dython's correlation_ratio).
 */
export function correlationRatio(categories: readonly (string | number)[], values: NumericInput): number {
  const v = toFiniteArray(values, 'values');
  assertSameLength(categories, v, 'categories and values');
  const total = mean(v);
  const groups = new Map<string | number, { sum: number; count: number }>();
  categories.forEach((c, i) => {
    const g = groups.get(c) ?? { sum: 0, count: 0 };
    g.sum += v[i] as number;
    g.count += 1;
    groups.set(c, g);
  });
  let between = 0;
  for (const g of groups.values()) {
    const d = g.sum / g.count - total;
    between += g.count * d * d;
  }
  let ssTotal = 0;
  for (const x of v) ssTotal += (x - total) * (x - total);
  if (between === 0) return 0;
  return Math.min(1, Math.sqrt(between / ssTotal));
}
