import type { ModelsRepository, ModelWithProduction } from '../db/repositories/models.js';
import { defaultPositiveLabel, type ModelSpec, type Task } from '../domain/model-spec.js';
import { NotFoundError } from '../errors.js';

const MODEL_TTL_MS = 5_000;

export const specOf = (m: ModelWithProduction): ModelSpec => ({
  id: m.id,
  name: m.name,
  task: m.task as Task,
  labels: m.labels,
  positiveLabel: defaultPositiveLabel(m.task as Task, m.labels, m.positiveLabel),
});

/**
 * Cached read side of the registry for the ingestion path: model specs by name (for a few seconds, as a
 * PATCH on another replica may change labels) and version ids by name (forever: a version's name never
 * changes). Production versions are not cached: ingestion resolves them inside its INSERT.
 */
export class ModelCatalog {
  private readonly models = new Map<string, { spec: ModelSpec | null; until: number }>();
  private readonly versionIds = new Map<string, string>();
  private readonly versionNamesById = new Map<string, string>();

  constructor(private readonly repo: ModelsRepository) {}

  async find(name: string): Promise<ModelSpec | null> {
    const now = Date.now();
    const cached = this.models.get(name);
    if (cached && cached.until > now) return cached.spec;
    const model = await this.repo.findByName(name);
    const spec = model ? specOf(model) : null;
    if (this.models.size > 10_000) this.models.clear();
    this.models.set(name, { spec, until: now + (spec ? MODEL_TTL_MS : 1_000) });
    return spec;
  }

  async get(name: string, path = '/params/model'): Promise<ModelSpec> {
    const spec = await this.find(name);
    if (!spec) throw new NotFoundError('model', name, path);
    return spec;
  }

  invalidate(name: string): void {
    this.models.delete(name);
  }

  async versionId(modelId: string, name: string): Promise<string | undefined> {
    const key = `${modelId}/${name}`;
    const cached = this.versionIds.get(key);
    if (cached) return cached;
    const version = await this.repo.findVersion(modelId, name);
    if (!version) return undefined;
    this.remember(version.id, key, name);
    return version.id;
  }

  async versionNames(ids: Iterable<string | null>): Promise<Map<string, string>> {
    const missing = [...new Set(ids)].filter((id): id is string => id !== null && !this.versionNamesById.has(id));
    if (missing.length > 0) {
      for (const [id, name] of await this.repo.versionNames(missing)) this.versionNamesById.set(id, name);
    }
    return this.versionNamesById;
  }

  private remember(id: string, key: string, name: string): void {
    if (this.versionIds.size > 100_000) this.versionIds.clear();
    if (this.versionNamesById.size > 100_000) this.versionNamesById.clear();
    this.versionIds.set(key, id);
    this.versionNamesById.set(id, name);
  }
}
