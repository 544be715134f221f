import { normalSf } from './distributions.js';
import { StatsInputError } from './errors.js';
import { rankWithTies } from './rank.js';
import { pairwiseSum } from './summation.js';
import { type NumericInput, toFiniteArray } from './validate.js';

export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

export interface MannWhitneyResult {
  /** U statistic of the first sample. */
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** ~1 s of work at most: 25 ns per BigInt step, under 1 ns per double step. */
const MAX_BIGINT_WORK = 4e7;
const MAX_DOUBLE_WORK = 1e9;

/**
 * Counts f(k) of the Mann–Whitney U null distribution for k = 0 … kMax: the coefficients of the
 * Gaussian binomial [m+n choose m]_q = Π_{i=1}^{m} (1 − q^{n+i}) / (1 − q^i), truncated at degree kMax
 * (valid because both steps only look at lower degrees). Integers stay exact in doubles while the total
 * C(m+n, m) is below 2^53, and in BigInt beyond. Cost O(m·kMax).
 */
function uCountsUpTo(m: number, n: number, kMax: number): { counts: bigint[] | Float64Array; total: bigint | number } {
  let totalBig = 1n;
  for (let i = 1; i <= m; i++) totalBig = (totalBig * BigInt(n + i)) / BigInt(i);
  const exactInDoubles = totalBig < 2n ** 53n;
  // Guard against requests that would run for minutes (scipy 1.10 would exhaust memory first).
  if (m * kMax > (exactInDoubles ? MAX_DOUBLE_WORK : MAX_BIGINT_WORK)) {
    throw new StatsInputError(
      `the exact Mann–Whitney distribution for samples of ${m} and ${n} is too large to compute; use method 'asymptotic'`,
    );
  }
  if (exactInDoubles) {
    const c = new Float64Array(kMax + 1);
    c[0] = 1;
    for (let i = 1; i <= m; i++) {
      const s = n + i;
      for (let k = kMax; k >= s; k--) c[k] = (c[k] as number) - (c[k - s] as number);
      for (let k = i; k <= kMax; k++) c[k] = (c[k] as number) + (c[k - i] as number);
    }
    return { counts: c, total: Number(totalBig) };
  }
  const c: bigint[] = new Array<bigint>(kMax + 1).fill(0n);
  c[0] = 1n;
  for (let i = 1; i <= m; i++) {
    const s = n + i;
    for (let k = kMax; k >= s; k--) c[k] = (c[k] as bigint) - (c[k - s] as bigint);
    for (let k = i; k <= kMax; k++) c[k] = (c[k] as bigint) + (c[k - i] as bigint);
  }
  return { counts: c, total: totalBig };
}

/** P(U ≥ u) under H0 without ties, summed from the lighter (left) side by symmetry, as scipy's sf. */
export function mannWhitneyExactSf(u: number, n1: number, n2: number): number {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  const mn = m * n;
  if (u <= 0) return 1;
  if (u > mn) return 0;
  const kc = mn - u;
  const lower = Math.min(u, kc);
  const { counts, total } = uCountsUpTo(m, n, lower);
  if (typeof total === 'number') {
    let cum = 0;
    for (let k = 0; k <= lower; k++) cum += (counts as Float64Array)[k] as number;
    // u ≥ kc: P(U ≥ u) = P(U ≤ kc). u < kc: 1 − P(U ≤ u) + P(U = u).
    if (u >= kc) return cum / total;
    return 1 - cum / total + ((counts as Float64Array)[lower] as number) / total;
  }
  let cum = 0n;
  for (let k = 0; k <= lower; k++) cum += (counts as bigint[])[k] as bigint;
  const ratio = bigRatio(cum, total);
  if (u >= kc) return ratio;
  return 1 - ratio + bigRatio((counts as bigint[])[lower] as bigint, total);
}

/** a/b for BigInts beyond the double range, keeping ~16 significant digits. */
function bigRatio(a: bigint, b: bigint): number {
  const shift = BigInt(Math.max(0, b.toString(2).length - 1000));
  return Number(a >> shift) / Number(b >> shift);
}

/**
 * Mann–Whitney U test, two-sided with continuity correction (scipy 1.10 mannwhitneyu). 'auto' picks the
 * exact null distribution when min(n1, n2) ≤ 8 and there are no ties, as scipy. The exact p-value
 * ignores ties and truncates a half-integer U, exactly like scipy's `U.astype(int)`.
 */
export function mannWhitneyU(
  x: NumericInput,
  y: NumericInput,
  options: { method?: MannWhitneyMethod } = {},
): MannWhitneyResult {
  const a = toFiniteArray(x, 'x');
  const b = toFiniteArray(y, 'y');
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && requested !== 'exact' && requested !== 'asymptotic') {
    throw new StatsInputError(`method must be one of 'auto', 'exact', 'asymptotic'`);
  }
  const n1 = a.length;
  const n2 = b.length;
  const pooled = new Float64Array(n1 + n2);
  pooled.set(a, 0);
  pooled.set(b, n1);
  const { ranks, tieCounts } = rankWithTies(pooled);
  const r1 = pairwiseSum(ranks.subarray(0, n1));
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = Math.max(u1, u2);
  const ties = tieCounts.some((t) => t > 1);
  const method = requested === 'auto' ? ((n1 > 8 && n2 > 8) || ties ? 'asymptotic' : 'exact') : requested;

  let p: number;
  if (method === 'exact') {
    p = 2 * mannWhitneyExactSf(Math.trunc(u), n1, n2);
  } else {
    const mu = (n1 * n2) / 2;
    const n = n1 + n2;
    let tieTerm = 0;
    for (const t of tieCounts) tieTerm += t * t * t - t;
    const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    const z = (u - mu - 0.5) / s;
    p = 2 * normalSf(z);
  }
  return { statistic: u1, pValue: Math.min(Math.max(p, 0), 1), method };
}
