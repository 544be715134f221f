import { studentTCdf } from './distributions.js';
import { StatsInputError } from './errors.js';
import { lgamma } from './special.js';

/** Density of Student's t with df degrees of freedom. */
export function studentTPdf(df: number, t: number): number {
  const logNorm = lgamma((df + 1) / 2) - lgamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(logNorm - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/**
 * Quantile of Student's t (scipy.stats.t.ppf): the t with P(T ≤ t) = p. Solved on the lower tail
 * (P(T ≤ −|t|) = min(p, 1 − p), which studentTCdf computes to full relative precision even far out) by
 * Newton steps safeguarded with bisection inside a bracket, to a few ulps.
 */
export function studentTPpf(df: number, p: number): number {
  if (!(df > 0) || !Number.isFinite(df)) throw new StatsInputError(`df must be a positive finite number, got ${df}`);
  if (!(p >= 0 && p <= 1)) throw new StatsInputError(`p must lie in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const q = Math.min(p, 1 - p);
  const tail = (t: number) => studentTCdf(df, -t);
  let lo = 0;
  let hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  let t = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const f = tail(t) - q;
    if (f === 0) break;
    if (f > 0) lo = t;
    else hi = t;
    let next = t + f / studentTPdf(df, t);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - t) <= 2 * Number.EPSILON * Math.abs(next)) {
      t = next;
      break;
    }
    t = next;
  }
  return p < 0.5 ? -t : t;
}
