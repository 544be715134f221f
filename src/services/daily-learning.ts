import type { StoredEvent } from '../db/repositories/drift-stream.js';
import type { LearningModel, LearningRepository } from '../db/repositories/learning.js';
import { type AlertIntent, type DailyFacts, dailyAlerts } from '../domain/learning-alerts.js';
import { primaryMetric, type TaskMetrics } from '../domain/performance-metrics.js';
import type { RetrainPolicy } from '../domain/retrain-policy.js';
import { UnprocessableError } from '../errors.js';
import type { AlertService } from './alerts.js';
import type { DriftReportService } from './drift-reports.js';
import type { DriftStreamService } from './drift-stream.js';
import type { ErrorAnalysisService } from './error-analysis.js';
import { bucketFor, conceptDetail, driftSummary, errorSummary, predictionDetail } from './learning-summaries.js';
import type { PerformanceService } from './performance.js';
import type { PromotionGateService } from './promotion-gate.js';
import type { RetrainPolicyService } from './retrain-policies.js';
import type { RetrainService } from './retrain-requests.js';

export interface DailyLearningDeps {
  repo: LearningRepository;
  policies: RetrainPolicyService;
  performance: PerformanceService;
  errors: ErrorAnalysisService;
  driftReports: DriftReportService;
  driftStream: DriftStreamService;
  retrain: RetrainService;
  gate: PromotionGateService;
  alerts: AlertService;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A step that fails is recorded and the next one runs: one broken measurement never hides the others. */
class Steps {
  readonly failures: { step: string; error: string }[] = [];
  async run<T>(step: string, work: () => Promise<T>): Promise<T | null> {
    try {
      return await work();
    } catch (error) {
      this.failures.push({ step, error: message(error) });
      return null;
    }
  }
}

/**
 * One model's daily learning: a performance snapshot (stored), a drift report (stored, against the
 * training baseline when one was uploaded, else the 30 days before the window), the error analysis, the
 * validation gate (a waiting candidate; the rollback check of a recent promotion), the retrain decision
 * with its automatic trigger, and the alerts all this calls for — raised, counted again, or resolved.
 */
export class DailyLearningService {
  constructor(private readonly d: DailyLearningDeps) {}

  models(): Promise<LearningModel[]> {
    return this.d.repo.models();
  }

  /**
   * The stream detectors' drifts not alerted yet, by model. They are marked alerted by `run()` once the
   * model's alerts are stored: a run that dies first leaves them for the next one.
   */
  async streamDrifts(limit = 10_000): Promise<Map<string, StoredEvent[]>> {
    const byModel = new Map<string, StoredEvent[]>();
    for (const event of await this.d.driftStream.unalertedDrifts(limit)) {
      const events = byModel.get(event.modelId);
      if (events) events.push(event);
      else byModel.set(event.modelId, [event]);
    }
    return byModel;
  }

  async run(model: LearningModel, context: { runId: string | null; streamDrifts: StoredEvent[] }) {
    const steps = new Steps();
    const spec = { id: model.id, name: model.name, task: model.task, labels: model.labels, positiveLabel: model.positiveLabel };
    const { policy } = await this.d.policies.policyOf(spec);
    const filter = model.productionVersion ? { version: model.productionVersion } : {};

    const performance = await steps.run('performance', () => this.snapshot(model, policy, filter, context.runId));
    const drift = await steps.run('drift', () => this.driftReport(model.name, policy));
    const errors = await steps.run('errors', async () => errorSummary(await this.d.errors.analyse(model.name, { window: policy.window, ...filter })));
    const candidate = await steps.run('gate', () => this.d.gate.evaluateCandidate(model.name));
    const promotion = await steps.run('rollbackCheck', () => this.d.gate.checkRecentPromotion(model.name));
    const retrain = await steps.run('retrain', () => this.d.retrain.evaluateAndTrigger(model.name));
    const open = retrain ? (retrain.triggered ? true : await steps.run('openRequests', async () => (await this.d.repo.openRequests(model.id)).length > 0)) : null;

    const facts: DailyFacts = {
      modelId: model.id,
      model: model.name,
      performance:
        performance && retrain
          ? {
              judged: retrain.decision.checks.some((c) => c.name === 'minSamples' && c.result === 'pass'),
              window: policy.window,
              metric: performance.metric,
              value: performance.value,
              trend: performance.trend,
              trendReason: performance.trendReason,
              breaches: retrain.decision.checks.filter((c) => c.kind === 'trigger' && c.name !== 'drift' && c.result === 'fail').map((c) => c.detail),
            }
          : null,
      drift: drift
        ? {
            reportId: drift.report.id,
            hasData: drift.report.reference.rows > 0 && drift.report.current.rows > 0,
            data: drift.report.summary.levels.data,
            driftedFeatures: drift.report.features.filter((f) => f.drifted).map((f) => ({ name: f.feature, severity: f.severity })),
            featureCount: drift.report.summary.featureCount,
            prediction: drift.report.summary.levels.prediction,
            predictionDetail: predictionDetail(drift.report),
            concept: drift.report.concept ? (drift.report.concept.direction === 'degraded' ? drift.report.concept.severity : 'none') : null,
            conceptDetail: conceptDetail(drift.report),
          }
        : null,
      stream: {
        drifts: context.streamDrifts.map((e) => ({ detector: e.detector, detectedAt: e.detectedAt, samples: e.samples })),
        status: drift?.report.stream?.status ?? null,
      },
      retrain:
        retrain && open !== null
          ? {
              reasons: retrain.decision.reasons,
              blockedBy: retrain.decision.blockedBy,
              triggered: retrain.triggered,
              requestId: retrain.request?.id ?? null,
              open,
              autoTrigger: policy.autoTrigger,
            }
          : null,
    };
    const alerts = await steps.run('alerts', () => this.apply(model.id, dailyAlerts(facts)));
    if (alerts) await steps.run('streamDrifts', () => this.d.driftStream.markAlerted(context.streamDrifts));
    return {
      model: model.name,
      status: steps.failures.length === 0 ? ('ok' as const) : ('failed' as const),
      failures: steps.failures,
      performance: performance && { window: policy.window, version: model.productionVersion, sampleCount: performance.sampleCount, metric: performance.metric, value: performance.value, trend: performance.trend },
      drift: drift && driftSummary(drift.report, drift.reference),
      errors,
      gate: candidate && { decision: candidate.decision, candidate: candidate.candidate, reason: candidate.reason },
      rollbackCheck: promotion && { decision: promotion.decision, version: promotion.version, reason: promotion.reason },
      retrain: retrain && {
        shouldRetrain: retrain.decision.shouldRetrain,
        reasons: retrain.decision.reasons,
        blockedBy: retrain.decision.blockedBy,
        triggered: retrain.triggered,
        requestId: retrain.request?.id ?? null,
        note: retrain.note,
      },
      alerts,
    };
  }

  private async snapshot(model: LearningModel, policy: RetrainPolicy, filter: { version?: string }, runId: string | null) {
    const [perf, history] = await Promise.all([
      this.d.performance.performance(model.name, { window: policy.window, ...filter }),
      this.d.performance.history(model.name, { window: policy.window, bucket: bucketFor(policy.window), ...filter }),
    ]);
    const metric = primaryMetric(model.task);
    const value = perf.metrics ? metric.valueOf(perf.metrics as TaskMetrics) : null;
    const window = perf.window as { from: string | null; to: string | null };
    const { direction, reason, ...trendDetail } = history.trend;
    await this.d.repo.insertSnapshot({
      modelId: model.id,
      versionId: model.productionVersionId,
      jobRunId: runId,
      window: policy.window,
      windowFrom: new Date(window.from ?? Date.now()),
      windowTo: new Date(window.to ?? Date.now()),
      sampleCount: perf.sampleCount,
      metric: metric.name,
      value: Number.isFinite(value) ? value : null,
      metrics: perf.metrics as Record<string, unknown> | null,
      trend: direction,
      trendDetail: { ...trendDetail, reason, bucket: history.bucket },
    });
    return { sampleCount: perf.sampleCount, metric: metric.name, value: Number.isFinite(value) ? value : null, trend: direction, trendReason: reason };
  }

  /** Against the production version's (or the model's) training baseline when one was uploaded, else the 30 days before the window. */
  private async driftReport(modelName: string, policy: RetrainPolicy) {
    try {
      return { report: await this.d.driftReports.create(modelName, { reference: 'baseline', current: policy.window }, 'schedule', '/job'), reference: 'baseline' as const };
    } catch (error) {
      if (!(error instanceof UnprocessableError && error.errors?.some((e) => e.path === '/job/reference'))) throw error;
      return { report: await this.d.driftReports.create(modelName, { current: policy.window }, 'schedule', '/job'), reference: 'window' as const };
    }
  }

  /** Raises and resolves; returns what changed (a repeat counts, it does not notify). */
  private async apply(modelId: string, intents: AlertIntent[]) {
    const raised: { type: string; severity: string; change: string; count: number }[] = [];
    const resolved: string[] = [];
    for (const intent of intents) {
      if (intent.action === 'raise') {
        const { alert, change } = await this.d.alerts.raise({ type: intent.type, severity: intent.severity, modelId, title: intent.title, detail: intent.detail, dedupeKey: intent.dedupeKey });
        raised.push({ type: alert.type, severity: alert.severity, change, count: alert.count });
      } else {
        const alert = await this.d.alerts.resolveCondition(intent.dedupeKey, intent.resolution);
        if (alert) resolved.push(alert.type);
      }
    }
    return { raised, resolved };
  }
}
