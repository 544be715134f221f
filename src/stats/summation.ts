/**
 * numpy's pairwise summation (`pairwise_sum_DOUBLE`): blocks of up to 128 values summed with eight
 * interleaved accumulators, larger ranges split in two at a multiple of 8. Reproducing it keeps sums,
 * means and variances within an ulp or two of numpy instead of drifting with n.
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i] as number;
    return res;
  }
  if (n <= 128) {
    let r0 = a[start] as number;
    let r1 = a[start + 1] as number;
    let r2 = a[start + 2] as number;
    let r3 = a[start + 3] as number;
    let r4 = a[start + 4] as number;
    let r5 = a[start + 5] as number;
    let r6 = a[start + 6] as number;
    let r7 = a[start + 7] as number;
    const end8 = n - (n % 8);
    let i = 8;
    for (; i < end8; i += 8) {
      const o = start + i;
      r0 += a[o] as number;
      r1 += a[o + 1] as number;
      r2 += a[o + 2] as number;
      r3 += a[o + 3] as number;
      r4 += a[o + 4] as number;
      r5 += a[o + 5] as number;
      r6 += a[o + 6] as number;
      r7 += a[o + 7] as number;
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.mean`: pairwise sum divided by n. */
export function mean(a: ArrayLike<number>): number {
  return pairwiseSum(a) / a.length;
}
