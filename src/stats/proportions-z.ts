import { normalSf } from './distributions.js';
import { StatsInputError } from './errors.js';

export interface ProportionsZTestResult {
  z: number;
  pValue: number;
  p1: number;
  p2: number;
  pPooled: number;
  se: number;
}

function checkCount(x: number, n: number, name: string): void {
  if (!Number.isInteger(n) || n <= 0) throw new StatsInputError(`${name}: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(x) || x < 0 || x > n) throw new StatsInputError(`${name}: x must be an integer in [0, n], got ${x}`);
}

/**
 * Two-sided two-sample z-test for proportions with pooled variance (statsmodels proportions_ztest's
 * default). IEEE semantics: when the pooled share is 0 or 1 the standard error is 0 and z is NaN.
 */
export function proportionsZTest(x1: number, n1: number, x2: number, n2: number): ProportionsZTestResult {
  checkCount(x1, n1, 'sample 1');
  checkCount(x2, n2, 'sample 2');
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pPooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pPooled * (1 - pPooled) * (1 / n1 + 1 / n2));
  const z = (p1 - p2) / se;
  return { z, pValue: 2 * normalSf(Math.abs(z)), p1, p2, pPooled, se };
}
