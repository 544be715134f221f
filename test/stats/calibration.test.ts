import { describe, expect, it } from 'vitest';
import { expectedCalibrationError, StatsInputError } from '../../src/stats/index.js';

describe('expectedCalibrationError', () => {
  it('matches a hand computation', () => {
    // Bin [0.1, 0.2): scores 0.1, 0.15, one positive → |0.5 − 0.125|·2/5 = 0.15.
    // Bin [0.8, 0.9): 0.8, 0.85, one positive → |0.5 − 0.825|·2/5 = 0.13. Bin [0.9, 1]: 1.0, positive → 0.
    const r = expectedCalibrationError([0, 1, 1, 0, 1], [0.1, 0.15, 0.8, 0.85, 1.0], { bins: 10 });
    expect(r.ece).toBeCloseTo(0.28, 15);
    expect(r.bins).toHaveLength(10);
    expect(r.bins[1]).toEqual({ lower: 0.1, upper: 0.2, count: 2, meanPredicted: 0.125, fractionPositive: 0.5 });
    expect(r.bins[8]?.count).toBe(2);
    expect(r.bins[8]?.meanPredicted).toBeCloseTo(0.825, 15);
    expect(r.bins[9]).toEqual({ lower: 0.9, upper: 1, count: 1, meanPredicted: 1, fractionPositive: 1 });
    expect(r.bins[0]).toEqual({ lower: 0, upper: 0.1, count: 0, meanPredicted: null, fractionPositive: null });
  });

  it('puts a score that equals an edge into the bin starting there, and 1.0 into the last bin', () => {
    const edges = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    const r = expectedCalibrationError(edges.map(() => 1), edges, { bins: 10 });
    for (let i = 0; i < 10; i++) expect(r.bins[i]?.count, `bin ${i}`).toBe(1);
    const last = expectedCalibrationError([1, 0], [1, 0.95], { bins: 10 });
    expect(last.bins[9]?.count).toBe(2);
  });

  it('is 0 for perfectly calibrated bins', () => {
    // Score 0.25 with 1 positive in 4, score 0.75 with 3 in 4.
    const r = expectedCalibrationError([1, 0, 0, 0, 1, 1, 1, 0], [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75], { bins: 4 });
    expect(r.ece).toBe(0);
  });

  it('rejects labels other than 0/1, scores outside [0, 1] and bad bin counts', () => {
    expect(() => expectedCalibrationError([2], [0.5])).toThrow(StatsInputError);
    expect(() => expectedCalibrationError([1], [1.5])).toThrow(StatsInputError);
    expect(() => expectedCalibrationError([1], [0.5], { bins: 0 })).toThrow(StatsInputError);
    expect(() => expectedCalibrationError([1, 0], [0.5])).toThrow(StatsInputError);
  });
});
