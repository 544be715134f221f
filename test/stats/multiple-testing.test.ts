import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, holm, StatsInputError } from '../../src/stats/index.js';

describe('holm', () => {
  it('matches the step-down computation (statsmodels multipletests "holm")', () => {
    // Sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → running max 0.06.
    const r = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 15));
  });

  it('caps at 1 and keeps ties equal', () => {
    expect(holm([0.5, 0.5, 0.9])).toEqual([1, 1, 1]);
    const r = holm([0.02, 0.02, 0.001]);
    expect(r[0]).toBe(r[1]);
  });
});

describe('benjaminiHochberg', () => {
  it('matches the step-up computation (statsmodels multipletests "fdr_bh")', () => {
    // Sorted p·m/rank: 0.02, 0.02, 0.04, 0.04 → running min from the top.
    const r = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    [0.02, 0.04, 0.04, 0.02].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 15));
  });

  it('leaves a single p-value unchanged and caps at 1', () => {
    expect(benjaminiHochberg([0.3])).toEqual([0.3]);
    expect(benjaminiHochberg([0.9, 0.95])).toEqual([0.95, 0.95]);
  });

  it('rejects values outside [0, 1]', () => {
    expect(() => benjaminiHochberg([0.1, NaN])).toThrow(StatsInputError);
    expect(() => holm([1.2])).toThrow(StatsInputError);
  });
});
