import type { RetrainRepository } from '../db/repositories/retrain.js';
import type { WebhooksRepository } from '../db/repositories/webhooks.js';
import type { BinaryMetrics, RegressionMetrics, TaskMetrics } from '../domain/performance-metrics.js';
import { type DecisionMeasurements, type RetrainCheck, type RetrainPolicy, decideRetrain } from '../domain/retrain-policy.js';
import type { ModelSpec } from '../domain/model-spec.js';
import type { ModelService } from './models.js';
import type { PerformanceService } from './performance.js';
import type { RetrainPolicyService } from './retrain-policies.js';

/**
 * The latest drift report's severity for a model, or null without one. Injected: the drift service
 * (issue 4) provides it; until then the drift check is skipped ("no drift report").
 */
export type DriftSeverityProvider = (modelId: string) => Promise<{ severity: string; reportId: string; createdAt: Date } | null>;

export interface DecisionView {
  model: string;
  task: ModelSpec['task'];
  productionVersion: string | null;
  evaluatedAt: string;
  shouldRetrain: boolean;
  reasons: string[];
  blockedBy: string[];
  checks: RetrainCheck[];
}

/**
 * GET …/retrain-decision: measures what the policy looks at — the production version's metrics over the
 * policy window and its last N labeled predictions (through PerformanceService, as GET …/performance
 * computes them), the latest drift report, the open request, the cooldown and the webhook — and lets the
 * pure decision (src/domain/retrain-policy.ts) judge. Decisions concern requests without a tier.
 */
export class RetrainDecisionService {
  constructor(
    private readonly models: ModelService,
    private readonly policies: RetrainPolicyService,
    private readonly performance: PerformanceService,
    private readonly retrain: RetrainRepository,
    private readonly webhooks: WebhooksRepository,
    private readonly drift: DriftSeverityProvider,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async decide(modelName: string): Promise<DecisionView & { policy: RetrainPolicy }> {
    const model = await this.models.require(modelName);
    const spec = { id: model.id, name: model.name, task: model.task as ModelSpec['task'] };
    const { policy } = await this.policies.policyOf({ ...spec, labels: model.labels, positiveLabel: model.positiveLabel });
    const version = model.productionVersion?.name;
    const filter = version ? { version } : {};
    const classification = spec.task !== 'regression';
    const [windowPerf, lastPerf, drift, open, lastCompletedAt, hook] = await Promise.all([
      this.performance.performance(modelName, { window: policy.window, ...filter }),
      classification && policy.lastN ? this.performance.performance(modelName, { last: policy.lastN.n, ...filter }) : null,
      this.drift(model.id),
      this.retrain.open(model.id, null),
      this.retrain.lastCompletedAt(model.id, null),
      this.webhooks.training(model.id),
    ]);
    const m = windowPerf.metrics as TaskMetrics | null;
    const measurements: DecisionMeasurements = {
      window: {
        samples: windowPerf.sampleCount,
        accuracy: classification && m ? (m as BinaryMetrics).accuracy : null,
        mae: !classification && m ? (m as RegressionMetrics).mae : null,
        rmse: !classification && m ? (m as RegressionMetrics).rmse : null,
        mape: !classification && m ? (m as RegressionMetrics).mape : null,
      },
      lastN: lastPerf ? { samples: lastPerf.sampleCount, accuracy: lastPerf.metrics ? (lastPerf.metrics as BinaryMetrics).accuracy : null } : null,
      drift,
      openRequest: open ? { id: open.id, status: open.status, createdAt: open.createdAt } : null,
      lastCompletedAt,
      webhook: hook ? { status: hook.status, reason: hook.disabledReason } : { status: 'missing', reason: null },
    };
    const now = this.now();
    const decision = decideRetrain(spec.task, policy, measurements, now);
    return { model: model.name, task: spec.task, productionVersion: version ?? null, evaluatedAt: now.toISOString(), ...decision, policy };
  }
}
