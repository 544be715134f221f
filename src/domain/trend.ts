import { mannKendall } from '../stats/index.js';

/**
 * Whether a metric series improves, degrades or holds: the Mann–Kendall trend test (pymannkendall's
 * original test, two-sided) on the values of the non-empty buckets in time order. A significant
 * increase (p < alpha) is `improving` for a metric where higher is better (accuracy) and `degrading`
 * for one where lower is better (MAE); no significant trend, or fewer than `minPoints` buckets, is `stable`.
 */
export type TrendDirection = 'improving' | 'degrading' | 'stable';

export interface Trend {
  direction: TrendDirection;
  metric: string;
  test: 'mann-kendall';
  alpha: number;
  /** Non-empty buckets the test ran on. */
  points: number;
  /** Mann–Kendall S = Σ sign(x_j − x_i) over i < j. */
  statistic: number | null;
  z: number | null;
  pValue: number | null;
  /** Kendall's tau = S / (n(n − 1)/2). */
  tau: number | null;
  /** Sen's slope: median change of the metric per bucket. */
  senSlope: number | null;
  reason: string;
}

export const TREND_ALPHA = 0.05;
export const TREND_MIN_POINTS = 4;

export function decideTrend(
  values: readonly number[],
  metric: { name: string; higherIsBetter: boolean },
  options: { alpha?: number; minPoints?: number } = {},
): Trend {
  const alpha = options.alpha ?? TREND_ALPHA;
  const minPoints = options.minPoints ?? TREND_MIN_POINTS;
  const base = { metric: metric.name, test: 'mann-kendall' as const, alpha, points: values.length };
  if (values.length < minPoints) {
    return {
      ...base,
      direction: 'stable',
      statistic: null,
      z: null,
      pValue: null,
      tau: null,
      senSlope: null,
      reason: `${values.length} non-empty bucket${values.length === 1 ? '' : 's'}: the trend test needs at least ${minPoints}`,
    };
  }
  const mk = mannKendall(values, { alpha });
  const significant = mk.pValue < alpha && mk.z !== 0;
  const rising = mk.z > 0;
  const direction: TrendDirection = !significant ? 'stable' : rising === metric.higherIsBetter ? 'improving' : 'degrading';
  const p = formatP(mk.pValue);
  const reason = significant
    ? `${metric.name} ${rising ? 'increases' : 'decreases'} over ${values.length} buckets (Mann–Kendall p = ${p} < ${alpha}); ${metric.higherIsBetter ? 'higher' : 'lower'} is better`
    : `no significant monotonic trend in ${metric.name} over ${values.length} buckets (Mann–Kendall p = ${p} ≥ ${alpha})`;
  return { ...base, direction, statistic: mk.statistic, z: mk.z, pValue: mk.pValue, tau: mk.tau, senSlope: mk.slope, reason };
}

const formatP = (p: number) => (p < 1e-4 ? p.toExponential(2) : p.toPrecision(3));
