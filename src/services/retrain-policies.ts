import type { RetrainRepository } from '../db/repositories/retrain.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { type PolicyInput, type RetrainPolicy, defaultPolicy, resolvePolicy } from '../domain/retrain-policy.js';
import type { ModelCatalog } from './catalog.js';

export interface PolicyView extends RetrainPolicy {
  model: string;
  task: ModelSpec['task'];
  /** True while no policy was stored: these are the task's defaults. */
  isDefault: boolean;
  updatedAt: string | null;
}

/** GET and PUT …/policy, and the policy every other part of the loop reads. */
export class RetrainPolicyService {
  constructor(
    private readonly repo: RetrainRepository,
    private readonly catalog: ModelCatalog,
  ) {}

  /** The stored policy of a model, or its task's defaults. */
  async policyOf(model: ModelSpec): Promise<{ policy: RetrainPolicy; updatedAt: Date | null }> {
    const stored = await this.repo.policy(model.id);
    // Fields added to the policy after it was stored take their defaults.
    return stored ? { policy: { ...defaultPolicy(model.task), ...stored.policy }, updatedAt: stored.updatedAt } : { policy: defaultPolicy(model.task), updatedAt: null };
  }

  async get(modelName: string): Promise<PolicyView> {
    const model = await this.catalog.get(modelName);
    const { policy, updatedAt } = await this.policyOf(model);
    return view(model, policy, updatedAt);
  }

  async put(modelName: string, input: PolicyInput): Promise<PolicyView> {
    const model = await this.catalog.get(modelName);
    const policy = resolvePolicy(model.task, input);
    const updatedAt = await this.repo.savePolicy(model.id, policy);
    return view(model, policy, updatedAt);
  }
}

const view = (model: ModelSpec, policy: RetrainPolicy, updatedAt: Date | null): PolicyView => ({
  model: model.name,
  task: model.task,
  ...policy,
  isDefault: updatedAt === null,
  updatedAt: updatedAt?.toISOString() ?? null,
});
