import type { PrismaClient } from '../client.js';
import type { Model, ModelVersion } from '../generated/client.js';
import type { Task } from '../../domain/model-spec.js';

export type ModelWithProduction = Model & { productionVersion: Pick<ModelVersion, 'id' | 'name'> | null };

export interface NewModel {
  name: string;
  task: Task;
  labels: string[];
  positiveLabel: string | null;
  description: string | null;
}

export interface NewVersion {
  name: string;
  description: string | null;
  metrics: Record<string, number> | null;
  artifactUri: string | null;
}

export type VersionWithReplaced = ModelVersion & { replacedVersionName: string | null };

const withProduction = { productionVersion: { select: { id: true, name: true } } } as const;

/** P2002: a unique constraint refused the write. */
export const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === 'P2002';

export class ModelsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(model: NewModel): Promise<ModelWithProduction> {
    return this.prisma.model.create({ data: model, include: withProduction });
  }

  findByName(name: string): Promise<ModelWithProduction | null> {
    return this.prisma.model.findUnique({ where: { name }, include: withProduction });
  }

  /** Ordered by name; `after` is the last name of the previous page. */
  list(limit: number, after?: string, names?: string[]): Promise<ModelWithProduction[]> {
    return this.prisma.model.findMany({
      where: { name: { ...(after ? { gt: after } : {}), ...(names ? { in: names } : {}) } },
      orderBy: { name: 'asc' },
      take: limit,
      include: withProduction,
    });
  }

  update(id: string, patch: { description?: string | null; labels?: string[] }): Promise<ModelWithProduction> {
    return this.prisma.model.update({ where: { id }, data: patch, include: withProduction });
  }

  createVersion(modelId: string, version: NewVersion): Promise<ModelVersion> {
    return this.prisma.modelVersion.create({
      data: { modelId, name: version.name, description: version.description, metrics: version.metrics ?? undefined, artifactUri: version.artifactUri },
    });
  }

  async listVersions(modelId: string, limit: number, before?: { createdAt: Date; id: string }): Promise<VersionWithReplaced[]> {
    const versions = await this.prisma.modelVersion.findMany({
      where: {
        modelId,
        ...(before ? { OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
    return this.attachReplacedNames(modelId, versions);
  }

  async findVersion(modelId: string, name: string): Promise<VersionWithReplaced | null> {
    const version = await this.prisma.modelVersion.findUnique({ where: { modelId_name: { modelId, name } } });
    return version ? (await this.attachReplacedNames(modelId, [version]))[0]! : null;
  }

  private async attachReplacedNames(modelId: string, versions: ModelVersion[]): Promise<VersionWithReplaced[]> {
    const ids = [...new Set(versions.map((v) => v.replacedVersionId).filter((id): id is string => id !== null))];
    const names = ids.length
      ? new Map((await this.prisma.modelVersion.findMany({ where: { modelId, id: { in: ids } }, select: { id: true, name: true } })).map((v) => [v.id, v.name]))
      : new Map<string, string>();
    return versions.map((v) => ({ ...v, replacedVersionName: v.replacedVersionId ? (names.get(v.replacedVersionId) ?? null) : null }));
  }

  /**
   * Makes `versionId` the production version. The model row is locked so that concurrent promotions and
   * rollbacks of one model apply one after the other.
   */
  promote(modelId: string, versionId: string, reason: string | null): Promise<{ from: string | null; changed: boolean }> {
    return this.prisma.$transaction(async (tx) => {
      const [model] = await tx.$queryRaw<{ production_version_id: string | null }[]>`
        SELECT production_version_id FROM models WHERE id = ${modelId}::uuid FOR UPDATE`;
      const from = model?.production_version_id ?? null;
      if (from === versionId) return { from, changed: false };
      const now = new Date();
      if (from) await tx.modelVersion.update({ where: { id: from }, data: { status: 'archived' } });
      await tx.modelVersion.update({ where: { id: versionId }, data: { status: 'production', promotedAt: now, replacedVersionId: from } });
      await tx.model.update({ where: { id: modelId }, data: { productionVersionId: versionId } });
      await tx.versionEvent.create({ data: { modelId, versionId, fromVersionId: from, action: 'promote', reason } });
      return { from, changed: true };
    });
  }

  /** Restores the version the current production version replaced; undefined when there is none. */
  rollback(modelId: string, reason: string | null): Promise<{ from: string; to: string } | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const [model] = await tx.$queryRaw<{ production_version_id: string | null }[]>`
        SELECT production_version_id FROM models WHERE id = ${modelId}::uuid FOR UPDATE`;
      const from = model?.production_version_id;
      if (!from) return undefined;
      const current = await tx.modelVersion.findUniqueOrThrow({ where: { id: from } });
      const to = current.replacedVersionId;
      if (!to) return undefined;
      await tx.modelVersion.update({ where: { id: from }, data: { status: 'archived' } });
      await tx.modelVersion.update({ where: { id: to }, data: { status: 'production', promotedAt: new Date() } });
      await tx.model.update({ where: { id: modelId }, data: { productionVersionId: to } });
      await tx.versionEvent.create({ data: { modelId, versionId: to, fromVersionId: from, action: 'rollback', reason } });
      return { from, to };
    });
  }
}
