import { studentTCdf } from './distributions.js';
import { varianceScipy } from './moments.js';
import { mean } from './summation.js';
import { type NumericInput, toFiniteArray } from './validate.js';

export interface TTestResult {
  statistic: number;
  pValue: number;
  df: number;
}

/** p = 2·stdtr(df, −|t|) with IEEE semantics: t = ±∞ gives 0, NaN stays NaN. */
function twoSided(statistic: number, df: number): TTestResult {
  return { statistic, pValue: 2 * studentTCdf(df, -Math.abs(statistic)), df };
}

/**
 * Welch's two-sample t-test (scipy.stats.ttest_ind, equal_var=False). Variances are mean(d²)·n/(n−1)
 * and the Welch–Satterthwaite df becomes 1 when it is NaN (both samples constant), as in scipy; the
 * statistic is an IEEE division, so equal constants give NaN and different constants ±Infinity.
 */
export function welchTTest(x: NumericInput, y: NumericInput): TTestResult {
  const a = toFiniteArray(x, 'x');
  const b = toFiniteArray(y, 'y');
  const n1 = a.length;
  const n2 = b.length;
  const m1 = mean(a);
  const m2 = mean(b);
  const vn1 = varianceScipy(a, 1, m1) / n1;
  const vn2 = varianceScipy(b, 1, m2) / n2;
  const sum = vn1 + vn2;
  let df = (sum * sum) / ((vn1 * vn1) / (n1 - 1) + (vn2 * vn2) / (n2 - 1));
  if (Number.isNaN(df)) df = 1;
  const denom = Math.sqrt(vn1 + vn2);
  return twoSided((m1 - m2) / denom, df);
}

/** Student's two-sample t-test with pooled variance (scipy.stats.ttest_ind, equal_var=True). */
export function studentTTest(x: NumericInput, y: NumericInput): TTestResult {
  const a = toFiniteArray(x, 'x');
  const b = toFiniteArray(y, 'y');
  const n1 = a.length;
  const n2 = b.length;
  const m1 = mean(a);
  const m2 = mean(b);
  const v1 = varianceScipy(a, 1, m1);
  const v2 = varianceScipy(b, 1, m2);
  const df = n1 + n2 - 2;
  const svar = ((n1 - 1) * v1 + (n2 - 1) * v2) / df;
  const denom = Math.sqrt(svar * (1 / n1 + 1 / n2));
  return twoSided((m1 - m2) / denom, df);
}

/** One-sample t-test of H0: mean = popmean (scipy.stats.ttest_1samp). */
export function oneSampleTTest(x: NumericInput, popmean: number): TTestResult {
  const a = toFiniteArray(x, 'x');
  const n = a.length;
  const m = mean(a);
  const d = m - popmean;
  const v = varianceScipy(a, 1, m);
  const denom = Math.sqrt(v / n);
  return twoSided(d / denom, n - 1);
}
