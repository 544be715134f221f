import { studentTCdf } from '../stats/index.js';
import type { Reasons } from './performance-metrics.js';

/**
 * Shape of a residual distribution from the central moment sums SQL computes (Σd², Σd³, Σd⁴ with
 * d = x − mean), with scipy's definitions: std with ddof 1; skewness m3/m2^1.5 and kurtosis m4/m2² − 3
 * (biased, Fisher), both undefined when m2 ≤ (1e-15·mean)² (constant residuals, scipy's NaN); the bias
 * test is scipy.stats.ttest_1samp against 0: t = mean / sqrt(var/n), var = m2·n/(n − 1), df = n − 1,
 * p = 2·stdtr(df, −|t|). test/routes/errors.test.ts checks these against src/stats on the residuals.
 */
export interface ResidualMoments {
  n: number;
  mean: number;
  s2: number;
  s3: number;
  s4: number;
}

export interface ResidualShape {
  std: number | null;
  skewness: number | null;
  kurtosis: number | null;
  bias: { test: 'one-sample-t'; statistic: number | null; pValue: number | null; df: number } | null;
}

const RESOLUTION = 1e-15;

export function residualShape(m: ResidualMoments, reasons: Reasons): ResidualShape {
  const { n, mean } = m;
  const m2 = m.s2 / n;
  const degenerate = m2 <= (RESOLUTION * mean) ** 2;
  let skewness: number | null = null;
  let kurtosis: number | null = null;
  if (degenerate) {
    reasons.skewness = reasons.kurtosis = 'the residuals are constant';
  } else {
    skewness = m.s3 / n / m2 ** 1.5;
    kurtosis = m.s4 / n / m2 ** 2 - 3;
  }
  if (n < 2) {
    reasons.std = reasons.bias = 'needs at least 2 residuals';
    return { std: null, skewness, kurtosis, bias: null };
  }
  const variance = m2 * (n / (n - 1));
  const std = Math.sqrt(m.s2 / (n - 1));
  const t = mean / Math.sqrt(variance / n);
  let bias: ResidualShape['bias'] = { test: 'one-sample-t', statistic: t, pValue: 2 * studentTCdf(n - 1, -Math.abs(t)), df: n - 1 };
  if (!Number.isFinite(t)) {
    reasons['bias.statistic'] = `the residuals are constant (${mean}): the t statistic is ${Number.isNaN(t) ? 'undefined' : 'infinite'}`;
    bias = { ...bias, statistic: null, pValue: Number.isNaN(t) ? null : 0 };
    if (Number.isNaN(t)) reasons['bias.pValue'] = 'every residual is 0';
  }
  return { std, skewness, kurtosis, bias };
}
