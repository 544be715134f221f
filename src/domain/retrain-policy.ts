import { type FieldError, UnprocessableError, ValidationError } from '../errors.js';
import type { Task } from './model-spec.js';
import { MAX_DURATION_MS, parseDuration } from './window.js';

/**
 * A model's retrain policy (DESIGN §5) and the pure decision it drives: given the policy and what was
 * measured, should the model be retrained now, and why (or why not)?
 */

/** Drift report severities in increasing order (the drift engine's scale). */
export const DRIFT_SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type DriftSeverity = (typeof DRIFT_SEVERITIES)[number];
export type PolicyDriftSeverity = Exclude<DriftSeverity, 'none'>;

export interface RetrainTier {
  name: string;
  every: string;
}

export interface RetrainPolicy {
  /** Labeled predictions the window needs before its metrics are judged. */
  minSamples: number;
  /** The window (ending now) of accuracyBelow and the error limits, and of a drift report's freshness. */
  window: string;
  accuracyBelow: number | null;
  lastN: { n: number; accuracyBelow: number } | null;
  /** Percent. */
  maxMape: number | null;
  maxMae: number | null;
  maxRmse: number | null;
  /** Retrain when the latest drift report is at least this severe; null: drift is not considered. */
  driftSeverity: PolicyDriftSeverity | null;
  /** How long after the last completed request of the same tier no new one is started; null: none. */
  cooldown: string | null;
  /** Whether evaluateAndTrigger (the daily job) starts a request when the decision says so. */
  autoTrigger: boolean;
  /** How much better a candidate must be to be promoted (accuracy: absolute; MAE: relative). */
  minImprovement: number;
  /** Whether a promoted version significantly worse than the one it replaced is rolled back automatically. */
  autoRollback: boolean;
  /** The window of the dataset frozen for a retrain request (and the default of POST …/datasets). */
  trainingWindow: string;
  tiers: RetrainTier[];
}

export type PolicyInput = { [K in keyof RetrainPolicy]?: RetrainPolicy[K] | null };

export function defaultPolicy(task: Task): RetrainPolicy {
  const classification = task !== 'regression';
  return {
    minSamples: 50,
    window: '7d',
    accuracyBelow: null,
    lastN: classification ? { n: 10, accuracyBelow: 0.55 } : null,
    maxMape: classification ? null : 30,
    maxMae: null,
    maxRmse: null,
    driftSeverity: 'high',
    cooldown: '6h',
    autoTrigger: false,
    minImprovement: 0.02,
    autoRollback: true,
    trainingWindow: '30d',
    tiers: [],
  };
}

const TIER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const DURATION_HELP = 'must be a duration: a positive integer and a unit m, h, d or w (e.g. 1h, 6h, 24h, 7d)';

/**
 * The policy a PUT stores: the given fields over the task's defaults (a PUT replaces the whole policy;
 * an omitted field takes its default, an explicit null switches a check off). Invalid values are a 400
 * naming each field; checks that do not fit the task (accuracy for regression, MAPE/MAE/RMSE for
 * classification) a 422.
 */
export function resolvePolicy(task: Task, input: PolicyInput, prefix = '/body'): RetrainPolicy {
  const base = defaultPolicy(task);
  const pick = <K extends keyof RetrainPolicy>(key: K): RetrainPolicy[K] => (input[key] === undefined ? base[key] : (input[key] as RetrainPolicy[K]));
  const policy: RetrainPolicy = {
    minSamples: pick('minSamples') ?? base.minSamples,
    window: pick('window') ?? base.window,
    accuracyBelow: pick('accuracyBelow'),
    lastN: pick('lastN'),
    maxMape: pick('maxMape'),
    maxMae: pick('maxMae'),
    maxRmse: pick('maxRmse'),
    driftSeverity: pick('driftSeverity'),
    cooldown: pick('cooldown'),
    autoTrigger: pick('autoTrigger') ?? base.autoTrigger,
    minImprovement: pick('minImprovement') ?? base.minImprovement,
    autoRollback: pick('autoRollback') ?? base.autoRollback,
    trainingWindow: pick('trainingWindow') ?? base.trainingWindow,
    tiers: pick('tiers') ?? [],
  };
  const invalid = invalidFields(policy, prefix);
  if (invalid.length > 0) throw new ValidationError(invalid);
  // The defaults already fit the task: only explicitly given checks can be refused.
  const unfit = unfitFields(task, input, prefix);
  if (unfit.length > 0) throw new UnprocessableError(unfit);
  return policy;
}

function invalidFields(p: RetrainPolicy, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = (path: string, message: string) => errors.push({ path: `${prefix}/${path}`, message });
  const duration = (path: string, text: string | null) => {
    if (text === null) return;
    const ms = parseDuration(text);
    if (ms === null || text !== text.trim()) at(path, DURATION_HELP);
    else if (ms > MAX_DURATION_MS) at(path, 'must be at most 3660d');
  };
  const inRange = (path: string, value: number | null, ok: (v: number) => boolean, message: string) => {
    if (value !== null && (!Number.isFinite(value) || !ok(value))) at(path, message);
  };
  if (!Number.isInteger(p.minSamples) || p.minSamples < 1 || p.minSamples > 1_000_000) at('minSamples', 'must be an integer from 1 to 1000000');
  duration('window', p.window);
  duration('cooldown', p.cooldown);
  duration('trainingWindow', p.trainingWindow);
  inRange('accuracyBelow', p.accuracyBelow, (v) => v > 0 && v <= 1, 'must be greater than 0 and at most 1');
  if (p.lastN !== null) {
    if (!Number.isInteger(p.lastN.n) || p.lastN.n < 1 || p.lastN.n > 100_000) at('lastN/n', 'must be an integer from 1 to 100000');
    inRange('lastN/accuracyBelow', p.lastN.accuracyBelow, (v) => v > 0 && v <= 1, 'must be greater than 0 and at most 1');
  }
  for (const key of ['maxMape', 'maxMae', 'maxRmse'] as const) inRange(key, p[key], (v) => v > 0, 'must be a number greater than 0');
  inRange('minImprovement', p.minImprovement, (v) => v >= 0 && v < 1, 'must be at least 0 and less than 1');
  if (p.driftSeverity !== null && !(DRIFT_SEVERITIES.slice(1) as readonly string[]).includes(p.driftSeverity)) {
    at('driftSeverity', 'must be one of: low, medium, high, critical (or null)');
  }
  if (p.tiers.length > 20) at('tiers', 'must have at most 20 tiers');
  const seen = new Map<string, number>();
  p.tiers.forEach((tier, i) => {
    if (!TIER_NAME.test(tier.name)) at(`tiers/${i}/name`, 'must be a slug: lowercase letters, digits and hyphens, 1–32 characters');
    const first = seen.get(tier.name);
    if (first !== undefined) at(`tiers/${i}/name`, `duplicates the name of tier ${first} ("${tier.name}"): tier names must be unique`);
    else seen.set(tier.name, i);
    duration(`tiers/${i}/every`, tier.every);
  });
  return errors;
}

function unfitFields(task: Task, input: PolicyInput, prefix: string): FieldError[] {
  const explicit = (key: keyof RetrainPolicy) => input[key] !== undefined && input[key] !== null;
  const fields = task === 'regression' ? (['accuracyBelow', 'lastN'] as const) : (['maxMape', 'maxMae', 'maxRmse'] as const);
  const why = task === 'regression' ? 'accuracy does not apply to a regression model (use maxMape, maxMae or maxRmse)' : `error limits apply to regression models; a ${task} model is judged on accuracy (use accuracyBelow or lastN)`;
  return fields.filter(explicit).map((key) => ({ path: `${prefix}/${key}`, message: why }));
}

/** The tier names a request may name; null (no tier) is always allowed. */
export const tierNames = (policy: RetrainPolicy) => policy.tiers.map((t) => t.name);

// ── The decision ───────────────────────────────────────────────────────────────────────────────────────

export type CheckResult = 'pass' | 'fail' | 'insufficient_data' | 'skipped';

/**
 * One line of the decision. Kinds: a `precondition` (enough samples) makes metric checks judgeable; a
 * `trigger` that fails is a reason to retrain; a `guard` that fails blocks starting a request now.
 */
export interface RetrainCheck {
  name: string;
  kind: 'precondition' | 'trigger' | 'guard';
  value: number | string | null;
  threshold: number | string | null;
  window: string | null;
  result: CheckResult;
  detail: string;
}

export interface DecisionMeasurements {
  /** Labeled predictions of the production version over policy.window, and their metrics. */
  window: { samples: number; accuracy: number | null; mae: number | null; rmse: number | null; mape: number | null };
  /** The last policy.lastN.n labeled predictions (null when the policy has no lastN). */
  lastN: { samples: number; accuracy: number | null } | null;
  drift: { severity: string; reportId: string; createdAt: Date } | null;
  openRequest: { id: string; status: string; createdAt: Date } | null;
  lastCompletedAt: Date | null;
  webhook: { status: 'active' | 'disabled' | 'missing'; reason: string | null };
}

export interface RetrainDecision {
  shouldRetrain: boolean;
  /** Why retraining is needed: the details of the failed triggers. */
  reasons: string[];
  /** Why no request can start now although it is needed (failed guards). */
  blockedBy: string[];
  checks: RetrainCheck[];
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));

export function decideRetrain(task: Task, policy: RetrainPolicy, m: DecisionMeasurements, now: Date): RetrainDecision {
  const checks: RetrainCheck[] = [];
  const w = policy.window;
  const enough = m.window.samples >= policy.minSamples;
  checks.push({
    name: 'minSamples',
    kind: 'precondition',
    value: m.window.samples,
    threshold: policy.minSamples,
    window: w,
    result: enough ? 'pass' : 'insufficient_data',
    detail: enough
      ? `${m.window.samples} labeled predictions in the last ${w} (at least ${policy.minSamples})`
      : `not enough samples: ${m.window.samples} labeled predictions in the last ${w}, the policy needs ${policy.minSamples}`,
  });

  const classification = task !== 'regression';
  const limit = (name: string, metric: 'accuracy' | 'mape' | 'mae' | 'rmse', threshold: number | null, applies: boolean, label: string) => {
    const base = { name, kind: 'trigger' as const, threshold, window: w };
    if (!applies) return checks.push({ ...base, value: null, result: 'skipped', detail: `does not apply to ${task} models` });
    if (threshold === null) return checks.push({ ...base, value: null, result: 'skipped', detail: 'not set in the policy' });
    const value = m.window[metric];
    if (!enough) return checks.push({ ...base, value, result: 'insufficient_data', detail: `not enough samples to judge ${label} (${m.window.samples} of ${policy.minSamples})` });
    if (value === null) return checks.push({ ...base, value, result: 'insufficient_data', detail: `${label} is undefined over the last ${w}${metric === 'mape' ? ' (every actual value is 0)' : ''}` });
    const failed = metric === 'accuracy' ? value < threshold : value > threshold;
    const unit = metric === 'mape' ? '%' : '';
    return checks.push({
      ...base,
      value,
      result: failed ? 'fail' : 'pass',
      detail: failed
        ? `${label} ${fmt(value)}${unit} over the last ${w} is ${metric === 'accuracy' ? 'below' : 'above'} ${fmt(threshold)}${unit}`
        : `${label} ${fmt(value)}${unit} over the last ${w} is within ${metric === 'accuracy' ? '≥' : '≤'} ${fmt(threshold)}${unit}`,
    });
  };
  limit('accuracy', 'accuracy', policy.accuracyBelow, classification, 'accuracy');
  lastNCheck(checks, task, policy, m);
  limit('mape', 'mape', policy.maxMape, !classification, 'MAPE');
  limit('mae', 'mae', policy.maxMae, !classification, 'MAE');
  limit('rmse', 'rmse', policy.maxRmse, !classification, 'RMSE');
  checks.push(driftCheck(policy, m, now));
  guardChecks(checks, policy, m, now);

  const reasons = checks.filter((c) => c.kind === 'trigger' && c.result === 'fail').map((c) => c.detail);
  const blockedBy = reasons.length > 0 ? checks.filter((c) => c.kind === 'guard' && c.result === 'fail').map((c) => c.detail) : [];
  return { shouldRetrain: reasons.length > 0 && blockedBy.length === 0, reasons, blockedBy, checks };
}

function lastNCheck(checks: RetrainCheck[], task: Task, policy: RetrainPolicy, m: DecisionMeasurements): void {
  const lastN = policy.lastN;
  const base = { name: 'lastNAccuracy', kind: 'trigger' as const, threshold: lastN?.accuracyBelow ?? null, window: lastN ? `last ${lastN.n}` : null };
  if (task === 'regression') return void checks.push({ ...base, value: null, result: 'skipped', detail: 'does not apply to regression models' });
  if (!lastN || !m.lastN) return void checks.push({ ...base, value: null, result: 'skipped', detail: 'not set in the policy' });
  const { samples, accuracy } = m.lastN;
  if (samples < lastN.n || accuracy === null) {
    return void checks.push({ ...base, value: accuracy, result: 'insufficient_data', detail: `not enough samples: ${samples} labeled predictions, the last-N check needs ${lastN.n}` });
  }
  const failed = accuracy < lastN.accuracyBelow;
  checks.push({
    ...base,
    value: accuracy,
    result: failed ? 'fail' : 'pass',
    detail: `accuracy ${fmt(accuracy)} over the last ${lastN.n} labeled predictions is ${failed ? 'below' : 'within ≥'} ${fmt(lastN.accuracyBelow)}`,
  });
}

function driftCheck(policy: RetrainPolicy, m: DecisionMeasurements, now: Date): RetrainCheck {
  const base = { name: 'drift', kind: 'trigger' as const, threshold: policy.driftSeverity, window: policy.window };
  if (policy.driftSeverity === null) return { ...base, value: m.drift?.severity ?? null, result: 'skipped', detail: 'not set in the policy' };
  if (!m.drift) return { ...base, value: null, result: 'skipped', detail: 'no drift report' };
  const rank = DRIFT_SEVERITIES.indexOf(m.drift.severity as DriftSeverity);
  const at = `report ${m.drift.reportId} of ${m.drift.createdAt.toISOString()}`;
  if (rank < 0) return { ...base, value: m.drift.severity, result: 'skipped', detail: `unknown severity "${m.drift.severity}" in ${at}` };
  if (now.getTime() - m.drift.createdAt.getTime() > parseDuration(policy.window)!) {
    return { ...base, value: m.drift.severity, result: 'skipped', detail: `no drift report in the last ${policy.window} (the latest, ${at}, is older)` };
  }
  const failed = rank >= DRIFT_SEVERITIES.indexOf(policy.driftSeverity);
  return {
    ...base,
    value: m.drift.severity,
    result: failed ? 'fail' : 'pass',
    detail: `drift severity "${m.drift.severity}" (${at}) is ${failed ? 'at or above' : 'below'} "${policy.driftSeverity}"`,
  };
}

function guardChecks(checks: RetrainCheck[], policy: RetrainPolicy, m: DecisionMeasurements, now: Date): void {
  const open = m.openRequest;
  checks.push({
    name: 'openRequest',
    kind: 'guard',
    value: open?.id ?? null,
    threshold: null,
    window: null,
    result: open ? 'fail' : 'pass',
    detail: open ? `retrain request ${open.id} (${open.status}, since ${open.createdAt.toISOString()}) is still open` : 'no open retrain request',
  });
  const cooldownMs = policy.cooldown === null ? null : parseDuration(policy.cooldown);
  const endsAt = cooldownMs !== null && m.lastCompletedAt ? new Date(m.lastCompletedAt.getTime() + cooldownMs) : null;
  const cooling = endsAt !== null && endsAt.getTime() > now.getTime();
  checks.push({
    name: 'cooldown',
    kind: 'guard',
    value: cooling ? endsAt.toISOString() : null,
    threshold: policy.cooldown,
    window: null,
    result: policy.cooldown === null ? 'skipped' : cooling ? 'fail' : 'pass',
    detail:
      policy.cooldown === null
        ? 'no cooldown in the policy'
        : cooling
          ? `cooldown of ${policy.cooldown} after the request completed at ${m.lastCompletedAt!.toISOString()} lasts until ${endsAt.toISOString()}`
          : m.lastCompletedAt
            ? `the cooldown of ${policy.cooldown} after ${m.lastCompletedAt.toISOString()} is over`
            : 'no completed retrain request yet',
  });
  const hook = m.webhook;
  checks.push({
    name: 'webhook',
    kind: 'guard',
    value: hook.status,
    threshold: null,
    window: null,
    result: hook.status === 'active' ? 'pass' : 'fail',
    detail:
      hook.status === 'active'
        ? 'the training webhook is active'
        : hook.status === 'missing'
          ? 'no training webhook: configure one with PUT /v1/models/{model}/webhook'
          : `the training webhook is disabled: ${hook.reason ?? 'no reason recorded'}`,
  });
}
