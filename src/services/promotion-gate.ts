import type { ModelsRepository, ModelWithProduction } from '../db/repositories/models.js';
import type { RetrainRepository } from '../db/repositories/retrain.js';
import { type ArmStats, type LiveComparison, compareLive } from '../domain/live-comparison.js';
import type { ModelSpec, Task } from '../domain/model-spec.js';
import type { BinaryMetrics, RegressionMetrics, TaskMetrics } from '../domain/performance-metrics.js';
import { liveGate, rollbackCheck } from '../domain/promotion-gate.js';
import { type WindowQuery, parseDuration } from '../domain/window.js';
import { UnprocessableError } from '../errors.js';
import type { AlertService } from './alerts.js';
import type { ModelCatalog } from './catalog.js';
import type { ModelService } from './models.js';
import type { PerformanceService } from './performance.js';
import type { RetrainPolicyService } from './retrain-policies.js';

/** A promotion older than this is no longer "recent": it is not rolled back automatically. */
export const ROLLBACK_WATCH_MS = 30 * 86_400_000;

export interface CandidateEvaluation {
  model: string;
  retrainRequestId: string | null;
  candidate: string | null;
  production: string | null;
  decision: 'promoted' | 'kept' | 'rejected' | 'awaiting_data' | 'none';
  reason: string;
  comparison: LiveComparison | null;
}

export interface PromotionCheck {
  model: string;
  version: string | null;
  replacedVersion: string | null;
  promotedAt: string | null;
  decision: 'rolled_back' | 'rollback_recommended' | 'kept' | 'insufficient_data' | 'not_applicable';
  reason: string;
  comparison: LiveComparison | null;
}

/**
 * Live judgement of versions: GET …/versions/compare, the second stage of the validation gate
 * (`evaluateCandidate`) and the rollback check of a recent promotion (`checkRecentPromotion`). Both methods
 * are what the daily job calls; every promotion and rollback goes through ModelService, so it is recorded
 * and announced like a manual one.
 */
export class PromotionGateService {
  constructor(
    private readonly models: ModelService,
    private readonly modelsRepo: ModelsRepository,
    private readonly catalog: ModelCatalog,
    private readonly performance: PerformanceService,
    private readonly policies: RetrainPolicyService,
    private readonly retrain: RetrainRepository,
    private readonly alerts: AlertService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Live metrics of two versions over one window, and the significance of their difference (b − a). */
  async compare(modelName: string, a: string, b: string, window: WindowQuery) {
    const model = await this.catalog.get(modelName);
    const unknown = [] as { path: string; message: string }[];
    for (const [name, version] of [['a', a], ['b', b]] as const) {
      if (!(await this.catalog.versionId(model.id, version))) unknown.push({ path: `/query/${name}`, message: `version "${version}" is not registered for model "${modelName}"` });
    }
    if (unknown.length > 0) throw new UnprocessableError(unknown);
    const [pa, pb] = await Promise.all([this.performance.performance(modelName, { ...window, version: a }), this.performance.performance(modelName, { ...window, version: b })]);
    const comparison = compareLive(model.task, armOf(model.task, a, pa), armOf(model.task, b, pb));
    const arm = (p: typeof pa, version: string) => ({ version, sampleCount: p.sampleCount, predictionCount: p.predictionCount, metrics: p.metrics, undefined: p.undefined });
    return { model: model.name, task: model.task, window: pa.window, a: arm(pa, a), b: arm(pb, b), comparison };
  }

  /**
   * Stage 2 of the gate for the newest candidate still before it: both versions' live outcomes since the
   * candidate was registered. Promotes, rejects, keeps (re-evaluated next time) or waits for data, and
   * records the decision and its reason on the retrain request.
   */
  async evaluateCandidate(modelName: string): Promise<CandidateEvaluation> {
    const model = await this.models.require(modelName);
    const spec = await this.catalog.get(modelName);
    const request = await this.retrain.inGate(model.id);
    const head = { model: model.name, retrainRequestId: request?.id ?? null, candidate: request?.candidateVersion ?? null, production: model.productionVersion?.name ?? null };
    if (!request || !request.candidateVersion) return { ...head, decision: 'none', reason: 'no candidate version is waiting for the gate', comparison: null };
    const candidate = await this.modelsRepo.findVersion(model.id, request.candidateVersion);
    if (!candidate || candidate.status !== 'candidate') {
      const promoted = candidate?.status === 'production';
      const reason = promoted ? `${request.candidateVersion} was promoted by other means` : `${request.candidateVersion} is no longer a candidate`;
      await this.retrain.updateGate(request.id, { status: promoted ? 'promoted' : 'superseded', reason, detail: { stage: 'live' } });
      return { ...head, decision: promoted ? 'promoted' : 'none', reason, comparison: null };
    }
    if (!model.productionVersion) {
      const reason = 'promoted: there is no production version to compare with';
      await this.models.promote(modelName, candidate.name, `validation gate: ${reason}`);
      await this.retrain.updateGate(request.id, { status: 'promoted', reason, detail: { stage: 'live' } });
      return { ...head, decision: 'promoted', reason, comparison: null };
    }
    const { policy } = await this.policies.policyOf(spec);
    const since = request.resultReceivedAt ?? request.createdAt;
    const range = { from: since, to: this.now() };
    const [production, cand] = await Promise.all([
      this.arm(spec, model.productionVersion.name, range),
      this.arm(spec, candidate.name, range),
    ]);
    const comparison = compareLive(spec.task, production, cand);
    const gate = liveGate(comparison, policy.minSamples, policy.minImprovement);
    const detail = { stage: 'live', since: since.toISOString(), comparison } as Record<string, unknown>;
    if (gate.decision === 'promote') {
      await this.models.promote(modelName, candidate.name, `validation gate: ${gate.reason}`);
      await this.retrain.updateGate(request.id, { status: 'promoted', reason: gate.reason, detail });
      return { ...head, decision: 'promoted', reason: gate.reason, comparison };
    }
    const status = gate.decision === 'reject' ? 'rejected' : gate.decision === 'keep' ? 'kept' : 'awaiting_live';
    await this.retrain.updateGate(request.id, { status, reason: gate.reason, detail });
    return { ...head, decision: gate.decision === 'reject' ? 'rejected' : gate.decision === 'keep' ? 'kept' : 'awaiting_data', reason: gate.reason, comparison };
  }

  /**
   * The production version, if it was promoted (not restored by a rollback) within ROLLBACK_WATCH_MS,
   * against the version it replaced: its live outcomes since the promotion vs the replaced version's over
   * the policy window before it. Significantly worse → rolled back (policy.autoRollback) with the reason
   * recorded and a critical alert, or only an alert when autoRollback is off.
   */
  async checkRecentPromotion(modelName: string): Promise<PromotionCheck> {
    const model = await this.models.require(modelName);
    const spec = await this.catalog.get(modelName);
    const none = (reason: string, extra: Partial<PromotionCheck> = {}): PromotionCheck => ({
      model: model.name,
      version: model.productionVersion?.name ?? null,
      replacedVersion: null,
      promotedAt: null,
      decision: 'not_applicable',
      reason,
      comparison: null,
      ...extra,
    });
    if (!model.productionVersion) return none('the model has no production version');
    const version = (await this.modelsRepo.findVersion(model.id, model.productionVersion.name))!;
    const event = await this.retrain.latestVersionEvent(model.id);
    if (!event || event.action !== 'promote' || event.versionId !== version.id) return none(`${version.name} is in production through a rollback, not a promotion`);
    if (!version.replacedVersionName || !version.promotedAt) return none(`${version.name} replaced no earlier version: there is nothing to roll back to`);
    const promotedAt = version.promotedAt;
    const extra = { replacedVersion: version.replacedVersionName, promotedAt: promotedAt.toISOString() };
    if (this.now().getTime() - promotedAt.getTime() > ROLLBACK_WATCH_MS) return none(`${version.name} was promoted more than 30 days ago`, extra);
    const { policy } = await this.policies.policyOf(spec);
    const before = { from: new Date(promotedAt.getTime() - parseDuration(policy.window)!), to: promotedAt };
    const [replaced, promoted] = await Promise.all([
      this.arm(spec, version.replacedVersionName, before),
      this.arm(spec, version.name, { from: promotedAt, to: this.now() }),
    ]);
    const comparison = compareLive(spec.task, replaced, promoted);
    const check = rollbackCheck(comparison, policy.minSamples);
    const base = { model: model.name, version: version.name, ...extra, reason: check.reason, comparison };
    if (check.decision === 'wait') return { ...base, decision: 'insufficient_data' };
    if (check.decision === 'keep') return { ...base, decision: 'kept' };
    if (!policy.autoRollback) {
      await this.alerts.raise({
        type: 'model.rollback_recommended',
        severity: 'warning',
        modelId: model.id,
        title: `${model.name}: ${version.name} is worse than ${version.replacedVersionName}; roll back?`,
        detail: `${check.reason}. autoRollback is off in the policy: POST /v1/models/${model.name}/rollback to restore ${version.replacedVersionName}.`,
        dedupeKey: `model.rollback_recommended:${model.id}:${version.id}`,
      });
      return { ...base, decision: 'rollback_recommended' };
    }
    await this.models.rollback(modelName, `automatic rollback: ${check.reason}`);
    await this.alerts.raise({
      type: 'model.rolled_back',
      severity: 'critical',
      modelId: model.id,
      title: `${model.name} rolled back from ${version.name} to ${version.replacedVersionName}`,
      detail: check.reason,
      dedupeKey: `model.rolled_back:${model.id}:${version.id}`,
    });
    return { ...base, decision: 'rolled_back' };
  }

  /** A version's live outcomes over [from, to) of predicted_at. */
  private async arm(model: ModelSpec, version: string, range: { from: Date; to: Date }): Promise<ArmStats> {
    if (range.to.getTime() <= range.from.getTime()) return { version, samples: 0 };
    const p = await this.performance.performance(model.name, { from: range.from.toISOString(), to: range.to.toISOString(), version });
    return armOf(model.task, version, p);
  }
}

function armOf(task: Task, version: string, p: { sampleCount: number; metrics: TaskMetrics | null }): ArmStats {
  if (!p.metrics) return { version, samples: 0 };
  if (task === 'regression') {
    const m = p.metrics as RegressionMetrics;
    return { version, samples: p.sampleCount, mae: m.mae, rmse: m.rmse };
  }
  return { version, samples: p.sampleCount, accuracy: (p.metrics as BinaryMetrics).accuracy };
}

