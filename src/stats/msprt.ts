import { StatsInputError } from './errors.js';
import type { Interval } from './two-sample-summary.js';

/**
 * The mixture sequential probability ratio test (mSPRT) with a normal mixture, from Johari, Koomen,
 * Pekelis & Walsh, "Peeking at A/B Tests: Why it matters, and what to do about it" (KDD 2017; extended as
 * "Always Valid Inference: Continuous Monitoring of A/B Tests", Operations Research 70(3), 2022).
 *
 * For an estimate Δ̂ ~ N(θ, V) of a difference θ (V its variance), H0: θ = θ0, and the mixing
 * distribution θ ~ N(θ0, τ²), the mixture likelihood ratio is
 *
 *   Λ = √(V / (V + τ²)) · exp( τ² (Δ̂ − θ0)² / (2 V (V + τ²)) ).
 *
 * With n observations per arm and per-observation variance σ² in each (V = 2σ²/n) this is the paper's
 * √(2σ²/(2σ² + nτ²)) · exp(n²τ²(Ȳ − X̄ − θ0)² / (4σ²(2σ² + nτ²))). Under H0, Λ is a martingale with
 * mean 1, so by Ville's inequality P(Λ_n ≥ 1/α for some n) ≤ α: the always-valid p-value
 * p_n = min(1, min_{m ≤ n} 1/Λ_m) may be read after every observation, and
 * {θ0 : Λ_n(θ0) < 1/α} is a confidence sequence, valid at all times at once.
 */

/** ln Λ (see above). */
export function msprtLogLikelihoodRatio(estimate: number, variance: number, tau2: number, theta0 = 0): number {
  check(variance, tau2);
  const d = estimate - theta0;
  return 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * d * d) / (2 * variance * (variance + tau2));
}

/** min(1, 1/Λ) at one look: what the always-valid p-value's running minimum is taken over. */
export function msprtPValue(estimate: number, variance: number, tau2: number, theta0 = 0): number {
  return Math.min(1, Math.exp(-msprtLogLikelihoodRatio(estimate, variance, tau2, theta0)));
}

/**
 * The confidence sequence at one look: the θ0 with Λ(θ0) < 1/α, i.e.
 * Δ̂ ± √( 2V(V + τ²)/τ² · (ln(1/α) + ½ ln((V + τ²)/V)) ).
 */
export function msprtConfidenceInterval(estimate: number, variance: number, tau2: number, alpha: number): Interval {
  check(variance, tau2);
  if (!(alpha > 0 && alpha < 1)) throw new StatsInputError(`alpha must lie in (0, 1), got ${alpha}`);
  const half = Math.sqrt(((2 * variance * (variance + tau2)) / tau2) * (Math.log(1 / alpha) + 0.5 * Math.log((variance + tau2) / variance)));
  return { lower: estimate - half, upper: estimate + half };
}

function check(variance: number, tau2: number): void {
  if (!(variance > 0) || !Number.isFinite(variance)) throw new StatsInputError(`variance must be positive and finite, got ${variance}`);
  if (!(tau2 > 0) || !Number.isFinite(tau2)) throw new StatsInputError(`tau² must be positive and finite, got ${tau2}`);
}
