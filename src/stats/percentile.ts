import { StatsInputError } from './errors.js';
import { type NumericInput, toSortedArray } from './validate.js';

/** numpy's _lerp: a + (b−a)·t below t = ½, b − (b−a)·(1−t) from ½ on (monotone and exact at the ends). */
function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Percentiles of an already sorted sample (numpy.percentile, method='linear'). */
export function percentilesOfSorted(sorted: Float64Array, qs: readonly number[]): number[] {
  const n = sorted.length;
  if (n === 0) throw new StatsInputError('x must not be empty');
  return qs.map((q) => {
    if (!(q >= 0 && q <= 100)) throw new StatsInputError(`Percentiles must be in the range [0, 100], got ${q}`);
    const v = (n - 1) * (q / 100);
    if (v >= n - 1) return sorted[n - 1] as number;
    const i = Math.floor(v);
    const g = v - i;
    return lerp(sorted[i] as number, sorted[Math.min(i + 1, n - 1)] as number, g);
  });
}

/** numpy.percentile(x, qs) with linear interpolation, one sort for all requested q (0 … 100). */
export function percentiles(x: NumericInput, qs: readonly number[]): number[] {
  return percentilesOfSorted(toSortedArray(x, 'x'), qs);
}

export function percentile(x: NumericInput, q: number): number {
  return percentiles(x, [q])[0] as number;
}
