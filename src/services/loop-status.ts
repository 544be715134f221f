import type { LearningRepository } from '../db/repositories/learning.js';
import type { RetrainRepository } from '../db/repositories/retrain.js';
import { nextIntervalSlot } from '../domain/job-schedule.js';
import { parseDuration } from '../domain/window.js';
import type { AlertService, AlertSeverity } from './alerts.js';
import type { DriftReportService } from './drift-reports.js';
import type { ModelService } from './models.js';
import type { RetrainPolicyService } from './retrain-policies.js';

export interface LearningSchedule {
  lastRunAt: string | null;
  lastRunStatus: string | null;
  nextRunAt: string | null;
}

export interface LoopStatusDeps {
  repo: LearningRepository;
  models: ModelService;
  policies: RetrainPolicyService;
  retrain: RetrainRepository;
  driftReports: DriftReportService;
  alerts: AlertService;
  /** The daily-learning job's last and next run (from the scheduler). */
  dailyLearning: () => Promise<LearningSchedule>;
  now?: () => Date;
}

export interface TrainingStatus {
  /** null: requests without a tier, started by the decision (the daily job) or by hand. */
  tier: string | null;
  every: string | null;
  /** Whether Hindsight starts these requests by itself (autoTrigger on; a tier also needs its `every`). */
  scheduled: boolean;
  lastRequest: { id: string; status: string; trigger: string; createdAt: string; completedAt: string | null } | null;
  lastSucceededAt: string | null;
  /** A tier: its next slot. No tier: the next daily decision. Null when nothing is scheduled. */
  nextDueAt: string | null;
}

export interface LoopStatus {
  productionVersion: { name: string; promotedAt: string | null } | null;
  retrainInProgress: boolean;
  openRetrainRequest: { id: string; tier: string | null; status: string; trigger: string; reasons: string[]; createdAt: string } | null;
  candidate: { version: string; retrainRequestId: string; gateStatus: string | null; gateReason: string | null } | null;
  training: TrainingStatus[];
  performance: {
    takenAt: string;
    window: string;
    version: string | null;
    sampleCount: number;
    metric: string;
    value: number | null;
    trend: 'improving' | 'degrading' | 'stable' | null;
  } | null;
  drift: { severity: string; reportId: string; createdAt: string } | null;
  alerts: { open: number; acknowledged: number; highestSeverity: AlertSeverity | null };
  dailyLearning: LearningSchedule;
}

/**
 * Where the loop stands for one model (GET /v1/models/{model}): a handful of indexed reads — the latest
 * performance snapshot and drift report the daily job stored, the open and last retrain requests per
 * tier, the gate, the unresolved alerts — and nothing recomputed.
 */
export class LoopStatusService {
  constructor(private readonly d: LoopStatusDeps) {}

  async status(modelName: string): Promise<LoopStatus> {
    const model = await this.d.models.require(modelName);
    const spec = { id: model.id, name: model.name, task: model.task as 'binary' | 'multiclass' | 'regression', labels: model.labels, positiveLabel: model.positiveLabel };
    const [{ policy }, open, perTier, inGate, snapshot, drift, alerts, daily, promotedAt] = await Promise.all([
      this.d.policies.policyOf(spec),
      this.d.repo.openRequests(model.id),
      this.d.repo.lastRequestPerTier(model.id),
      this.d.retrain.inGate(model.id),
      this.d.repo.latestSnapshot(model.id),
      this.d.driftReports.latestSeverity(model.id),
      this.d.alerts.unresolvedCounts(model.id),
      this.d.dailyLearning(),
      model.productionVersion ? this.d.repo.promotedAt(model.productionVersion.id) : null,
    ]);
    const now = this.d.now?.() ?? new Date();
    const last = new Map(perTier.map((r) => [r.tier, r]));
    const tiers: { tier: string | null; every: string | null }[] = [{ tier: null, every: null }, ...policy.tiers.map((t) => ({ tier: t.name, every: t.every }))];
    for (const r of perTier) if (r.tier !== null && !policy.tiers.some((t) => t.name === r.tier)) tiers.push({ tier: r.tier, every: null });
    const training = tiers.map(({ tier, every }): TrainingStatus => {
      const r = last.get(tier);
      const everyMs = every ? parseDuration(every) : null;
      const scheduled = policy.autoTrigger && (tier === null || everyMs !== null);
      return {
        tier,
        every,
        scheduled,
        lastRequest: r ? { id: r.id, status: r.status, trigger: r.trigger, createdAt: r.createdAt.toISOString(), completedAt: r.completedAt?.toISOString() ?? null } : null,
        lastSucceededAt: r?.lastSucceededAt?.toISOString() ?? null,
        nextDueAt: !scheduled ? null : tier === null ? daily.nextRunAt : nextIntervalSlot(now, everyMs!).toISOString(),
      };
    });
    const newest = open[0];
    return {
      productionVersion: model.productionVersion ? { name: model.productionVersion.name, promotedAt: promotedAt?.toISOString() ?? null } : null,
      retrainInProgress: open.length > 0,
      openRetrainRequest: newest ? { ...newest, createdAt: newest.createdAt.toISOString() } : null,
      candidate:
        inGate && inGate.candidateVersion ? { version: inGate.candidateVersion, retrainRequestId: inGate.id, gateStatus: inGate.gateStatus, gateReason: inGate.gateReason } : null,
      training,
      performance: snapshot
        ? {
            takenAt: snapshot.takenAt.toISOString(),
            window: snapshot.window,
            version: snapshot.version,
            sampleCount: snapshot.sampleCount,
            metric: snapshot.metric,
            value: snapshot.value,
            trend: snapshot.trend,
          }
        : null,
      drift: drift ? { severity: drift.severity, reportId: drift.reportId, createdAt: drift.createdAt.toISOString() } : null,
      alerts,
      dailyLearning: daily,
    };
  }
}
