import { describe, expect, it } from 'vitest';
import { compareLive, improvementOf } from '../../src/domain/live-comparison.js';
import { liveGate, rollbackCheck, trainingGate } from '../../src/domain/promotion-gate.js';
import { proportionsZTest, welchTTest } from '../../src/stats/index.js';

describe('live comparison of two versions', () => {
  it('tests correctness with the pooled two-proportion z-test (b − a)', () => {
    const c = compareLive('binary', { version: 'v3', samples: 400, accuracy: 0.6 }, { version: 'v4', samples: 380, accuracy: 270 / 380 });
    const reference = proportionsZTest(270, 380, 240, 400);
    expect(c.test).toBe('two-proportion-z');
    expect(c.statistic).toBeCloseTo(reference.z, 12);
    expect(c.pValue).toBeCloseTo(reference.pValue, 12);
    expect(c).toMatchObject({ metric: 'accuracy', significant: true, better: 'b' });
    expect(c.improvement).toBeCloseTo(270 / 380 - 0.6, 12);
  });

  it('tests absolute errors with Welch’s t-test from MAE and RMSE alone', () => {
    const a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => x * 0.9);
    const b = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5];
    const stats = (xs: number[]) => ({ mae: xs.reduce((s, x) => s + x, 0) / xs.length, rmse: Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length) });
    const c = compareLive('regression', { version: 'a', samples: a.length, ...stats(a) }, { version: 'b', samples: b.length, ...stats(b) });
    const reference = welchTTest(b, a);
    expect(c.test).toBe('welch-t');
    expect(c.statistic).toBeCloseTo(reference.statistic, 9);
    expect(c.pValue).toBeCloseTo(reference.pValue, 9);
    expect(c.df).toBeCloseTo(reference.df, 9);
    expect(c.improvement).toBeCloseTo((stats(a).mae - stats(b).mae) / stats(a).mae, 12);
  });

  it('reports no test without data, and no difference between two perfect versions', () => {
    expect(compareLive('binary', { version: 'a', samples: 0 }, { version: 'b', samples: 10, accuracy: 1 })).toMatchObject({ pValue: null, significant: false });
    expect(compareLive('binary', { version: 'a', samples: 50, accuracy: 1 }, { version: 'b', samples: 60, accuracy: 1 })).toMatchObject({ statistic: 0, pValue: 1, significant: false });
  });

  it('reads minImprovement as accuracy points, or a relative MAE reduction', () => {
    expect(improvementOf('accuracy', 0.7, 0.73)).toBeCloseTo(0.03, 12);
    expect(improvementOf('mae', 10, 9.5)).toBeCloseTo(0.05, 12);
    expect(improvementOf('mae', 0, 1)).toBe(-1);
  });
});

describe('the validation gate', () => {
  it('stage 1: compares training metrics by minImprovement', () => {
    const prod = { version: 'v3', metrics: { accuracy: 0.71 } };
    expect(trainingGate('accuracy', 0.02, { accuracy: 0.74 }, prod)).toMatchObject({ result: 'pass', candidate: 0.74, production: 0.71 });
    const fail = trainingGate('accuracy', 0.02, { accuracy: 0.72 }, prod);
    expect(fail.result).toBe('fail');
    expect(fail.detail).toMatch(/less than minImprovement 0.02/);
    expect(trainingGate('accuracy', 0.02, { f1: 0.9 }, prod).result).toBe('skipped');
    expect(trainingGate('accuracy', 0.02, { accuracy: 0.5 }, null).result).toBe('skipped');
    expect(trainingGate('mae', 0.02, { mae: 9.7 }, { version: 'v1', metrics: { mae: 10 } }).result).toBe('pass');
  });

  const comparison = (na: number, accA: number, nb: number, accB: number) =>
    compareLive('binary', { version: 'prod', samples: na, accuracy: accA }, { version: 'cand', samples: nb, accuracy: accB });

  it('stage 2: promotes a significantly better candidate, keeps or rejects otherwise, waits for data', () => {
    expect(liveGate(comparison(400, 0.6, 400, 0.7), 50, 0.02).decision).toBe('promote');
    expect(liveGate(comparison(400, 0.6, 400, 0.62), 50, 0.02)).toMatchObject({ decision: 'keep' });
    expect(liveGate(comparison(400, 0.7, 400, 0.6), 50, 0.02).decision).toBe('reject');
    expect(liveGate(comparison(30, 0.6, 400, 0.9), 50, 0.02).decision).toBe('wait');
    // Significant, but smaller than minImprovement.
    const big = comparison(200_000, 0.6, 200_000, 0.61);
    expect(big.significant).toBe(true);
    expect(liveGate(big, 50, 0.02).reason).toMatch(/less than minImprovement/);
  });

  it('rolls back only a significantly worse promotion', () => {
    expect(rollbackCheck(comparison(400, 0.7, 400, 0.55), 50).decision).toBe('rollback');
    expect(rollbackCheck(comparison(400, 0.7, 400, 0.69), 50).decision).toBe('keep');
    expect(rollbackCheck(comparison(400, 0.6, 400, 0.7), 50).decision).toBe('keep');
    expect(rollbackCheck(comparison(400, 0.7, 10, 0.1), 50).decision).toBe('wait');
  });
});
