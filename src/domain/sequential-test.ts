import { combineMoments, type Interval, type Moments, msprtConfidenceInterval, msprtLogLikelihoodRatio, sampleVariance } from '../stats/index.js';

/**
 * Sequential (peeking-safe) comparison of a treatment arm with the control: the normal-mixture mSPRT of
 * Johari, Koomen, Pekelis & Walsh (2017) on the difference of means Δ = mean_T − mean_C, evaluated at
 * daily looks (the end of each UTC day of predicted_at with data, cumulatively).
 *
 * At each look: Δ̂ with variance V = s²_T/n_T + s²_C/n_C (plug-in sample variances), mixing variance
 * τ² = (tau · σ̂)² where σ̂² = V / (1/n_T + 1/n_C) is the per-observation variance those imply, so `tau`
 * is the anticipated effect in standard deviations (Cohen's d; default 0.1). Looks start once both arms
 * have `minSamples` labeled predictions (the caller passes max(minSamplesPerArm, 20)) and V > 0. The
 * always-valid p-value is the running minimum of min(1, 1/Λ) over the looks, and the confidence sequence
 * the running intersection of {θ : Λ(θ) < 1/α}; both stay valid however often they are read (Ville's
 * inequality). The variances are plug-in estimates, so the guarantee is asymptotic (as in the paper).
 */
export interface SequentialResult {
  looks: number;
  /** Δ̂ and its standard error at the latest look. */
  difference: number | null;
  standardError: number | null;
  /** Λ at the latest look. */
  likelihoodRatio: number | null;
  pValue: number | null;
  interval: Interval | null;
}

export interface DailyMoments {
  /** ISO start of the UTC day. */
  day: string;
  moments: Moments;
}

export function sequentialComparison(
  treatment: readonly DailyMoments[],
  control: readonly DailyMoments[],
  options: { tau: number; alpha: number; minSamples: number },
): SequentialResult {
  const days = [...new Set([...treatment, ...control].map((d) => d.day))].sort();
  const byDay = (rows: readonly DailyMoments[]) => new Map(rows.map((r) => [r.day, r.moments]));
  const t = byDay(treatment);
  const c = byDay(control);
  let cumT: Moments = { n: 0, mean: 0, m2: 0 };
  let cumC: Moments = { n: 0, mean: 0, m2: 0 };
  const result: SequentialResult = { looks: 0, difference: null, standardError: null, likelihoodRatio: null, pValue: null, interval: null };
  let pValue = 1;
  let interval: Interval | null = null;
  for (const day of days) {
    cumT = combineMoments([cumT, t.get(day) ?? { n: 0, mean: 0, m2: 0 }]);
    cumC = combineMoments([cumC, c.get(day) ?? { n: 0, mean: 0, m2: 0 }]);
    const look = lookAt(cumT, cumC, options);
    if (!look) continue;
    result.looks++;
    pValue = Math.min(pValue, Math.min(1, Math.exp(-look.logLambda)));
    interval = interval ? { lower: Math.max(interval.lower, look.interval.lower), upper: Math.min(interval.upper, look.interval.upper) } : look.interval;
    // An empty intersection is itself an α-probability event; fall back to the latest look's interval.
    if (interval.lower > interval.upper) interval = look.interval;
    result.difference = look.difference;
    result.standardError = Math.sqrt(look.variance);
    result.likelihoodRatio = Math.exp(look.logLambda);
  }
  if (result.looks > 0) {
    result.pValue = pValue;
    result.interval = interval;
  }
  return result;
}

function lookAt(t: Moments, c: Moments, options: { tau: number; alpha: number; minSamples: number }) {
  if (t.n < Math.max(2, options.minSamples) || c.n < Math.max(2, options.minSamples)) return null;
  const variance = sampleVariance(t) / t.n + sampleVariance(c) / c.n;
  if (!(variance > 0) || !Number.isFinite(variance)) return null;
  const perObservation = variance / (1 / t.n + 1 / c.n);
  const tau2 = options.tau * options.tau * perObservation;
  const difference = t.mean - c.mean;
  return {
    difference,
    variance,
    logLambda: msprtLogLikelihoodRatio(difference, variance, tau2),
    interval: msprtConfidenceInterval(difference, variance, tau2, options.alpha),
  };
}
