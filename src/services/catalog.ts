import type { CatalogRepository, ModelRow } from '../db/repositories/catalog.js';
import { defaultPositiveLabel, type ModelSpec } from '../domain/model-spec.js';
import { NotFoundError } from '../errors.js';

const MODEL_TTL_MS = 5_000;

const specOf = (m: ModelRow): ModelSpec => ({ ...m, positiveLabel: defaultPositiveLabel(m.task, m.labels, m.positiveLabel) });

/**
 * Cached read side of the registry for the ingestion path: model specs by name (for a few seconds, as a
 * PATCH on another replica may change labels) and version ids by name (forever: a version's name never
 * changes). Production versions are not cached: ingestion resolves them inside its INSERT.
 */
export class ModelCatalog {
  private readonly models = new Map<string, { spec: ModelSpec | null; until: number }>();
  private readonly loading = new Map<string, Promise<ModelSpec | null>>();
  private readonly versionIds = new Map<string, string>();
  private readonly versionNamesById = new Map<string, string>();

  constructor(private readonly repo: CatalogRepository) {}

  async find(name: string): Promise<ModelSpec | null> {
    const cached = this.models.get(name);
    if (cached && cached.until > Date.now()) return cached.spec;
    // Under load many requests see the entry expire at once: let them share one query.
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.load(name).finally(() => this.loading.delete(name));
      this.loading.set(name, pending);
    }
    return pending;
  }

  private async load(name: string): Promise<ModelSpec | null> {
    const model = await this.repo.model(name);
    const spec = model ? specOf(model) : null;
    if (this.models.size > 10_000) this.models.clear();
    this.models.set(name, { spec, until: Date.now() + (spec ? MODEL_TTL_MS : 1_000) });
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
    const id = await this.repo.versionId(modelId, name);
    if (!id) return undefined;
    this.remember(id, key, name);
    return id;
  }

  /** The name of a version already seen by this process, without a query; undefined when unknown. */
  cachedVersionName(id: string): string | undefined {
    return this.versionNamesById.get(id);
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
