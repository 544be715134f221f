import { normalPpf, normalSf, studentTCdf } from './distributions.js';
import { StatsInputError } from './errors.js';
import { proportionsZTest } from './proportions-z.js';
import { studentTPpf } from './student-t-quantile.js';

/** A sample reduced to what mean comparisons need: size, mean and the sum of squared deviations (M2). */
export interface Moments {
  n: number;
  mean: number;
  /** Σ (x − mean)². */
  m2: number;
}

/** Unbiased variance M2 / (n − 1) (scipy's ddof=1); NaN under 2 values. */
export const sampleVariance = (m: Moments) => (m.n > 1 ? m.m2 / (m.n - 1) : NaN);

export function momentsOf(values: readonly number[]): Moments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const x of values) {
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  return { n, mean, m2 };
}

/** Merges the moments of disjoint samples (Chan, Golub & LeVeque's pairwise update), in order. */
export function combineMoments(parts: readonly Moments[]): Moments {
  let acc: Moments = { n: 0, mean: 0, m2: 0 };
  for (const b of parts) {
    if (b.n === 0) continue;
    if (acc.n === 0) {
      acc = { ...b };
      continue;
    }
    const n = acc.n + b.n;
    const delta = b.mean - acc.mean;
    acc = { n, mean: acc.mean + (delta * b.n) / n, m2: acc.m2 + b.m2 + (delta * delta * acc.n * b.n) / n };
  }
  return acc;
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface DifferenceTest {
  /** treatment − control. */
  difference: number;
  standardError: number;
  statistic: number;
  pValue: number;
  /** Welch–Satterthwaite degrees of freedom (t-test only). */
  df: number | null;
  interval: Interval;
}

/**
 * Welch's t-test of treatment − control from moments: the statistic, df and two-sided p of
 * scipy.stats.ttest_ind(treatment, control, equal_var=False), and its confidence interval
 * (scipy ≥ 1.11 TtestResult.confidence_interval): difference ± t_{df, (1 + confidence)/2} · se.
 */
export function welchFromMoments(treatment: Moments, control: Moments, confidence: number): DifferenceTest {
  checkConfidence(confidence);
  const vn1 = sampleVariance(treatment) / treatment.n;
  const vn2 = sampleVariance(control) / control.n;
  const sum = vn1 + vn2;
  let df = (sum * sum) / ((vn1 * vn1) / (treatment.n - 1) + (vn2 * vn2) / (control.n - 1));
  if (Number.isNaN(df)) df = 1;
  const difference = treatment.mean - control.mean;
  const standardError = Math.sqrt(sum);
  const statistic = difference / standardError;
  const pValue = 2 * studentTCdf(df, -Math.abs(statistic));
  const half = Number.isFinite(df) && standardError > 0 ? studentTPpf(df, (1 + confidence) / 2) * standardError : 0;
  return { difference, standardError, statistic, pValue, df, interval: { lower: difference - half, upper: difference + half } };
}

/**
 * Two-proportion z-test of treatment − control (pooled standard error, statsmodels proportions_ztest's
 * default, as proportionsZTest) with the Wald interval of the difference (unpooled standard error,
 * statsmodels confint_proportions_2indep(method="wald")): difference ± z_{(1 + confidence)/2} · se.
 */
export function proportionsFromCounts(xT: number, nT: number, xC: number, nC: number, confidence: number): DifferenceTest {
  checkConfidence(confidence);
  const z = proportionsZTest(xT, nT, xC, nC);
  const difference = z.p1 - z.p2;
  const unpooled = Math.sqrt((z.p1 * (1 - z.p1)) / nT + (z.p2 * (1 - z.p2)) / nC);
  const half = normalPpf((1 + confidence) / 2) * unpooled;
  return { difference, standardError: z.se, statistic: z.z, pValue: z.pValue, df: null, interval: { lower: difference - half, upper: difference + half } };
}

/** Two-sided p of a z statistic. */
export const twoSidedNormalP = (z: number) => 2 * normalSf(Math.abs(z));

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new StatsInputError(`confidence must lie in (0, 1), got ${confidence}`);
}
