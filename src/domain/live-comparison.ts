import { proportionsZTest } from '../stats/proportions-z.js';
import { welchFromMoments } from '../stats/two-sample-summary.js';
import type { Task } from './model-spec.js';

/**
 * Two versions compared on live outcomes, from the aggregates the performance endpoint already computes:
 * classification by the two-proportion z-test on correctness (pooled, as statsmodels' proportions_ztest),
 * regression by Welch's t-test on absolute errors, whose mean is the MAE and whose variance follows from
 * MAE and RMSE (mean |e|² = RMSE²): s² = n/(n − 1)·(RMSE² − MAE²). No raw rows are needed.
 */

export const ALPHA = 0.05;

export interface ArmStats {
  version: string;
  samples: number;
  /** Classification. */
  accuracy?: number | null;
  /** Regression. */
  mae?: number | null;
  rmse?: number | null;
}

export type PrimaryMetric = 'accuracy' | 'mae';

export interface LiveComparison {
  metric: PrimaryMetric;
  higherIsBetter: boolean;
  a: { version: string; samples: number; value: number | null };
  b: { version: string; samples: number; value: number | null };
  test: 'two-proportion-z' | 'welch-t';
  statistic: number | null;
  pValue: number | null;
  df: number | null;
  alpha: number;
  /** b − a on the metric. */
  difference: number | null;
  /**
   * How much better b is than a, in the sense of minImprovement: accuracy b − a (absolute); MAE
   * (a − b)/a (relative reduction). Negative when b is worse.
   */
  improvement: number | null;
  significant: boolean;
  better: 'a' | 'b' | null;
  note: string | null;
}

export const primaryMetricOf = (task: Task): PrimaryMetric => (task === 'regression' ? 'mae' : 'accuracy');

/** Improvement of `candidate` over `reference` as minImprovement reads it (see LiveComparison.improvement). */
export function improvementOf(metric: PrimaryMetric, reference: number, candidate: number): number {
  if (metric === 'accuracy') return candidate - reference;
  if (reference > 0) return (reference - candidate) / reference;
  return candidate === 0 ? 0 : -1;
}

export function compareLive(task: Task, a: ArmStats, b: ArmStats, alpha = ALPHA): LiveComparison {
  const metric = primaryMetricOf(task);
  const valueOf = (s: ArmStats) => (s.samples > 0 ? ((metric === 'accuracy' ? s.accuracy : s.mae) ?? null) : null);
  const va = valueOf(a);
  const vb = valueOf(b);
  const head = {
    metric,
    higherIsBetter: metric === 'accuracy',
    a: { version: a.version, samples: a.samples, value: va },
    b: { version: b.version, samples: b.samples, value: vb },
    test: metric === 'accuracy' ? ('two-proportion-z' as const) : ('welch-t' as const),
    alpha,
  };
  const minimum = metric === 'accuracy' ? 1 : 2;
  if (va === null || vb === null || a.samples < minimum || b.samples < minimum) {
    return {
      ...head,
      statistic: null,
      pValue: null,
      df: null,
      difference: va !== null && vb !== null ? vb - va : null,
      improvement: va !== null && vb !== null ? improvementOf(metric, va, vb) : null,
      significant: false,
      better: null,
      note: `needs at least ${minimum} labeled prediction${minimum > 1 ? 's' : ''} of each version in the window (${a.version}: ${a.samples}, ${b.version}: ${b.samples})`,
    };
  }
  const test = metric === 'accuracy' ? proportionsTest(a.samples, va, b.samples, vb) : welchTest(a, b);
  const significant = test.pValue !== null && test.pValue < alpha && vb !== va;
  const bBetter = metric === 'accuracy' ? vb > va : vb < va;
  return {
    ...head,
    ...test,
    difference: vb - va,
    improvement: improvementOf(metric, va, vb),
    significant,
    better: significant ? (bBetter ? 'b' : 'a') : null,
    note: null,
  };
}

function proportionsTest(na: number, accA: number, nb: number, accB: number): { statistic: number | null; pValue: number | null; df: null } {
  const xa = Math.round(accA * na);
  const xb = Math.round(accB * nb);
  const r = proportionsZTest(xb, nb, xa, na);
  // The pooled share is 0 or 1: both versions are always right (or always wrong), there is no difference.
  if (!Number.isFinite(r.z)) return { statistic: 0, pValue: 1, df: null };
  return { statistic: r.z, pValue: r.pValue, df: null };
}

function welchTest(a: ArmStats, b: ArmStats): { statistic: number | null; pValue: number | null; df: number | null } {
  // The moments of absolute errors follow from the aggregates: mean = MAE, Σ(x − mean)² = n·(RMSE² − MAE²).
  const moments = (s: ArmStats) => ({ n: s.samples, mean: s.mae!, m2: s.samples * Math.max(0, s.rmse! ** 2 - s.mae! ** 2) });
  const r = welchFromMoments(moments(b), moments(a), 0.95);
  if (Number.isNaN(r.statistic)) return { statistic: 0, pValue: 1, df: null };
  if (!Number.isFinite(r.statistic)) return { statistic: null, pValue: 0, df: null };
  return { statistic: r.statistic, pValue: r.pValue, df: r.df };
}
