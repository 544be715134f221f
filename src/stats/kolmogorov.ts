import { kolmogorovCdfDurbin, kolmogorovCdfPomeranz } from './kolmogorov-matrix.js';
import { lgamma, MINLOG, polevl, stirlingCorrection } from './special.js';

// The exact distribution of the two-sided one-sample Kolmogorov statistic D_n (scipy's `kstwo`),
// which ks_2samp's 'asymp' method evaluates at n = round(n1·n2/(n1+n2)). The choice between exact
// algorithms and approximations follows Simard & L'Ecuyer (2011) exactly as scipy's _kolmogn does, so
// the same (n, d) lands in the same branch.

const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const LOG_SQRT_2PI = 0.5 * LOG_2PI;
const SQRT3 = Math.sqrt(3);
const STIRLING = [
  -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
];

function clip01(p: number): number {
  return Math.min(Math.max(p, 0), 1);
}

/** log(n!/n^n) via Stirling with n·log n removed up front (scipy _log_nfactorial_div_n_pow_n). */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * polevl(rn / n, STIRLING);
}

/** Loader's stirlerr(n) = log n! − [(n+½)log n − n + ½log 2π]. */
function stirlerr(n: number): number {
  if (n >= 10) return stirlingCorrection(n);
  return lgamma(n + 1) - (n + 0.5) * Math.log(n) + n - LOG_SQRT_2PI;
}

/** Loader's deviance term bd0(x, np) = x·log(x/np) + np − x, by series when x ≈ np. */
function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / np) + np - x;
}

/**
 * log of the binomial probability C(n,x) p^x q^(n−x) given n·p and n·q (Loader 2000, as R's dbinom):
 * the log-factorials never appear as such, so the result keeps ~1e-15 absolute accuracy even when they
 * are ~1e5 (naive lgamma differences lose 1e-11 there).
 */
function logBinomialProbability(x: number, n: number, np: number, nq: number): number {
  if (x === 0) return np / n < 0.1 ? -bd0(n, nq) - np : n * Math.log(nq / n);
  if (x === n) return nq / n < 0.1 ? -bd0(n, np) - nq : n * Math.log(np / n);
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, np) - bd0(n - x, nq);
  const lf = LOG_2PI + Math.log(x) + Math.log1p(-x / n);
  return lc - 0.5 * lf;
}

/**
 * One-sided Smirnov upper tail P(D+_n ≥ d) = d·Σ_{v=0}^{⌊n(1−d)⌋} C(n,v)(d+v/n)^{v−1}(1−d−v/n)^{n−v}.
 * Each term is a binomial probability b(v; n, d+v/n) divided by d+v/n; all are positive, so summing
 * them scaled by the largest keeps ~1e-14 relative accuracy for any n.
 */
export function smirnovSf(n: number, d: number): number {
  if (Number.isNaN(d)) return NaN;
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  if (n === 1) return 1 - d;
  const nd = n * d;
  const nOmd = n * (1 - d);
  const nn = Math.floor(nOmd);
  const logs: number[] = [];
  let maxLog = -Infinity;
  for (let v = 0; v <= nn; v++) {
    const np = nd + v;
    const nq = nOmd - v;
    if (!(nq > 0)) continue;
    const lt = logBinomialProbability(v, n, np, nq) - Math.log(np / n);
    logs.push(lt);
    if (lt > maxLog) maxLog = lt;
  }
  if (logs.length === 0) return 0;
  let s = 0;
  for (const lt of logs) s += Math.exp(lt - maxLog);
  const total = Math.log(s) + maxLog + Math.log(d);
  return total < MINLOG ? 0 : Math.exp(total);
}

/** Pelz–Good approximation to Pr(D_n ≤ x) (scipy _kolmogn_PelzGood). */
function kolmogorovCdfPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qpower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qpower + (coeffs[i] as number);
  }
  const denoms = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT2PI) / (denoms[i] as number);

  q = Math.exp(-PI2 / 2 / z2);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ks2 = k * k;
    const kspi = Math.PI * k;
    const qp = q ** ks2;
    k2extra += ks2 * qp;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
  }
  K[2] = (K[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] = (K[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += (K[i] as number) / n ** (i / 2);
  return sum;
}

/** P(D_n ≥ x): survival function of scipy's kstwo (Simard–L'Ecuyer dispatch of _kolmogn, cdf=False). */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (Number.isNaN(x)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));

  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip01(1 - kolmogorovCdfDurbin(n, x));
    if (nx2 <= 4) return clip01(1 - kolmogorovCdfPomeranz(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  let cdf: number;
  if (nx2 >= 18) cdf = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdf = kolmogorovCdfDurbin(n, x);
  else cdf = kolmogorovCdfPelzGood(n, x);
  return clip01(1 - cdf);
}
