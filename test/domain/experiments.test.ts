import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { armOf, assignArm, cumulativeWeights, normaliseWeights, unitPoint } from '../../src/domain/assignment.js';
import { type ArmData, type DecisionSettings, decide, sampleRatioCheck } from '../../src/domain/experiment-decision.js';
import { type Strategy, uncertaintyOf } from '../../src/domain/uncertainty.js';
import { combineMoments, momentsOf, mulberry32 } from '../../src/stats/index.js';

describe('assignment', () => {
  it('is deterministic and follows the weights within 1 % over 10,000 units', () => {
    const id = '0b9c5c1e-5d4f-4c43-9a0e-3f1f0c7e2a11';
    const weights = normaliseWeights([1, 2, 7]);
    const cumulative = cumulativeWeights(weights);
    const counts = [0, 0, 0];
    for (let i = 0; i < 10_000; i++) {
      const unit = `user-${i}`;
      const a = assignArm(id, unit, cumulative);
      expect(assignArm(id, unit, cumulative)).toEqual(a);
      counts[a.arm]!++;
    }
    counts.forEach((c, i) => expect(Math.abs(c / 10_000 - weights[i]!), `arm ${i}: ${c}`).toBeLessThan(0.01));
  });

  it('is SHA-256 of "experimentId:unit", first 53 bits over 2^53, cut by cumulative weights', () => {
    // Computed independently with BigInt arithmetic.
    const hex = createHash('sha256').update('exp:unit-1').digest('hex');
    const expected = Number(BigInt(`0x${hex.slice(0, 16)}`) >> 11n) / 2 ** 53;
    expect(unitPoint('exp', 'unit-1')).toBe(expected);
    expect(cumulativeWeights([0.25, 0.25, 0.5])).toEqual([0.25, 0.5, 1]);
    expect(armOf(0.2499999, [0.25, 0.5, 1])).toBe(0);
    expect(armOf(0.25, [0.25, 0.5, 1])).toBe(1);
    expect(armOf(0.9999999, [0.25, 0.5, 1])).toBe(2);
  });

  it('different experiments split the same units independently', () => {
    const c = cumulativeWeights([0.5, 0.5]);
    let same = 0;
    for (let i = 0; i < 2000; i++) if (assignArm('a', `u${i}`, c).arm === assignArm('b', `u${i}`, c).arm) same++;
    expect(Math.abs(same / 2000 - 0.5)).toBeLessThan(0.05);
  });
});

describe('uncertainty', () => {
  const binary = (p: number) => ({ task: 'binary' as const, labelCount: 2, probabilities: null, pPositive: p, confidence: null });
  it('binary: least confidence 1 − max(p, 1 − p), margin 1 − |2p − 1|, entropy in bits', () => {
    expect(uncertaintyOf(binary(0.7), 'least_confidence').score).toBeCloseTo(0.3, 15);
    expect(uncertaintyOf(binary(0.7), 'margin').score).toBeCloseTo(0.6, 15);
    expect(uncertaintyOf(binary(0.7), 'entropy').score).toBeCloseTo(-(0.7 * Math.log2(0.7) + 0.3 * Math.log2(0.3)), 14);
    expect(uncertaintyOf(binary(0.5), 'entropy').score).toBeCloseTo(1, 15);
    expect(uncertaintyOf(binary(1), 'entropy').score).toBe(0);
  });

  it('multiclass: the strategies disagree where they should', () => {
    const mc = (p: Record<string, number>) => ({ task: 'multiclass' as const, labelCount: 3, probabilities: p, pPositive: null, confidence: null });
    const a = mc({ home: 0.5, away: 0.49, draw: 0.01 }); // close call between two
    const b = mc({ home: 0.4, away: 0.3, draw: 0.3 }); // spread out
    const score = (x: typeof a, s: Strategy) => uncertaintyOf(x, s).score!;
    expect(score(b, 'least_confidence')).toBeGreaterThan(score(a, 'least_confidence'));
    expect(score(a, 'margin')).toBeGreaterThan(score(b, 'margin'));
    expect(score(b, 'entropy')).toBeGreaterThan(score(a, 'entropy'));
    expect(score(mc({ home: 1 / 3, away: 1 / 3, draw: 1 / 3 }), 'entropy')).toBeCloseTo(1, 14);
  });

  it('multiclass with a confidence only: scored by least confidence, ranked after scored ones otherwise', () => {
    const x = { task: 'multiclass' as const, labelCount: 3, probabilities: null, pPositive: null, confidence: 0.6 };
    expect(uncertaintyOf(x, 'least_confidence')).toEqual({ group: 0, score: 1 - 0.6, key: 1 - 0.6 });
    expect(uncertaintyOf(x, 'entropy')).toEqual({ group: 1, score: null, key: 1 - 0.6 });
    expect(uncertaintyOf({ ...x, confidence: null }, 'margin')).toEqual({ group: 2, score: null, key: 0 });
  });
});

// ── Decisions on simulated experiments ─────────────────────────────────────────────────────────────────

function normal(rnd: () => number) {
  return Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-300))) * Math.cos(2 * Math.PI * rnd());
}

/** `days` days of `perDay` labeled predictions per arm (and as many units); draw() gives one arm's per-prediction quantity. */
function simulate(seed: number, draws: ((rnd: () => number) => number)[], days: number, perDay: number[]): ArmData[] {
  const rnd = mulberry32(seed);
  return draws.map((draw, a) => {
    const daily = Array.from({ length: days }, (_, d) => {
      const values = Array.from({ length: perDay[a]! }, () => draw(rnd));
      return { day: new Date(Date.UTC(2024, 9, 1 + d)).toISOString(), values };
    });
    const all = daily.flatMap((d) => d.values);
    return {
      version: `v${a + 1}`,
      weight: perDay[a]! / perDay.reduce((x, y) => x + y, 0),
      units: all.length,
      moments: momentsOf(all),
      correct: all.reduce((s, v) => s + v, 0),
      daily: daily.map((d) => ({ day: d.day, moments: momentsOf(d.values) })),
    };
  });
}

/** The arms as they were after the first `days` days (what a reader saw on that day). */
function upToDay(arms: ArmData[], days: number): ArmData[] {
  return arms.map((a) => {
    const daily = a.daily.slice(0, days);
    const moments = combineMoments(daily.map((d) => d.moments));
    return { ...a, daily, moments, units: moments.n, correct: Math.round(moments.mean * moments.n) };
  });
}

const bernoulli = (p: number) => (rnd: () => number) => (rnd() < p ? 1 : 0);
const absNormal = (sd: number) => (rnd: () => number) => Math.abs(sd * normal(rnd));
const settings = (over: Partial<DecisionSettings>): DecisionSettings => ({
  metric: 'accuracy',
  mode: 'fixed',
  confidence: 0.95,
  minSamplesPerArm: 30,
  tau: 0.1,
  endsAt: new Date('2024-10-31T00:00:00Z'),
  now: new Date('2024-11-01T00:00:00Z'),
  ...over,
});

/**
 * A test at level α = 1 − confidence declares a false winner in an A/A experiment with probability α (that
 * is what the level means), so over N seeded runs the false-winner rate of the fixed-horizon test is 5 %
 * ± Monte-Carlo noise: it is checked against 5 % + 3 standard errors of a binomial proportion. The
 * sequential test is conservative (Ville's inequality bounds it by α over *all* looks), so it is checked
 * against 5 % flat, even when read every day.
 */
const noiseBound = (runs: number) => 0.05 + 3 * Math.sqrt((0.05 * 0.95) / runs);

describe('A/A experiments declare no winner in ≥ 95 % of seeded runs', () => {
  const RUNS = 2000;
  it('fixed horizon, classification (two-proportion z) and regression (Welch on absolute errors), read once at the end', () => {
    let accuracyWins = 0;
    let maeWins = 0;
    for (let seed = 1; seed <= RUNS; seed++) {
      if (decide(simulate(seed, [bernoulli(0.7), bernoulli(0.7)], 20, [25, 25]), settings({})).winner) accuracyWins++;
      if (decide(simulate(10_000 + seed, [absNormal(3), absNormal(3)], 20, [20, 30]), settings({ metric: 'mae' })).winner) maeWins++;
    }
    // Measured: 4.75 % and 5.15 % false winners.
    expect(accuracyWins / RUNS).toBeLessThanOrEqual(noiseBound(RUNS));
    expect(maeWins / RUNS).toBeLessThanOrEqual(noiseBound(RUNS));
  });

  it('sequential (mSPRT), read every day: no winner at any of the daily looks', () => {
    let wins = 0;
    let peekingFixedWins = 0;
    for (let seed = 1; seed <= RUNS / 2; seed++) {
      const arms = simulate(seed, [bernoulli(0.7), bernoulli(0.7)], 30, [30, 30]);
      let won = false;
      let fixedWon = false;
      for (let day = 1; day <= 30; day++) {
        const seen = upToDay(arms, day);
        if (decide(seen, settings({ mode: 'sequential', endsAt: null })).winner) won = true;
        if (decide(seen, settings({ endsAt: null })).winner) fixedWon = true;
      }
      if (won) wins++;
      if (fixedWon) peekingFixedWins++;
    }
    // Measured: 0.3 % with the sequential test; 28.9 % with the fixed-horizon test read daily.
    expect(wins / (RUNS / 2)).toBeLessThanOrEqual(0.05);
    // Why the sequential mode exists: the fixed-horizon test read every day "finds" a winner far more often than 5 %.
    expect(peekingFixedWins / (RUNS / 2)).toBeGreaterThan(0.1);
  });

  it('three arms, Holm-corrected pairwise tests against the control', () => {
    let wins = 0;
    for (let seed = 1; seed <= RUNS / 2; seed++) {
      if (decide(simulate(seed, [bernoulli(0.6), bernoulli(0.6), bernoulli(0.6)], 10, [40, 40, 40]), settings({})).winner) wins++;
    }
    // Measured: 1.8 %.
    expect(wins / (RUNS / 2)).toBeLessThanOrEqual(noiseBound(RUNS / 2));
  });
});

describe('an experiment where one version is better finds it', () => {
  it('classification, fixed and sequential', () => {
    let fixed = 0;
    let sequential = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const arms = simulate(seed, [bernoulli(0.7), bernoulli(0.78)], 20, [50, 50]);
      if (decide(arms, settings({})).winner === 'v2') fixed++;
      if (decide(arms, settings({ mode: 'sequential' })).winner === 'v2') sequential++;
    }
    expect(fixed).toBeGreaterThanOrEqual(95);
    expect(sequential).toBeGreaterThanOrEqual(90);
  });

  it('regression (MAE): the arm with smaller errors wins, also when it is the control', () => {
    let found = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const d = decide(simulate(seed, [absNormal(2.5), absNormal(3.5)], 15, [30, 30]), settings({ metric: 'mae', mode: 'sequential' }));
      if (d.winner === 'v1') found++;
    }
    expect(found).toBeGreaterThanOrEqual(90);
  });

  it('with three arms picks the best of those that beat the control', () => {
    const d = decide(simulate(5, [bernoulli(0.6), bernoulli(0.7), bernoulli(0.8)], 20, [60, 60, 60]), settings({}));
    expect(d.correction).toBe('holm');
    expect(d.winner).toBe('v3');
    expect(d.reason).toMatch(/v2 also beat/);
    d.comparisons.forEach((c) => expect(c.adjustedPValue).toBeGreaterThanOrEqual(c.pValue!));
  });
});

describe('when there is no winner, and why', () => {
  const arms = simulate(3, [bernoulli(0.6), bernoulli(0.9)], 20, [50, 50]);
  it('too few labeled predictions', () => {
    const d = decide(upToDay(arms, 1), settings({ minSamplesPerArm: 100 }));
    expect(d.winner).toBeNull();
    expect(d.reason).toMatch(/at least 100 labeled predictions: v1 has 50, v2 has 50/);
  });
  it('fixed mode before its end', () => {
    const d = decide(arms, settings({ now: new Date('2024-10-15T00:00:00Z') }));
    expect(d.winner).toBeNull();
    expect(d.reason).toMatch(/fixed-horizon/);
    expect(d.comparisons[0]!.significant).toBe(true);
  });
  it('a sample ratio mismatch', () => {
    const skewed = arms.map((a, i) => ({ ...a, weight: 0.5, units: i === 0 ? 1000 : 820 }));
    const d = decide(skewed, settings({}));
    expect(d.srm.detected).toBe(true);
    expect(d.srm.pValue!).toBeLessThan(0.001);
    expect(d.winner).toBeNull();
    expect(d.reason).toMatch(/sample ratio mismatch/);
    expect(sampleRatioCheck([{ units: 1000, weight: 0.5 }, { units: 1010, weight: 0.5 }]).detected).toBe(false);
    expect(sampleRatioCheck([{ units: 2, weight: 0.5 }, { units: 5, weight: 0.5 }]).note).toMatch(/too early/);
  });
  it('no variation at all', () => {
    const flat = simulate(1, [bernoulli(1), bernoulli(1)], 5, [40, 40]);
    const d = decide(flat, settings({}));
    expect(d.winner).toBeNull();
    expect(d.comparisons[0]!.pValue).toBeNull();
    expect(d.reason).toMatch(/no variation/);
  });
});
