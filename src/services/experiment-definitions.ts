import type { ExperimentWithArms, ExperimentsRepository } from '../db/repositories/experiments.js';
import { cumulativeWeights } from '../domain/assignment.js';
import type { ExperimentMetric } from '../domain/experiment-metrics.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { NotFoundError } from '../errors.js';
import type { ModelCatalog } from './catalog.js';

/** An experiment with everything resolved: its model, the arms' version names, the cumulative weights. */
export interface ExperimentDefinition {
  id: string;
  name: string;
  model: ModelSpec;
  metric: ExperimentMetric;
  mode: 'fixed' | 'sequential';
  minSamplesPerArm: number;
  confidence: number;
  tau: number | null;
  outcomeSource: 'ground_truth' | 'human' | null;
  description: string | null;
  status: 'running' | 'concluded';
  startsAt: Date;
  endsAt: Date | null;
  concludedAt: Date | null;
  winner: string | null;
  arms: { version: string; versionId: string; weight: number }[];
  cumulative: number[];
  conclusion: unknown;
  createdAt: Date;
}

export interface ExperimentView {
  id: string;
  name: string;
  model: string;
  task: ModelSpec['task'];
  metric: ExperimentMetric;
  mode: 'fixed' | 'sequential';
  arms: { version: string; weight: number }[];
  minSamplesPerArm: number;
  confidence: number;
  tau: number | null;
  outcomeSource: 'any' | 'ground_truth' | 'human';
  description: string | null;
  status: 'running' | 'concluded';
  startsAt: string;
  endsAt: string | null;
  concludedAt: string | null;
  winner: string | null;
  createdAt: string;
}

export const viewExperiment = (d: ExperimentDefinition): ExperimentView => ({
  id: d.id,
  name: d.name,
  model: d.model.name,
  task: d.model.task,
  metric: d.metric,
  mode: d.mode,
  arms: d.arms.map((a) => ({ version: a.version, weight: a.weight })),
  minSamplesPerArm: d.minSamplesPerArm,
  confidence: d.confidence,
  tau: d.tau,
  outcomeSource: d.outcomeSource ?? 'any',
  description: d.description,
  status: d.status,
  startsAt: d.startsAt.toISOString(),
  endsAt: d.endsAt?.toISOString() ?? null,
  concludedAt: d.concludedAt?.toISOString() ?? null,
  winner: d.winner,
  createdAt: d.createdAt.toISOString(),
});

const TTL_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Loads experiment definitions, and caches them for the assignment path (read on every request of the
 * serving side) for a few seconds: a conclusion on another replica shows within TTL_MS.
 */
export class ExperimentDefinitions {
  private readonly cache = new Map<string, { def: ExperimentDefinition; until: number }>();

  constructor(
    private readonly repo: ExperimentsRepository,
    private readonly catalog: ModelCatalog,
  ) {}

  async load(id: string): Promise<ExperimentDefinition> {
    const row = UUID.test(id) ? await this.repo.findById(id) : null;
    if (!row) throw new NotFoundError('experiment', id, '/params/id');
    const [def] = await this.resolve([row]);
    this.remember(def!);
    return def!;
  }

  async cached(id: string): Promise<ExperimentDefinition> {
    const hit = this.cache.get(id);
    if (hit && hit.until > Date.now()) return hit.def;
    return this.load(id);
  }

  invalidate(id: string): void {
    this.cache.delete(id);
  }

  async resolve(rows: ExperimentWithArms[]): Promise<ExperimentDefinition[]> {
    const modelNames = await this.repo.modelNames([...new Set(rows.map((r) => r.modelId))]);
    const versionNames = await this.catalog.versionNames(rows.flatMap((r) => [...r.arms.map((a) => a.versionId), r.winnerVersionId]));
    const out: ExperimentDefinition[] = [];
    for (const r of rows) {
      const model = await this.catalog.get(modelNames.get(r.modelId)!);
      const arms = r.arms.map((a) => ({ version: versionNames.get(a.versionId) ?? a.versionId, versionId: a.versionId, weight: a.weight }));
      out.push({
        id: r.id,
        name: r.name,
        model,
        metric: r.metric as ExperimentMetric,
        mode: r.mode,
        minSamplesPerArm: r.minSamplesPerArm,
        confidence: r.confidence,
        tau: r.tau,
        outcomeSource: r.outcomeSource,
        description: r.description,
        status: r.status,
        startsAt: r.startsAt,
        endsAt: r.endsAt,
        concludedAt: r.concludedAt,
        winner: r.winnerVersionId ? (versionNames.get(r.winnerVersionId) ?? null) : null,
        arms,
        cumulative: cumulativeWeights(arms.map((a) => a.weight)),
        conclusion: r.conclusion,
        createdAt: r.createdAt,
      });
    }
    return out;
  }

  private remember(def: ExperimentDefinition): void {
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(def.id, { def, until: Date.now() + TTL_MS });
  }
}
