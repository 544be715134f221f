import { type Moments, chiSquareGoodnessOfFit, holm, proportionsFromCounts, welchFromMoments } from '../stats/index.js';
import { type ExperimentMetric, lowerIsBetter } from './experiment-metrics.js';
import { type DailyMoments, sequentialComparison } from './sequential-test.js';

/** Pure decision of an experiment: the test of every arm against the control, the SRM check, the winner. */

export type ExperimentMode = 'fixed' | 'sequential';
export const SRM_THRESHOLD = 0.001;
/** Sequential looks start once both arms have at least this many labels (and minSamplesPerArm): the plug-in variance needs a few. */
export const SEQUENTIAL_BURN_IN = 20;

export interface ArmData {
  version: string;
  weight: number;
  /** Units (distinct) among the arm's predictions in the experiment's span. */
  units: number;
  /** Moments of the metric's per-prediction quantity over the arm's labeled predictions. */
  moments: Moments;
  /** Correct predictions (accuracy only). */
  correct: number;
  /** The same moments per UTC day of predicted_at (sequential looks). */
  daily: DailyMoments[];
}

export interface DecisionSettings {
  metric: ExperimentMetric;
  mode: ExperimentMode;
  confidence: number;
  minSamplesPerArm: number;
  tau: number;
  /** The planned end (fixed mode decides only once it has passed). */
  endsAt: Date | null;
  now: Date;
}

export interface Comparison {
  version: string;
  control: string;
  test: 'two-proportion-z' | 'welch-t' | 'msprt-normal-mixture';
  difference: number | null;
  standardError: number | null;
  statistic: number | null;
  df: number | null;
  pValue: number | null;
  adjustedPValue: number | null;
  confidenceInterval: { level: number; lower: number; upper: number } | null;
  looks: number | null;
  significant: boolean;
  better: 'treatment' | 'control' | null;
  note: string | null;
}

export interface SrmCheck {
  test: 'chi-square-goodness-of-fit';
  unit: 'units';
  observed: number[];
  expected: number[];
  statistic: number | null;
  df: number;
  pValue: number | null;
  threshold: number;
  detected: boolean;
  note: string | null;
}

export interface Decision {
  comparisons: Comparison[];
  /** Holm correction applied (more than one comparison). */
  correction: 'holm' | 'none';
  srm: SrmCheck;
  winner: string | null;
  reason: string;
}

const fmt = (x: number) => (Math.abs(x) >= 0.001 || x === 0 ? Number(x.toPrecision(3)).toString() : x.toExponential(2));

export function decide(arms: readonly ArmData[], s: DecisionSettings): Decision {
  const control = arms[0]!;
  const alpha = 1 - s.confidence;
  const raw = arms.slice(1).map((arm) => compare(arm, control, s));
  const tested = raw.filter((c) => c.pValue !== null);
  const adjusted = tested.length > 0 ? holm(tested.map((c) => c.pValue!)) : [];
  tested.forEach((c, i) => {
    c.adjustedPValue = adjusted[i]!;
    c.significant = c.adjustedPValue < alpha;
    c.better = c.significant ? betterSide(c.difference!, s.metric) : null;
  });
  const srm = sampleRatioCheck(arms);
  return { comparisons: raw, correction: raw.length > 1 ? 'holm' : 'none', srm, ...pickWinner(arms, raw, srm, s) };
}

function compare(arm: ArmData, control: ArmData, s: DecisionSettings): Comparison {
  const base: Comparison = {
    version: arm.version,
    control: control.version,
    test: s.mode === 'sequential' ? 'msprt-normal-mixture' : s.metric === 'accuracy' ? 'two-proportion-z' : 'welch-t',
    difference: null,
    standardError: null,
    statistic: null,
    df: null,
    pValue: null,
    adjustedPValue: null,
    confidenceInterval: null,
    looks: null,
    significant: false,
    better: null,
    note: null,
  };
  const minimum = s.mode === 'sequential' ? Math.max(SEQUENTIAL_BURN_IN, s.minSamplesPerArm) : 2;
  if (arm.moments.n < minimum || control.moments.n < minimum) {
    return { ...base, note: `needs at least ${minimum} labeled predictions in both arms to test (${arm.version}: ${arm.moments.n}, ${control.version}: ${control.moments.n})` };
  }
  if (s.mode === 'sequential') {
    const r = sequentialComparison(arm.daily, control.daily, { tau: s.tau, alpha: 1 - s.confidence, minSamples: minimum });
    if (r.looks === 0) return { ...base, difference: arm.moments.mean - control.moments.mean, note: 'no look yet with variation in the metric: nothing to test' };
    return {
      ...base,
      difference: r.difference,
      standardError: r.standardError,
      statistic: r.likelihoodRatio,
      pValue: r.pValue,
      looks: r.looks,
      confidenceInterval: { level: s.confidence, ...r.interval! },
    };
  }
  const t =
    s.metric === 'accuracy'
      ? proportionsFromCounts(arm.correct, arm.moments.n, control.correct, control.moments.n, s.confidence)
      : welchFromMoments(arm.moments, control.moments, s.confidence);
  if (Number.isNaN(t.pValue)) {
    return { ...base, difference: t.difference, note: 'no variation in the metric in either arm (every prediction alike): nothing to test' };
  }
  const finite = Number.isFinite(t.statistic);
  return {
    ...base,
    difference: t.difference,
    standardError: t.standardError,
    statistic: finite ? t.statistic : null,
    df: t.df,
    pValue: t.pValue,
    confidenceInterval: { level: s.confidence, lower: t.interval.lower, upper: t.interval.upper },
    note: finite ? null : 'both arms are constant and differ: the statistic is infinite',
  };
}

const betterSide = (difference: number, metric: ExperimentMetric): 'treatment' | 'control' =>
  (lowerIsBetter(metric) ? difference < 0 : difference > 0) ? 'treatment' : 'control';

/** χ² goodness of fit of the units per arm against the weights; a mismatch below p = 0.001 is flagged. */
export function sampleRatioCheck(arms: readonly Pick<ArmData, 'units' | 'weight'>[]): SrmCheck {
  const observed = arms.map((a) => a.units);
  const total = observed.reduce((a, b) => a + b, 0);
  const weights = arms.map((a) => a.weight);
  const r = chiSquareGoodnessOfFit(observed, weights);
  const base = { test: 'chi-square-goodness-of-fit' as const, unit: 'units' as const, observed, expected: r.expected, df: r.df, threshold: SRM_THRESHOLD };
  if (total === 0) return { ...base, statistic: null, pValue: null, detected: false, note: 'no units yet' };
  if (r.expected.some((e) => e < 5)) {
    return { ...base, statistic: r.statistic, pValue: r.pValue, detected: false, note: 'fewer than 5 units expected in some arm: too early to judge the split' };
  }
  return { ...base, statistic: r.statistic, pValue: r.pValue, detected: r.pValue < SRM_THRESHOLD, note: null };
}

function pickWinner(arms: readonly ArmData[], comparisons: Comparison[], srm: SrmCheck, s: DecisionSettings): { winner: string | null; reason: string } {
  const none = (reason: string) => ({ winner: null, reason });
  const short = arms.filter((a) => a.moments.n < s.minSamplesPerArm);
  if (short.length > 0) {
    return none(`every arm needs at least ${s.minSamplesPerArm} labeled predictions: ${short.map((a) => `${a.version} has ${a.moments.n}`).join(', ')}`);
  }
  if (srm.detected) {
    return none(`sample ratio mismatch (χ² p = ${fmt(srm.pValue!)} < ${SRM_THRESHOLD}): the units per arm do not follow the weights, so the arms are not comparable; fix the assignment first`);
  }
  if (s.mode === 'fixed' && s.endsAt && s.now < s.endsAt) {
    return none(`fixed-horizon test: the winner is decided once the experiment ends (${s.endsAt.toISOString()}); deciding earlier would be peeking (use mode "sequential" to decide at any time)`);
  }
  const control = arms[0]!;
  const level = `${fmt(s.confidence * 100)}% confidence`;
  const pName = s.mode === 'sequential' ? 'always-valid p' : 'p';
  const adj = comparisons.length > 1 ? ' (Holm-adjusted)' : '';
  const untested = comparisons.filter((c) => c.pValue === null);
  const winners = comparisons.filter((c) => c.better === 'treatment');
  if (winners.length > 0) {
    const value = (c: Comparison) => (lowerIsBetter(s.metric) ? c.difference! : -c.difference!);
    const best = [...winners].sort((a, b) => value(a) - value(b))[0]!;
    const others = winners.filter((c) => c !== best).map((c) => c.version);
    const direction = lowerIsBetter(s.metric) ? 'lower' : 'higher';
    return {
      winner: best.version,
      reason:
        `${best.version} has ${direction} ${s.metric} than control ${control.version} (difference ${fmt(best.difference!)}, ${pName} = ${fmt(best.adjustedPValue!)}${adj} < ${fmt(1 - s.confidence)})` +
        (others.length > 0 ? `; ${others.join(', ')} also beat the control but by less (treatments are not tested against each other)` : ''),
    };
  }
  if (comparisons.length > 0 && comparisons.every((c) => c.better === 'control')) {
    return { winner: control.version, reason: `control ${control.version} is better than every other arm at ${level}${adj}` };
  }
  if (untested.length > 0) return none(untested.map((c) => `${c.version}: ${c.note}`).join('; '));
  const smallest = Math.min(...comparisons.map((c) => c.adjustedPValue!));
  return none(`no arm differs significantly from control ${control.version} at ${level} (smallest ${pName} = ${fmt(smallest)}${adj})`);
}
