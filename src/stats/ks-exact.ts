// Exact two-sided two-sample Smirnov p-values, as scipy 1.10's ks_2samp(method='exact') computes them.

/**
 * P(D_{n,n} ≥ h/n) for equal sample sizes: Hodges' alternating sum of binomial ratios evaluated in
 * Horner form 2·A0·(1 − A1·(1 − A2·(1 − …))), which avoids the subtractive cancellation
 * (scipy _compute_prob_outside_square).
 */
export function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm(m,n), i.e.
 * P(D ≥ h/lcm). Viehmann's (2021) recursion carries the outside probability itself through Hodges'
 * inside method, so p-values down to 1e-300 keep full relative precision (scipy
 * _compute_outer_prob_inside_method). Memory is one column of the band: O(n) doubles.
 */
export function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  // scipy sizes A at min(2·maxj + 2, n + 1); n + 1 is the bound that needs no proof.
  const A = new Float64Array(n + 1).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + shift] as number) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1] as number;
}
