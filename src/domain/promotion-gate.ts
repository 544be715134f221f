import { type LiveComparison, type PrimaryMetric, improvementOf } from './live-comparison.js';

/**
 * The validation gate between a candidate version and production, and the rollback check of a recent
 * promotion (DESIGN §5). Pure: the service measures, these decide.
 *
 * minImprovement is read on the primary metric: for accuracy it is absolute (0.02 = two percentage points
 * more), for MAE relative (0.02 = an MAE at least 2 % lower), so that one number fits models of any scale.
 */

export interface TrainingGateResult {
  result: 'pass' | 'fail' | 'skipped';
  metric: PrimaryMetric;
  candidate: number | null;
  production: number | null;
  improvement: number | null;
  minImprovement: number;
  detail: string;
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));
const describe = (metric: PrimaryMetric, improvement: number) =>
  metric === 'accuracy' ? `${improvement >= 0 ? '+' : ''}${fmt(improvement)} accuracy` : `${fmt(improvement * 100)} % lower MAE`;

/**
 * Stage 1: the trainer's own metrics. `skipped` (go on to live outcomes) when either side lacks the metric
 * or there is no production version.
 */
export function trainingGate(
  metric: PrimaryMetric,
  minImprovement: number,
  candidate: Record<string, number> | null,
  production: { version: string; metrics: Record<string, number> | null } | null,
): TrainingGateResult {
  const head = { metric, minImprovement };
  const c = candidate?.[metric];
  const p = production?.metrics?.[metric];
  if (!production) return { ...head, result: 'skipped', candidate: c ?? null, production: null, improvement: null, detail: 'no production version to compare with' };
  if (typeof c !== 'number' || typeof p !== 'number') {
    const missing = typeof c !== 'number' ? 'the candidate’s training metrics' : `the training metrics of production version ${production.version}`;
    return { ...head, result: 'skipped', candidate: c ?? null, production: p ?? null, improvement: null, detail: `no "${metric}" in ${missing}: judged on live outcomes only` };
  }
  const improvement = improvementOf(metric, p, c);
  const ok = improvement >= minImprovement - 1e-12;
  return {
    ...head,
    result: ok ? 'pass' : 'fail',
    candidate: c,
    production: p,
    improvement,
    detail: `training ${metric} ${fmt(c)} vs ${fmt(p)} of ${production.version}: ${describe(metric, improvement)}, ${ok ? 'at least' : 'less than'} minImprovement ${minImprovement}`,
  };
}

export type LiveGateDecision = 'promote' | 'keep' | 'reject' | 'wait';

/**
 * Stage 2: live outcomes of both versions over the same period (a = production, b = candidate). Promote
 * only when the candidate is significantly better and by at least minImprovement; reject when it is
 * significantly worse; otherwise keep it as a candidate (a later evaluation, with more outcomes, may
 * still promote it); wait while either side has fewer than minSamples labeled predictions.
 */
export function liveGate(c: LiveComparison, minSamples: number, minImprovement: number): { decision: LiveGateDecision; reason: string } {
  if (c.a.samples < minSamples || c.b.samples < minSamples) {
    return {
      decision: 'wait',
      reason: `waiting for live outcomes: ${c.b.version} has ${c.b.samples} and ${c.a.version} ${c.a.samples} labeled predictions, the policy needs ${minSamples} each`,
    };
  }
  const p = c.pValue === null ? 'no test' : `p = ${fmt(c.pValue)}`;
  if (c.significant && c.better === 'a') {
    return { decision: 'reject', reason: `${c.b.version} is significantly worse than ${c.a.version} on live ${c.metric} (${fmt(c.b.value!)} vs ${fmt(c.a.value!)}, ${p})` };
  }
  if (!c.significant) {
    return { decision: 'keep', reason: `no significant difference in live ${c.metric} yet (${fmt(c.b.value!)} vs ${fmt(c.a.value!)}, ${p} ≥ ${c.alpha})` };
  }
  if ((c.improvement ?? -Infinity) < minImprovement - 1e-12) {
    return { decision: 'keep', reason: `${c.b.version} is significantly better (${p}) but by ${describe(c.metric, c.improvement!)}, less than minImprovement ${minImprovement}` };
  }
  return {
    decision: 'promote',
    reason: `${c.b.version} is significantly better than ${c.a.version} on live ${c.metric} (${fmt(c.b.value!)} vs ${fmt(c.a.value!)}, ${describe(c.metric, c.improvement!)}, ${p})`,
  };
}

export type RollbackDecision = 'rollback' | 'keep' | 'wait';

/**
 * A recent promotion (a = the replaced version before the promotion, b = the promoted version since):
 * roll back when the promoted version is significantly worse.
 */
export function rollbackCheck(c: LiveComparison, minSamples: number): { decision: RollbackDecision; reason: string } {
  if (c.a.samples < minSamples || c.b.samples < minSamples) {
    return {
      decision: 'wait',
      reason: `not enough live outcomes to judge the promotion: ${c.b.version} has ${c.b.samples} since it was promoted, ${c.a.version} ${c.a.samples} before; the policy needs ${minSamples} each`,
    };
  }
  const p = c.pValue === null ? 'no test' : `p = ${fmt(c.pValue)}`;
  if (c.significant && c.better === 'a') {
    return {
      decision: 'rollback',
      reason: `${c.b.version} is significantly worse on live ${c.metric} since its promotion than ${c.a.version} was before it (${fmt(c.b.value!)} vs ${fmt(c.a.value!)}, ${p})`,
    };
  }
  return { decision: 'keep', reason: `${c.b.version} is not significantly worse than ${c.a.version} (${fmt(c.b.value ?? NaN)} vs ${fmt(c.a.value ?? NaN)}, ${p})` };
}
