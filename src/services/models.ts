import type { ModelVersion } from '../db/generated/client.js';
import { isUniqueViolation, type ModelsRepository, type ModelWithProduction, type VersionWithReplaced } from '../db/repositories/models.js';
import { canAccessModel, type Principal } from '../domain/access.js';
import { checkLabelConfig, defaultPositiveLabel, type Task } from '../domain/model-spec.js';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import { decodeCursor, page } from './pagination.js';

export interface ModelView {
  name: string;
  task: Task;
  labels: string[];
  positiveLabel: string | null;
  description: string | null;
  productionVersion: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface VersionView {
  name: string;
  status: 'candidate' | 'production' | 'archived';
  description: string | null;
  metrics: Record<string, number> | null;
  artifactUri: string | null;
  replacedVersion: string | null;
  promotedAt: string | null;
  createdAt: string;
  /** Lineage: the retrain request and dataset it was trained from (null when registered by hand). */
  retrainRequestId: string | null;
  datasetId: string | null;
}

export const viewModel = (m: ModelWithProduction): ModelView => ({
  name: m.name,
  task: m.task as Task,
  labels: m.labels,
  positiveLabel: defaultPositiveLabel(m.task as Task, m.labels, m.positiveLabel),
  description: m.description,
  productionVersion: m.productionVersion?.name ?? null,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
});

export const viewVersion = (v: VersionWithReplaced | (ModelVersion & { replacedVersionName?: string | null })): VersionView => ({
  name: v.name,
  status: v.status,
  description: v.description,
  metrics: (v.metrics as Record<string, number> | null) ?? null,
  artifactUri: v.artifactUri,
  replacedVersion: v.replacedVersionName ?? null,
  promotedAt: v.promotedAt?.toISOString() ?? null,
  createdAt: v.createdAt.toISOString(),
  retrainRequestId: v.retrainRequestId ?? null,
  datasetId: v.datasetId ?? null,
});

/** A promotion or rollback that changed the production version, told to an optional listener after it is committed. */
export interface VersionTransition {
  model: string;
  action: 'promoted' | 'rolled_back';
  productionVersion: string | null;
  previousVersion: string | null;
  reason: string | null;
}

export interface CreateModelInput {
  name: string;
  task: Task;
  labels?: string[];
  positiveLabel?: string;
  description?: string;
}

/** The model registry: models, their versions, promotion and rollback. */
export class ModelService {
  constructor(
    private readonly repo: ModelsRepository,
    private readonly catalog: ModelCatalog,
    // The retraining loop announces transitions to subscribers (from version_events, which every path writes);
    // the listener only lets it do so at once.
    private readonly onTransition?: (transition: VersionTransition) => void,
  ) {}

  async create(input: CreateModelInput): Promise<ModelView> {
    const errors = checkLabelConfig(input.task, input.labels, input.positiveLabel);
    if (errors.length > 0) throw new ValidationError(errors);
    try {
      const model = await this.repo.create({
        name: input.name,
        task: input.task,
        labels: input.labels ?? [],
        positiveLabel: input.positiveLabel ?? defaultPositiveLabel(input.task, input.labels ?? [], null),
        description: input.description ?? null,
      });
      this.catalog.invalidate(input.name);
      return viewModel(model);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a model named "${input.name}" already exists`, [{ path: '/body/name', message: 'is taken' }]);
      throw error;
    }
  }

  async require(name: string): Promise<ModelWithProduction> {
    const model = await this.repo.findByName(name);
    if (!model) throw new NotFoundError('model', name, '/params/model');
    return model;
  }

  async get(name: string): Promise<ModelView> {
    return viewModel(await this.require(name));
  }

  async list(principal: Principal, limit: number, cursor?: string) {
    const [after] = (decodeCursor(cursor, ['string']) ?? []) as [string?];
    const names = principal.models ? [...principal.models] : undefined;
    const rows = await this.repo.list(limit + 1, after, names);
    const { items, nextCursor } = page(rows, limit, (m) => [m.name]);
    return { items: items.filter((m) => canAccessModel(principal, m.name)).map(viewModel), nextCursor };
  }

  async update(name: string, patch: { description?: string | null; labels?: string[] }): Promise<ModelView> {
    const model = await this.require(name);
    if (patch.labels !== undefined) {
      const removed = model.labels.filter((label) => !patch.labels!.includes(label));
      if (model.task !== 'multiclass') {
        throw new UnprocessableError([{ path: '/body/labels', message: `the labels of a ${model.task} model cannot change` }]);
      }
      if (removed.length > 0) {
        throw new UnprocessableError([{ path: '/body/labels', message: `labels can be added, not removed (stored predictions use ${removed.join(', ')})` }]);
      }
      const errors = checkLabelConfig('multiclass', patch.labels, null);
      if (errors.length > 0) throw new ValidationError(errors);
    }
    const updated = await this.repo.update(model.id, patch);
    this.catalog.invalidate(name);
    return viewModel(updated);
  }

  async createVersion(
    modelName: string,
    input: { name: string; description?: string; metrics?: Record<string, number>; artifactUri?: string; status?: 'candidate' | 'production' },
  ): Promise<VersionView> {
    const model = await this.require(modelName);
    let version: ModelVersion;
    try {
      version = await this.repo.createVersion(model.id, {
        name: input.name,
        description: input.description ?? null,
        metrics: input.metrics ?? null,
        artifactUri: input.artifactUri ?? null,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`model "${modelName}" already has a version "${input.name}"`, [{ path: '/body/name', message: 'is taken' }]);
      }
      throw error;
    }
    if (input.status === 'production') {
      const result = await this.repo.promote(model.id, version.id, 'registered as production');
      this.catalog.invalidate(modelName);
      if (result.changed) {
        this.onTransition?.({ model: modelName, action: 'promoted', productionVersion: version.name, previousVersion: model.productionVersion?.name ?? null, reason: 'registered as production' });
      }
    }
    return viewVersion((await this.repo.findVersion(model.id, version.name))!);
  }

  async listVersions(modelName: string, limit: number, cursor?: string) {
    const model = await this.require(modelName);
    const position = decodeCursor(cursor, ['date', 'uuid']) as [Date, string] | undefined;
    const rows = await this.repo.listVersions(model.id, limit + 1, position ? { createdAt: position[0], id: position[1] } : undefined);
    const { items, nextCursor } = page(rows, limit, (v) => [v.createdAt.toISOString(), v.id]);
    return { items: items.map(viewVersion), nextCursor };
  }

  async promote(modelName: string, versionName: string, reason: string | null) {
    const model = await this.require(modelName);
    const version = await this.repo.findVersion(model.id, versionName);
    if (!version) throw new NotFoundError('version', `${modelName}/${versionName}`, '/params/version');
    const result = await this.repo.promote(model.id, version.id, reason);
    this.catalog.invalidate(modelName);
    if (result.changed) this.onTransition?.({ model: modelName, action: 'promoted', productionVersion: versionName, previousVersion: model.productionVersion?.name ?? null, reason });
    return this.transition(modelName, result.changed ? 'promoted' : 'unchanged', model.productionVersion?.name ?? null);
  }

  async rollback(modelName: string, reason: string | null) {
    const model = await this.require(modelName);
    const result = await this.repo.rollback(model.id, reason);
    if (!result) {
      throw new ConflictError(
        model.productionVersion
          ? `version "${model.productionVersion.name}" of "${modelName}" replaced no earlier version; there is nothing to roll back to`
          : `model "${modelName}" has no production version to roll back`,
      );
    }
    this.catalog.invalidate(modelName);
    const view = await this.transition(modelName, 'rolled_back', model.productionVersion?.name ?? null);
    this.onTransition?.({ model: modelName, action: 'rolled_back', productionVersion: view.productionVersion, previousVersion: view.previousVersion, reason });
    return view;
  }

  private async transition(modelName: string, action: 'promoted' | 'unchanged' | 'rolled_back', previous: string | null) {
    const model = await this.require(modelName);
    return { action, model: viewModel(model), previousVersion: previous, productionVersion: model.productionVersion?.name ?? null };
  }
}
