import { pairwiseSum } from './summation.js';
import { type NumericInput, toSortedArray } from './validate.js';

/**
 * First Wasserstein distance between two samples with equal weights (scipy.stats.wasserstein_distance):
 * Σ |F_u − F_v|·Δ over the sorted pooled values, with the ECDFs evaluated by searchsorted(…, 'right')
 * on the pooled points. One merge walk after the sorts: O((n+m) log(n+m)).
 */
export function wassersteinDistance(u: NumericInput, v: NumericInput): number {
  const us = toSortedArray(u, 'u');
  const vs = toSortedArray(v, 'v');
  return wassersteinSorted(us, vs);
}

export function wassersteinSorted(us: Float64Array, vs: Float64Array): number {
  const n = us.length;
  const m = vs.length;
  const all = new Float64Array(n + m);
  // Merge the two sorted samples.
  for (let i = 0, j = 0, k = 0; k < n + m; k++) {
    if (j >= m || (i < n && (us[i] as number) <= (vs[j] as number))) all[k] = us[i++] as number;
    else all[k] = vs[j++] as number;
  }
  const terms = new Float64Array(Math.max(n + m - 1, 0));
  let iu = 0;
  let iv = 0;
  for (let k = 0; k < n + m - 1; k++) {
    const x = all[k] as number;
    while (iu < n && (us[iu] as number) <= x) iu++;
    while (iv < m && (vs[iv] as number) <= x) iv++;
    terms[k] = Math.abs(iu / n - iv / m) * ((all[k + 1] as number) - x);
  }
  return pairwiseSum(terms);
}
