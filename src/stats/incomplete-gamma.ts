import { lgamma, log1pmx, MACHEP, MAXLOG, stirlingCorrection } from './special.js';

const MAXITER = 10000;
const BIG = 4.503599627370496e15;
const BIGINV = 2.22044604925031308085e-16;

/**
 * x^a e^{-x} / Γ(a). For a ≥ 10 the exponent is rebuilt from Stirling's series as
 * a·(log λ − λ + 1) + ½ log(a/2π) − w(a) with λ = x/a, which avoids subtracting two numbers of size
 * a·log a (Cephes' a·log x − x − lgam(a) loses ~log10(a) digits there).
 */
export function igamFactor(a: number, x: number): number {
  if (a < 10) {
    const ax = a * Math.log(x) - x - lgamma(a);
    return ax < -MAXLOG ? 0 : Math.exp(ax);
  }
  const e = a * log1pmx((x - a) / a) + 0.5 * Math.log(a / (2 * Math.PI)) - stirlingCorrection(a);
  return e < -MAXLOG ? 0 : Math.exp(e);
}

/** Regularized lower incomplete gamma P(a, x) (Cephes igam). */
export function igam(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x)) return NaN;
  if (x === 0) return 0;
  if (x < 0 || a <= 0) return NaN;
  if (x === Infinity) return 1;
  if (x > 1 && x > a) return 1 - igamc(a, x);
  return igamSeries(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x) (Cephes igamc). */
export function igamc(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x)) return NaN;
  if (x < 0 || a <= 0) return NaN;
  if (x < 1 || x < a) return 1 - igam(a, x);
  if (x === Infinity) return 0;
  const ax = igamFactor(a, x);
  if (ax === 0) return 0;
  // Continued fraction (Cephes).
  let y = 1 - a;
  let z = x + y + 1;
  let c = 0;
  let pkm2 = 1;
  let qkm2 = x;
  let pkm1 = x + 1;
  let qkm1 = z * x;
  let ans = pkm1 / qkm1;
  for (let i = 0; i < MAXITER; i++) {
    c += 1;
    y += 1;
    z += 2;
    const yc = y * c;
    const pk = pkm1 * z - pkm2 * yc;
    const qk = qkm1 * z - qkm2 * yc;
    let t = 1;
    if (qk !== 0) {
      const r = pk / qk;
      t = Math.abs((ans - r) / r);
      ans = r;
    }
    pkm2 = pkm1;
    pkm1 = pk;
    qkm2 = qkm1;
    qkm1 = qk;
    if (Math.abs(pk) > BIG) {
      pkm2 *= BIGINV;
      pkm1 *= BIGINV;
      qkm2 *= BIGINV;
      qkm1 *= BIGINV;
    }
    if (t <= MACHEP) break;
  }
  return ans * ax;
}

function igamSeries(a: number, x: number): number {
  const ax = igamFactor(a, x);
  if (ax === 0) return 0;
  let r = a;
  let c = 1;
  let ans = 1;
  for (let i = 0; i < MAXITER; i++) {
    r += 1;
    c *= x / r;
    ans += c;
    if (c <= MACHEP * ans) break;
  }
  return (ans * ax) / a;
}
