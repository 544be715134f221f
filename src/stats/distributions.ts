import jStat from 'jstat';
import { ndtr } from './error-function.js';
import { incbet } from './incomplete-beta.js';
import { igamc } from './incomplete-gamma.js';

/** P(Z ≤ z) for a standard normal Z (scipy norm.cdf). */
export function normalCdf(z: number): number {
  return ndtr(z);
}

/** P(Z > z), computed as ndtr(−z) like scipy's norm.sf so the upper tail keeps its digits. */
export function normalSf(z: number): number {
  return ndtr(-z);
}

/**
 * Standard normal quantile. Only used for critical values (|z| > z_{1−α/2}), where jstat's
 * erfc-inverse is accurate to far more digits than a threshold needs.
 */
export function normalPpf(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/**
 * Student t CDF, scipy.special.stdtr(df, t). scipy 1.10 evaluates it with CDFLIB cumt:
 * 0.5·I_{df/(df+t²)}(df/2, ½) for t ≤ 0, passing the complement t²/(df+t²) separately; so do we.
 * Not jstat.studentt.cdf: against the reference t-test p-values it is off by up to 3e-9 relative
 * (its ibeta continued fraction stops early), where this port stays within ~1e-12 up to df = 5e4.
 */
export function studentTCdf(df: number, t: number): number {
  if (Number.isNaN(df) || Number.isNaN(t) || !(df > 0)) return NaN;
  if (t === 0) return 0.5;
  let x: number;
  let y: number;
  if (!Number.isFinite(t)) {
    x = 0;
    y = 1;
  } else {
    const tt = t * t;
    const denom = df + tt;
    x = df / denom;
    y = tt / denom;
  }
  const half = 0.5 * incbet(0.5 * df, 0.5, x, y);
  return t < 0 ? half : 1 - half;
}

/** Upper tail of the χ² distribution, scipy chi2.sf = chdtrc(df, x) = igamc(df/2, x/2). */
export function chi2Sf(df: number, x: number): number {
  if (Number.isNaN(df) || Number.isNaN(x) || !(df > 0)) return NaN;
  if (x < 0) return 1;
  if (x === Infinity) return 0;
  return igamc(0.5 * df, 0.5 * x);
}

/** Upper tail of Beta(a, b) at x (what scipy.stats.pearsonr uses for its p-value). */
export function betaSf(a: number, b: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  return incbet(b, a, 1 - x, x);
}
