import { lbeta, log1pmx, MACHEP, MINLOG, stirlingCorrection } from './special.js';

// Regularized incomplete beta I_x(a, b): the Cephes incbet algorithm (power series or one of two
// continued fractions), taking x and y = 1 − x separately as TOMS 708's bratio does so that callers
// with an accurate complement (the t distribution, tt/(df+tt)) do not lose it to a rounded 1 − x.

// The complement's power series is used while a·y ≤ 3: its alternating terms then cancel by at most
// ~e³, which costs less than the continued fraction's conditioning near the mean (its value grows like
// a/(a·y + b), and so does its relative error: ≈1e-12 left at df ≈ 5e4 for the t distribution).
const PSERIES_REACH = 3;
const BIG = 4.503599627370496e15;
const BIGINV = 2.22044604925031308085e-16;
const LOG_SQRT_2PI = 0.91893853320467274178;

function logX(x: number, y: number): number {
  return x <= 0.5 ? Math.log(x) : Math.log1p(-y);
}

/**
 * log(x^a y^b / B(a, b)). With a, b ≥ 10 it uses Temme's form a·log1pmx(δa) + b·log1pmx(δb) + …, where
 * the first-order terms cancel analytically instead of numerically.
 */
function logPowerTerms(a: number, b: number, x: number, y: number): number {
  if (a >= 10 && b >= 10) {
    const s = a + b;
    const da = (x * b - y * a) / a;
    const db = (y * a - x * b) / b;
    return (
      a * log1pmx(da) +
      b * log1pmx(db) +
      0.5 * Math.log((a * b) / s) -
      LOG_SQRT_2PI -
      stirlingCorrection(a) -
      stirlingCorrection(b) +
      stirlingCorrection(s)
    );
  }
  return a * logX(x, y) + b * logX(y, x) - lbeta(a, b);
}

function pseries(a: number, b: number, x: number, y: number): number {
  const ai = 1 / a;
  let u = (1 - b) * x;
  let v = u / (a + 1);
  const t1 = v;
  let t = u;
  let n = 2;
  let s = 0;
  const z = MACHEP * ai;
  while (Math.abs(v) > z) {
    u = ((n - b) * x) / n;
    t *= u;
    v = t / (a + n);
    s += v;
    n += 1;
  }
  s += t1;
  s += ai;
  // x^a / B(a,b) = power terms without the y^b factor.
  const lg = logPowerTerms(a, b, x, y) - b * logX(y, x) + Math.log(s);
  return lg < MINLOG ? 0 : Math.exp(lg);
}

function incbcf(a: number, b: number, x: number): number {
  let k1 = a;
  let k2 = a + b;
  let k3 = a;
  let k4 = a + 1;
  let k5 = 1;
  let k6 = b - 1;
  let k7 = k4;
  let k8 = a + 2;
  return continuedFraction(() => {
    const r = [-(x * k1 * k2) / (k3 * k4), (x * k5 * k6) / (k7 * k8)] as const;
    k1 += 1;
    k2 += 1;
    k3 += 2;
    k4 += 2;
    k5 += 1;
    k6 -= 1;
    k7 += 2;
    k8 += 2;
    return r;
  });
}

function incbd(a: number, b: number, x: number, y: number): number {
  const z = x / y;
  let k1 = a;
  let k2 = b - 1;
  let k3 = a;
  let k4 = a + 1;
  let k5 = 1;
  let k6 = a + b;
  let k7 = a + 1;
  let k8 = a + 2;
  return continuedFraction(() => {
    const r = [-(z * k1 * k2) / (k3 * k4), (z * k5 * k6) / (k7 * k8)] as const;
    k1 += 1;
    k2 -= 1;
    k3 += 2;
    k4 += 2;
    k5 += 1;
    k6 += 1;
    k7 += 2;
    k8 += 2;
    return r;
  });
}

function continuedFraction(next: () => readonly [number, number]): number {
  let pkm2 = 0;
  let qkm2 = 1;
  let pkm1 = 1;
  let qkm1 = 1;
  let ans = 1;
  let r = 1;
  const thresh = 3 * MACHEP;
  for (let n = 0; n < 5000; n++) {
    const [xk1, xk2] = next();
    let pk = pkm1 + pkm2 * xk1;
    let qk = qkm1 + qkm2 * xk1;
    pkm2 = pkm1;
    pkm1 = pk;
    qkm2 = qkm1;
    qkm1 = qk;
    pk = pkm1 + pkm2 * xk2;
    qk = qkm1 + qkm2 * xk2;
    pkm2 = pkm1;
    pkm1 = pk;
    qkm2 = qkm1;
    qkm1 = qk;
    if (qk !== 0) r = pk / qk;
    let t: number;
    if (r !== 0) {
      t = Math.abs((ans - r) / r);
      ans = r;
    } else t = 1;
    if (t < thresh) break;
    if (Math.abs(qk) + Math.abs(pk) > BIG) {
      pkm2 *= BIGINV;
      pkm1 *= BIGINV;
      qkm2 *= BIGINV;
      qkm1 *= BIGINV;
    }
    if (Math.abs(qk) < BIGINV || Math.abs(pk) < BIGINV) {
      pkm2 *= BIG;
      pkm1 *= BIG;
      qkm2 *= BIG;
      qkm1 *= BIG;
    }
  }
  return ans;
}

/** I_x(a, b) with y = 1 − x supplied by the caller (pass `1 - x` when no better value is known). */
export function incbet(aa: number, bb: number, xx: number, yy: number = 1 - xx): number {
  if (Number.isNaN(aa) || Number.isNaN(bb) || Number.isNaN(xx) || Number.isNaN(yy)) return NaN;
  if (aa <= 0 || bb <= 0 || xx < 0 || xx > 1) return NaN;
  if (xx === 0) return 0;
  if (yy === 0 || xx === 1) return 1;
  if (bb * xx <= 1 && xx <= 0.95) return pseries(aa, bb, xx, yy);
  // TOMS 708 (bratio) takes the power series of the complement here; Cephes would run its continued
  // fraction near the mean, badly conditioned when a is in the thousands (Student t with large df).
  if (aa * yy <= PSERIES_REACH && yy <= 0.95) return 1 - pseries(bb, aa, yy, xx);

  let a = aa;
  let b = bb;
  let x = xx;
  let y = yy;
  let flag = false;
  if (xx > aa / (aa + bb)) {
    flag = true;
    a = bb;
    b = aa;
    x = yy;
    y = xx;
  }
  let t: number;
  if (flag && b * x <= 1 && x <= 0.95) {
    t = pseries(a, b, x, y);
  } else {
    const sel = x * (a + b - 2) - (a - 1);
    const w = sel < 0 ? incbcf(a, b, x) : incbd(a, b, x, y) / y;
    const lg = logPowerTerms(a, b, x, y) + Math.log(w / a);
    t = lg < MINLOG ? 0 : Math.exp(lg);
  }
  if (flag) t = t <= MACHEP ? 1 - MACHEP : 1 - t;
  return t;
}
