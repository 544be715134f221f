import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketCount, bucketStarts, truncateUtc } from '../../src/domain/buckets.js';
import { binaryCounts, summarizeConfusion } from '../../src/domain/classification-counts.js';
import { decideTrend } from '../../src/domain/trend.js';
import { binaryClassificationMetrics, multiclassClassificationMetrics } from '../../src/stats/index.js';

const cellsOf = (actual: string[], predicted: string[]) => {
  const counts = new Map<string, number>();
  actual.forEach((a, i) => counts.set(`${a}\u0000${predicted[i]}`, (counts.get(`${a}\u0000${predicted[i]}`) ?? 0) + 1));
  return [...counts].map(([k, n]) => ({ actual: k.split('\u0000')[0]!, predicted: k.split('\u0000')[1]!, n }));
};

describe('metrics from confusion counts', () => {
  it('equal src/stats multiclass metrics on the rows the counts come from', () => {
    const label = fc.constantFrom('a', 'b', 'c', 'd', 'B');
    fc.assert(
      fc.property(fc.array(fc.tuple(label, label), { minLength: 1, maxLength: 200 }), (pairs) => {
        const actual = pairs.map((p) => p[0]);
        const predicted = pairs.map((p) => p[1]);
        const s = summarizeConfusion(cellsOf(actual, predicted));
        const ref = multiclassClassificationMetrics(actual, predicted);
        expect(s.labels).toEqual(ref.labels);
        expect(s.matrix).toEqual(ref.confusion);
        expect(s.accuracy).toBeCloseTo(ref.accuracy, 12);
        expect(s.macroF1).toBeCloseTo(ref.macroF1, 12);
        s.perLabel.forEach((l, i) => {
          expect(l.precision).toBeCloseTo(ref.precision[i]!, 12);
          expect(l.recall).toBeCloseTo(ref.recall[i]!, 12);
          expect(l.f1).toBeCloseTo(ref.f1[i]!, 12);
        });
      }),
    );
  });

  it('equal src/stats binary precision/recall/F1 when the hard label is the logged one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 200 }), (pairs) => {
        const actual = pairs.map((p) => (p[0] ? 'LAL' : 'BOS'));
        const predicted = pairs.map((p) => (p[1] ? 'LAL' : 'BOS'));
        const c = binaryCounts(summarizeConfusion(cellsOf(actual, predicted), ['BOS', 'LAL']), 'LAL');
        const ref = binaryClassificationMetrics(pairs.map((p) => (p[0] ? 1 : 0)), pairs.map((p) => (p[1] ? 1 : 0)));
        expect([c.tp, c.fp, c.tn, c.fn]).toEqual([ref.tp, ref.fp, ref.tn, ref.fn]);
        expect(c.precision).toBeCloseTo(ref.precision, 12);
        expect(c.recall).toBeCloseTo(ref.recall, 12);
        expect(c.f1).toBeCloseTo(ref.f1, 12);
      }),
    );
  });

  it('lists both binary labels even when one never occurs', () => {
    const s = summarizeConfusion([{ actual: 'LAL', predicted: 'LAL', n: 3 }], ['BOS', 'LAL']);
    expect(s.labels).toEqual(['BOS', 'LAL']);
    expect(s.matrix).toEqual([[0, 0], [0, 3]]);
    expect(s.macroF1).toBe(1);
  });
});

describe('UTC buckets', () => {
  it('truncate like date_trunc (weeks start on Monday)', () => {
    const t = new Date('2024-10-17T13:45:12.345Z'); // a Thursday
    expect(truncateUtc(t, 'hour').toISOString()).toBe('2024-10-17T13:00:00.000Z');
    expect(truncateUtc(t, 'day').toISOString()).toBe('2024-10-17T00:00:00.000Z');
    expect(truncateUtc(t, 'week').toISOString()).toBe('2024-10-14T00:00:00.000Z');
    expect(truncateUtc(new Date('2024-10-20T23:59:59Z'), 'week').toISOString()).toBe('2024-10-14T00:00:00.000Z');
    expect(truncateUtc(new Date('2024-10-21T00:00:00Z'), 'week').toISOString()).toBe('2024-10-21T00:00:00.000Z');
  });

  it('cover a half-open range, or an inclusive span', () => {
    const from = new Date('2024-10-01T06:00:00Z');
    expect(bucketStarts(from, new Date('2024-10-03T00:00:00Z'), 'day').map((d) => d.toISOString())).toEqual(['2024-10-01T00:00:00.000Z', '2024-10-02T00:00:00.000Z']);
    expect(bucketCount(from, new Date('2024-10-03T00:00:00Z'), 'day', true)).toBe(3);
    expect(bucketCount(from, new Date('2024-10-01T06:00:00Z'), 'hour', true)).toBe(1);
  });
});

describe('trend decision', () => {
  const mae = { name: 'mae', higherIsBetter: false };
  const accuracy = { name: 'accuracy', higherIsBetter: true };

  it('a rising error is degrading, a rising accuracy improving, a falling error improving', () => {
    const rising = [1, 1.2, 1.1, 1.5, 1.7, 1.6, 2, 2.3];
    expect(decideTrend(rising, mae).direction).toBe('degrading');
    expect(decideTrend(rising, accuracy).direction).toBe('improving');
    expect(decideTrend([...rising].reverse(), mae).direction).toBe('improving');
  });

  it('no significant trend, or too few buckets, is stable with a reason', () => {
    const flat = decideTrend([0.7, 0.72, 0.69, 0.71, 0.7, 0.73, 0.68], accuracy);
    expect(flat).toMatchObject({ direction: 'stable', test: 'mann-kendall', points: 7 });
    expect(flat.pValue).toBeGreaterThanOrEqual(0.05);
    const short = decideTrend([1, 2, 3], accuracy);
    expect(short).toMatchObject({ direction: 'stable', statistic: null, pValue: null, points: 3 });
    expect(short.reason).toMatch(/at least 4/);
    expect(decideTrend([5, 5, 5, 5, 5], mae).direction).toBe('stable');
  });
});
