import { StatsInputError } from './errors.js';
import { mean, pairwiseSum } from './summation.js';
import { type NumericInput, toFiniteArray } from './validate.js';

/** np.finfo(float64).resolution, scipy's threshold for "the variance is rounding noise". */
const RESOLUTION = 1e-15;

/** Central moments m2, m3, m4 exactly as scipy's _moment forms them (d², d²·d, (d²)²; pairwise means). */
export function centralMoments(a: Float64Array, avg = mean(a)): { m2: number; m3: number; m4: number } {
  const n = a.length;
  const d2 = new Float64Array(n);
  const d3 = new Float64Array(n);
  const d4 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - avg;
    const sq = d * d;
    d2[i] = sq;
    d3[i] = sq * d;
    d4[i] = sq * sq;
  }
  return { m2: pairwiseSum(d2) / n, m3: pairwiseSum(d3) / n, m4: pairwiseSum(d4) / n };
}

/** scipy's variance helper for the t-tests: mean(d²)·n/(n−ddof) (not sum/(n−1)). */
export function varianceScipy(a: Float64Array, ddof: number, avg = mean(a)): number {
  const n = a.length;
  let v = sumSquaredDeviations(a, avg) / n;
  if (ddof !== 0) v *= n / (n - ddof);
  return v;
}

function isDegenerate(m2: number, avg: number): boolean {
  const r = RESOLUTION * avg;
  return m2 <= r * r;
}

/**
 * Sample skewness, scipy.stats.skew. NaN when the variance is below rounding noise for the data's mean
 * (constant or nearly constant input); with bias=false the adjusted G1 needs n > 2 and otherwise the
 * biased value is returned, as scipy does.
 */
export function skew(x: NumericInput, options: { bias?: boolean } = {}): number {
  const a = toFiniteArray(x, 'x');
  const n = a.length;
  const avg = mean(a);
  const { m2, m3 } = centralMoments(a, avg);
  if (isDegenerate(m2, avg)) return NaN;
  if (options.bias === false && n > 2) return ((Math.sqrt((n - 1) * n) / (n - 2)) * m3) / m2 ** 1.5;
  return m3 / m2 ** 1.5;
}

/**
 * Sample kurtosis, scipy.stats.kurtosis (Fisher's definition by default, so a normal sample gives 0).
 * bias=false applies the adjustment when n > 3 and keeps scipy's order of operations ((G2 + 3) − 3).
 */
export function kurtosis(x: NumericInput, options: { bias?: boolean; fisher?: boolean } = {}): number {
  const a = toFiniteArray(x, 'x');
  const n = a.length;
  const avg = mean(a);
  const { m2, m4 } = centralMoments(a, avg);
  if (isDegenerate(m2, avg)) return NaN;
  let vals = m4 / (m2 * m2);
  if (options.bias === false && n > 3) {
    const nval = (1 / (n - 2) / (n - 3)) * (((n * n - 1) * m4) / (m2 * m2) - 3 * (n - 1) * (n - 1));
    vals = nval + 3;
  }
  return options.fisher === false ? vals : vals - 3;
}

/** numpy median (mean of the two middle values for even n). */
export function median(x: NumericInput): number {
  const a = toFiniteArray(x, 'x').sort();
  const n = a.length;
  const mid = Math.floor(n / 2);
  if (n % 2) return a[mid] as number;
  return ((a[mid - 1] as number) + (a[mid] as number)) / 2;
}

/** numpy's std: sqrt(Σ(x − mean)² / (n − ddof)), pairwise-summed. */
export function standardDeviation(x: NumericInput, options: { ddof?: number } = {}): number {
  const a = toFiniteArray(x, 'x');
  const ddof = options.ddof ?? 0;
  if (!(ddof >= 0 && ddof < a.length)) throw new StatsInputError(`ddof must be in [0, n), got ${ddof}`);
  return Math.sqrt(sumSquaredDeviations(a, mean(a)) / (a.length - ddof));
}

export function sumSquaredDeviations(a: Float64Array, avg: number): number {
  const d2 = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - avg;
    d2[i] = d * d;
  }
  return pairwiseSum(d2);
}
