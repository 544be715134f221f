import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  chiSquareGoodnessOfFit,
  combineMoments,
  momentsOf,
  msprtConfidenceInterval,
  msprtLogLikelihoodRatio,
  msprtPValue,
  normalCdf,
  normalPpf,
  proportionsFromCounts,
  studentTCdf,
  studentTPpf,
  welchFromMoments,
  welchTTest,
} from '../../src/stats/index.js';
import { closeTo } from './tolerance.js';

const rel = (a: number, b: number, tol = 1e-10) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.abs(b) + 1e-14);

interface Case { name: string; test: string; inputs: Record<string, any>; expected: Record<string, any> }
const cases = (JSON.parse(readFileSync(new URL('../fixtures/stats-public.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;

describe('studentTPpf', () => {
  it('inverts the t distribution exactly where closed forms exist (df 1: tan(π(p − ½)); df 2: (2p − 1)/√(2p(1 − p)))', () => {
    for (const p of [0.001, 0.2, 0.6, 0.975, 0.9999]) {
      rel(studentTPpf(1, p), Math.tan(Math.PI * (p - 0.5)), 1e-12);
      rel(studentTPpf(2, p), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-12);
    }
  });

  it('matches scipy.stats.t.ppf (values from scipy 1.17)', () => {
    const ref: [number, number, number][] = [
      [3, 0.995, 5.840909309733355],
      [4.767620880449433, 0.975, 2.608728178450732],
      [10, 0.975, 2.228138851986274],
      [24.228989604990574, 0.95, 1.7102335960995054],
      [1000, 0.9995, 3.300282648423944],
      [0.5, 0.9, 10.27032441023451],
      [30, 0.001, -3.385184866829305],
    ];
    for (const [df, p, t] of ref) rel(studentTPpf(df, p), t, 1e-11);
  });

  it('round-trips through the CDF and tends to the normal quantile', () => {
    for (const df of [1.5, 7, 60]) for (const p of [1e-8, 0.01, 0.3, 0.95]) rel(studentTCdf(df, studentTPpf(df, p)), p, 1e-11);
    rel(studentTPpf(1e7, 0.975), normalPpf(0.975), 1e-6);
    expect(studentTPpf(5, 0.5)).toBe(0);
  });
});

describe('two-sample comparisons from moments', () => {
  it('moments merge exactly like the whole sample', () => {
    const xs = Array.from({ length: 101 }, (_, i) => Math.sin(i) * 10 + i / 7);
    const whole = momentsOf(xs);
    const merged = combineMoments([momentsOf(xs.slice(0, 13)), momentsOf([]), momentsOf(xs.slice(13, 60)), momentsOf(xs.slice(60))]);
    expect(merged.n).toBe(101);
    rel(merged.mean, whole.mean, 1e-13);
    rel(merged.m2, whole.m2, 1e-12);
  });

  it('Welch from moments reproduces scipy ttest_ind(equal_var=False) on the reference cases, and its confidence interval', () => {
    const intervals: Record<string, [number, number, number, number]> = {
      // scipy 1.17 ttest_ind(x, y, equal_var=False).confidence_interval(0.95) and (0.90)
      'ttest_ind/tiny': [-3.999126810845824, 4.193293477512491, -3.1013210852410213, 3.295487751907687],
      'ttest_ind/ties_integers': [-2.4401681073311208, 0.17350144066445305, -2.2167734858236816, -0.049893180842985885],
      'ttest_ind/clearly_different_unequal_var': [-2.787885599099097, -0.5695374509009028, -2.6030103966882887, -0.7544126533117111],
      'ttest_ind/large': [-0.3149528177119, -0.00695038128809769, -0.290180697822208, -0.031722501177789714],
    };
    for (const c of cases.filter((k) => k.test === 'ttest_ind' && !k.name.includes('constant'))) {
      const x = c.inputs.x as number[];
      const y = c.inputs.y as number[];
      const r = welchFromMoments(momentsOf(x), momentsOf(y), 0.95);
      const e = c.expected.welch;
      expect(closeTo(r.statistic, e.statistic, 1e-9), `${c.name} t ${r.statistic}`).toBe(true);
      expect(closeTo(r.pValue, e.pvalue, 1e-9), `${c.name} p ${r.pValue}`).toBe(true);
      expect(closeTo(r.df!, e.df, 1e-9), `${c.name} df`).toBe(true);
      const ci = intervals[c.name];
      if (ci) {
        rel(r.interval.lower, ci[0], 1e-9);
        rel(r.interval.upper, ci[1], 1e-9);
        const r90 = welchFromMoments(momentsOf(x), momentsOf(y), 0.9);
        rel(r90.interval.lower, ci[2], 1e-9);
        rel(r90.interval.upper, ci[3], 1e-9);
      }
      expect(closeTo(r.statistic, welchTTest(x, y).statistic, 1e-9)).toBe(true);
    }
  });

  it('two proportions: the z-test of proportions_ztest and the Wald interval of the difference', () => {
    for (const c of cases.filter((k) => k.test === 'proportions_ztest')) {
      const { x1, n1, x2, n2 } = c.inputs as Record<string, number>;
      const r = proportionsFromCounts(x1!, n1!, x2!, n2!, 0.95);
      expect(closeTo(r.statistic, c.expected.z), `${c.name} z`).toBe(true);
      expect(closeTo(r.pValue, c.expected.pvalue), `${c.name} p`).toBe(true);
    }
    // 96/800 vs 210/700: 0.12 − 0.30 ± 1.959963984540054 · √(0.12·0.88/800 + 0.3·0.7/700)
    const r = proportionsFromCounts(96, 800, 210, 700, 0.95);
    const half = 1.959963984540054 * Math.sqrt((0.12 * 0.88) / 800 + (0.3 * 0.7) / 700);
    rel(r.difference, -0.18, 1e-14);
    rel(r.interval.lower, -0.18 - half, 1e-12);
    rel(r.interval.upper, -0.18 + half, 1e-12);
  });
});

describe('chiSquareGoodnessOfFit', () => {
  it('matches scipy.stats.chisquare', () => {
    const a = chiSquareGoodnessOfFit([10, 20, 30], [1, 1, 1]);
    rel(a.statistic, 10, 1e-14);
    rel(a.pValue, 0.006737946999085468, 1e-12); // = e^−5 (χ² with 2 df)
    const b = chiSquareGoodnessOfFit([480, 520], [0.5, 0.5]);
    rel(b.pValue, 0.20590321073206466, 1e-12);
    const c = chiSquareGoodnessOfFit([5200, 4800, 10000], [0.25, 0.25, 0.5]);
    rel(c.statistic, 16, 1e-13);
    rel(c.pValue, 0.0003354626279025119, 1e-12);
    expect(c.df).toBe(2);
  });

  it('with two categories equals the squared one-sample proportion z-test', () => {
    const r = chiSquareGoodnessOfFit([430, 570], [0.4, 0.6]);
    const z = (430 - 400) / Math.sqrt(1000 * 0.4 * 0.6);
    rel(r.statistic, z * z, 1e-12);
    rel(r.pValue, 2 * (1 - normalCdf(Math.abs(z))), 1e-9);
  });
});

describe('mSPRT (Johari et al. 2017, normal mixture)', () => {
  it('is the ratio of the mixture marginal likelihood to the null likelihood (numerical integration)', () => {
    const phi = (x: number, sd: number) => Math.exp((-x * x) / (2 * sd * sd)) / (sd * Math.sqrt(2 * Math.PI));
    for (const [est, v, tau2] of [[0.03, 0.0004, 0.0009], [-1.2, 0.5, 0.1], [0, 1, 4]] as const) {
      const tau = Math.sqrt(tau2);
      let integral = 0;
      const steps = 200_000;
      const lo = -12 * tau;
      const h = (24 * tau) / steps;
      for (let i = 0; i <= steps; i++) {
        const theta = lo + i * h;
        const w = i === 0 || i === steps ? 0.5 : 1;
        integral += w * phi(est - theta, Math.sqrt(v)) * phi(theta, tau) * h;
      }
      rel(Math.exp(msprtLogLikelihoodRatio(est, v, tau2)), integral / phi(est, Math.sqrt(v)), 1e-8);
    }
  });

  it('equals the paper’s two-sample form with n per arm: √(2σ²/(2σ²+nτ²))·exp(n²τ²Δ²/(4σ²(2σ²+nτ²)))', () => {
    const [n, s2, tau2, delta] = [400, 0.23, 0.0025, 0.04];
    const paper = Math.sqrt((2 * s2) / (2 * s2 + n * tau2)) * Math.exp((n * n * tau2 * delta * delta) / (4 * s2 * (2 * s2 + n * tau2)));
    rel(Math.exp(msprtLogLikelihoodRatio(delta, (2 * s2) / n, tau2)), paper, 1e-12);
  });

  it('its confidence interval is where Λ(θ0) = 1/α, and p = min(1, 1/Λ)', () => {
    const [est, v, tau2, alpha] = [0.05, 0.0003, 0.001, 0.05];
    const ci = msprtConfidenceInterval(est, v, tau2, alpha);
    rel(msprtLogLikelihoodRatio(est, v, tau2, ci.lower), Math.log(1 / alpha), 1e-10);
    rel(msprtLogLikelihoodRatio(est, v, tau2, ci.upper), Math.log(1 / alpha), 1e-10);
    rel(msprtPValue(est, v, tau2), Math.exp(-msprtLogLikelihoodRatio(est, v, tau2)), 1e-14);
    expect(msprtPValue(0, v, tau2)).toBe(1);
  });
});
