import { normalCdf, normalPpf } from './distributions.js';
import { StatsInputError } from './errors.js';
import { type NumericInput, toFiniteArray } from './validate.js';

export interface MannKendallResult {
  /** Mann–Kendall score S = Σ_{i<j} sign(x_j − x_i). */
  statistic: number;
  varS: number;
  z: number;
  pValue: number;
  /** Kendall's tau = S / (n(n−1)/2). */
  tau: number;
  /** Sen's slope: median of (x_j − x_i)/(j − i) over all pairs i < j. */
  slope: number;
  /** Sen's intercept: median(x) − median(0 … n−1)·slope. */
  intercept: number;
  trend: 'increasing' | 'decreasing' | 'no trend';
}

function medianInPlace(a: Float64Array): number {
  a.sort();
  const mid = a.length >> 1;
  return a.length % 2 ? (a[mid] as number) : ((a[mid - 1] as number) + (a[mid] as number)) / 2;
}

/**
 * Mann–Kendall trend test as pymannkendall.original_test: tie-corrected variance
 * (n(n−1)(2n+5) − Σ t(t−1)(2t+5))/18, continuity-corrected z = (S ∓ 1)/sqrt(var), two-sided
 * p = 2·(1 − Φ(|z|)) (pymannkendall's form, kept for identical p-values), trend when |z| > z_{1−α/2}.
 * O(n²) time and, for Sen's slope, O(n²) memory: meant for daily/weekly series, not raw events.
 */
export function mannKendall(series: NumericInput, options: { alpha?: number } = {}): MannKendallResult {
  const x = toFiniteArray(series, 'series', 2);
  const alpha = options.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new StatsInputError(`alpha must be in (0, 1), got ${alpha}`);
  const n = x.length;
  let s = 0;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n - 1; i++) {
    const xi = x[i] as number;
    for (let j = i + 1; j < n; j++) {
      const xj = x[j] as number;
      if (xj > xi) s++;
      else if (xj < xi) s--;
      slopes[k++] = (xj - xi) / (j - i);
    }
  }
  const sorted = x.slice().sort();
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && sorted[j + 1] === sorted[i]) j++;
    const t = j - i + 1;
    tieTerm += t * (t - 1) * (2 * t + 5);
    i = j + 1;
  }
  const varS = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  const z = s > 0 ? (s - 1) / Math.sqrt(varS) : s < 0 ? (s + 1) / Math.sqrt(varS) : 0;
  const pValue = 2 * (1 - normalCdf(Math.abs(z)));
  const h = Math.abs(z) > normalPpf(1 - alpha / 2);
  const slope = medianInPlace(slopes);
  const intercept = medianInPlace(x.slice()) - ((n - 1) / 2) * slope;
  return {
    statistic: s,
    varS,
    z,
    pValue,
    tau: s / (0.5 * n * (n - 1)),
    slope,
    intercept,
    trend: h ? (z > 0 ? 'increasing' : 'decreasing') : 'no trend',
  };
}
