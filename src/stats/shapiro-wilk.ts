import { StatsInputError } from './errors.js';
import { asinf, expf, logf } from './float32-libm.js';
import { median } from './moments.js';
import { type NumericInput, toFiniteArray } from './validate.js';

// Shapiro–Wilk W test, algorithm AS R94 (Royston 1995) exactly as scipy 1.10 runs it: the Fortran
// routine swilk works in REAL (float32), so every operation below is rounded with Math.fround, the
// constants are float32, LOG/EXP/ASIN are glibc's float functions, and only the final normal tail
// (ALNORM) is double. This reproduces scipy's W and p bit for bit (all reference cases, and 3000/3000
// random samples against the compiled Fortran) where a double-precision port drifts by up to 3e-6 in W
// and 1e-3 in p.

const f = Math.fround;

const C1 = [0.0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056].map(f);
const C2 = [0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633].map(f);
const C3 = [0.544, -0.39978, 0.025054, -6.714e-4].map(f);
const C4 = [1.3822, -0.77857, 0.062767, -0.0020322].map(f);
const C5 = [-1.5861, -0.31082, -0.083751, 0.0038915].map(f);
const C6 = [-0.4803, -0.082676, 0.0030302].map(f);
const G = [-2.273, 0.459].map(f);
const SQRTH = f(0.70711);
const TH = f(0.375);
const SMALL = f(1e-19);
const PI6 = f(1.909859);
const STQR = f(1.047198);

/** AS 181.2 POLY in float32: c[0] + c[1]x + … evaluated by Horner from the top. */
function poly(c: readonly number[], x: number): number {
  const nord = c.length;
  let result = c[0] as number;
  if (nord === 1) return result;
  let p = f(x * (c[nord - 1] as number));
  for (let j = nord - 2; j >= 1; j--) p = f(f(p + (c[j] as number)) * x);
  result = f(result + p);
  return result;
}

const PA = [2.50662823884, -18.61500062529, 41.39119773534, -25.44106049637].map(f);
const PB = [-8.4735109309, 23.08336743743, -21.06224101826, 3.13082909833].map(f);
const PC = [-2.78718931138, -2.29796479134, 4.85014127135, 2.32121276858].map(f);
const PD = [3.54388924762, 1.63706781897].map(f);

/** AS 111 PPND, the single-precision normal quantile swilk uses for its coefficients. */
function ppnd(p: number): number {
  const q = f(p - 0.5);
  if (Math.abs(q) <= f(0.42)) {
    const r = f(q * q);
    const num = f(f(f(f(f(f(PA[3] as number) * r) + (PA[2] as number)) * r) + (PA[1] as number)) * r);
    const numer = f(num + (PA[0] as number));
    let den = f(f(PB[3] as number) * r);
    den = f(f(f(f(f(den + (PB[2] as number)) * r) + (PB[1] as number)) * r) + (PB[0] as number));
    den = f(f(den * r) + 1);
    return f(f(q * numer) / den);
  }
  let r = q > 0 ? f(1 - p) : p;
  if (r <= 0) return 0;
  r = f(Math.sqrt(f(-logf(r))));
  const numer = f(f(f(f(f(f(PC[3] as number) * r) + (PC[2] as number)) * r) + (PC[1] as number)) * r);
  const num = f(numer + (PC[0] as number));
  const den = f(f(f(f(f(PD[1] as number) * r) + (PD[0] as number)) * r) + 1);
  const val = f(num / den);
  return q < 0 ? -val : val;
}

/** AS 66 ALNORM (double precision), upper tail of the standard normal. */
function alnormUpper(x: number): number {
  let up = true;
  let z = x;
  if (z < 0) {
    up = false;
    z = -z;
  }
  let result: number;
  if (!(z <= 7 || (up && z <= 38))) result = 0;
  else {
    const y = 0.5 * z * z;
    if (z > 1.28) {
      result =
        (0.398942280385 * Math.exp(-y)) /
        (z - 3.8052e-8 + 1.00000615302 / (z + 3.98064794e-4 + 1.98615381364 / (z - 0.151679116635 +
          5.29330324926 / (z + 4.8385912808 - 15.1508972451 / (z + 0.742380924027 + 30.789933034 / (z + 3.99019417011))))));
    } else {
      result = 0.5 - z * (0.398942280444 - (0.399903438504 * y) / (y + 5.75885480458 - 29.8213557808 / (y + 2.62433121679 + 48.6959930692 / (y + 5.92885724438))));
    }
  }
  return up ? result : 1 - result;
}

export interface ShapiroWilkResult {
  statistic: number;
  pValue: number;
}

/**
 * Shapiro–Wilk normality test (scipy.stats.shapiro, scipy 1.10.1). Needs n ≥ 3; n > 5000 is computed
 * but Royston's p-value approximation is not validated there. A constant sample gives W = 1, p = 1
 * (scipy warns). For n = 3 the exact p is not clamped, so a tie can yield a tiny negative p as in scipy.
 */
export function shapiroWilk(values: NumericInput): ShapiroWilkResult {
  const x = toFiniteArray(values, 'x');
  const n = x.length;
  if (n < 3) throw new StatsInputError('Data must be at least length 3.');
  const med = median(x);
  const y = new Float32Array(n);
  const centred = x.map((v) => v - med).sort();
  for (let i = 0; i < n; i++) y[i] = centred[i] as number;

  const nn2 = Math.floor(n / 2);
  const a = new Float32Array(nn2);
  const an = f(n);
  if (n === 3) a[0] = SQRTH;
  else {
    const an25 = f(an + f(0.25));
    let summ2 = 0;
    for (let i = 1; i <= nn2; i++) {
      const ai = ppnd(f(f(f(i) - TH) / an25));
      a[i - 1] = ai;
      summ2 = f(summ2 + f(ai * ai));
    }
    summ2 = f(summ2 * 2);
    const ssumm2 = f(Math.sqrt(summ2));
    const rsn = f(1 / f(Math.sqrt(an)));
    const a0 = a[0] as number;
    const a1 = f(poly(C1, rsn) - f(a0 / ssumm2));
    let i1: number;
    let fac: number;
    if (n > 5) {
      i1 = 3;
      const a1v = a[1] as number;
      const a2 = f(f(-a1v / ssumm2) + poly(C2, rsn));
      const numer = f(f(summ2 - f(2 * f(a0 * a0))) - f(2 * f(a1v * a1v)));
      const denom = f(f(1 - f(2 * f(a1 * a1))) - f(2 * f(a2 * a2)));
      fac = f(Math.sqrt(f(numer / denom)));
      a[0] = a1;
      a[1] = a2;
    } else {
      i1 = 2;
      fac = f(Math.sqrt(f(f(summ2 - f(2 * f(a0 * a0))) / f(1 - f(2 * f(a1 * a1))))));
      a[0] = a1;
    }
    for (let i = i1; i <= nn2; i++) a[i - 1] = f(-(a[i - 1] as number) / fac);
  }

  const range = f((y[n - 1] as number) - (y[0] as number));
  if (range < SMALL) return { statistic: 1, pValue: 1 };

  const coef = (i: number, j: number): number => Math.sign(i - j) * (a[Math.min(i, j) - 1] as number);
  let xx = f((y[0] as number) / range);
  let sx = xx;
  let sa = -(a[0] as number);
  for (let i = 2, j = n - 1; i <= n; i++, j--) {
    const xi = f((y[i - 1] as number) / range);
    sx = f(sx + xi);
    if (i !== j) sa = f(sa + coef(i, j));
    xx = xi;
  }
  sa = f(sa / n);
  sx = f(sx / n);
  let ssa = 0;
  let ssx = 0;
  let sax = 0;
  for (let i = 1, j = n; i <= n; i++, j--) {
    const asa = i !== j ? f(coef(i, j) - sa) : -sa;
    const xsx = f(f((y[i - 1] as number) / range) - sx);
    ssa = f(ssa + f(asa * asa));
    ssx = f(ssx + f(xsx * xsx));
    sax = f(sax + f(asa * xsx));
  }
  const ssassx = f(Math.sqrt(f(ssa * ssx)));
  const w1 = f(f(f(ssassx - sax) * f(ssassx + sax)) / f(ssa * ssx));
  const w = f(1 - w1);

  if (n === 3) return { statistic: w, pValue: f(PI6 * f(asinf(f(Math.sqrt(w))) - STQR)) };
  let yv = logf(w1);
  const lx = logf(an);
  let m: number;
  let s: number;
  if (n <= 11) {
    const gamma = poly(G, an);
    if (yv >= gamma) return { statistic: w, pValue: SMALL };
    yv = f(-logf(f(gamma - yv)));
    m = poly(C3, an);
    s = expf(poly(C4, an));
  } else {
    m = poly(C5, lx);
    s = expf(poly(C6, lx));
  }
  return { statistic: w, pValue: f(alnormUpper(f(f(yv - m) / s))) };
}
