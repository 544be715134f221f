import { StatsInputError } from './errors.js';
import { pairwiseSum } from './summation.js';

function relEntr(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a > 0 && b > 0) return a * Math.log(a / b);
  if (a === 0 && b >= 0) return 0;
  return Infinity;
}

/**
 * Jensen–Shannon distance between two nonnegative weight vectors (scipy.spatial.distance.jensenshannon):
 * both are normalised to sum 1, so a zero-sum vector yields NaN as in scipy. `base` defaults to e.
 */
export function jensenShannon(p: readonly number[], q: readonly number[], options: { base?: number } = {}): number {
  if (p.length !== q.length) throw new StatsInputError(`p and q must have the same length (${p.length} vs ${q.length})`);
  if (p.length === 0) throw new StatsInputError('p and q must not be empty');
  for (const v of [...p, ...q]) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new StatsInputError('p and q must hold finite nonnegative weights');
  }
  const sp = pairwiseSum(p);
  const sq = pairwiseSum(q);
  const left = new Float64Array(p.length);
  const right = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / sp;
    const qi = (q[i] as number) / sq;
    const m = (pi + qi) / 2;
    left[i] = relEntr(pi, m);
    right[i] = relEntr(qi, m);
  }
  let js = pairwiseSum(left) + pairwiseSum(right);
  if (options.base !== undefined) js /= Math.log(options.base);
  return Math.sqrt(js / 2);
}
