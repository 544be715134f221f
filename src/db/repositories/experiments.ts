import type { PrismaClient } from '../client.js';
import type { Experiment, ExperimentArm, Prisma } from '../generated/client.js';

export type ExperimentWithArms = Experiment & { arms: ExperimentArm[] };

export interface NewExperiment {
  name: string;
  modelId: string;
  metric: string;
  mode: 'fixed' | 'sequential';
  minSamplesPerArm: number;
  confidence: number;
  tau: number | null;
  outcomeSource: 'ground_truth' | 'human' | null;
  description: string | null;
  startsAt: Date;
  endsAt: Date | null;
  arms: { versionId: string; weight: number }[];
}

export interface ExperimentListFilter {
  modelIds?: string[];
  status?: 'running' | 'concluded';
  /** Exclusive keyset position: rows older than (createdAt, id). */
  before?: { createdAt: Date; id: string };
  limit: number;
}

const withArms = { arms: { orderBy: { position: 'asc' } } } as const satisfies Prisma.ExperimentInclude;

/** Experiments and their arms (Prisma CRUD); the results' aggregates live in experiment-metrics.ts. */
export class ExperimentsRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(e: NewExperiment): Promise<ExperimentWithArms> {
    const { arms, ...fields } = e;
    return this.prisma.experiment.create({
      data: { ...fields, arms: { create: arms.map((a, position) => ({ position, versionId: a.versionId, weight: a.weight })) } },
      include: withArms,
    });
  }

  findById(id: string): Promise<ExperimentWithArms | null> {
    return this.prisma.experiment.findUnique({ where: { id }, include: withArms });
  }

  async modelNames(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.prisma.model.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } });
    return new Map(rows.map((m) => [m.id, m.name]));
  }

  findByName(name: string): Promise<Experiment | null> {
    return this.prisma.experiment.findUnique({ where: { name } });
  }

  findRunning(modelId: string): Promise<Experiment | null> {
    return this.prisma.experiment.findFirst({ where: { modelId, status: 'running' } });
  }

  /** The concluded experiment of the model whose span ends last (min of endsAt and concludedAt). */
  async lastConcluded(modelId: string): Promise<{ name: string; id: string; end: Date } | null> {
    const rows = await this.prisma.experiment.findMany({ where: { modelId, status: 'concluded' }, select: { id: true, name: true, endsAt: true, concludedAt: true } });
    let last: { name: string; id: string; end: Date } | null = null;
    for (const r of rows) {
      const end = r.endsAt && r.concludedAt && r.endsAt < r.concludedAt ? r.endsAt : (r.concludedAt ?? r.endsAt!);
      if (!last || end > last.end) last = { name: r.name, id: r.id, end };
    }
    return last;
  }

  listRunning(): Promise<ExperimentWithArms[]> {
    return this.prisma.experiment.findMany({ where: { status: 'running' }, include: withArms, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }

  /** Newest first. */
  list(filter: ExperimentListFilter): Promise<ExperimentWithArms[]> {
    const { before } = filter;
    return this.prisma.experiment.findMany({
      where: {
        ...(filter.modelIds ? { modelId: { in: filter.modelIds } } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(before ? { OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit,
      include: withArms,
    });
  }

  /** Marks a running experiment concluded with its frozen results; false when it was not running any more. */
  async conclude(id: string, c: { winnerVersionId: string | null; conclusion: unknown; concludedAt: Date }): Promise<boolean> {
    const { count } = await this.prisma.experiment.updateMany({
      where: { id, status: 'running' },
      data: { status: 'concluded', winnerVersionId: c.winnerVersionId, conclusion: c.conclusion as Prisma.InputJsonValue, concludedAt: c.concludedAt },
    });
    return count === 1;
  }
}
