import { isUniqueViolation } from '../db/repositories/models.js';
import type { ExperimentsRepository } from '../db/repositories/experiments.js';
import { canAccessModel, assertModelAccess, type Principal } from '../domain/access.js';
import { armOf, normaliseWeights, unitPoint } from '../domain/assignment.js';
import type { SrmCheck } from '../domain/experiment-decision.js';
import { type ExperimentMetric, METRICS_FOR_TASK, defaultMetric } from '../domain/experiment-metrics.js';
import { parseDuration } from '../domain/window.js';
import { ConflictError, type FieldError, UnprocessableError, ValidationError } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import { type ExperimentDefinition, ExperimentDefinitions, type ExperimentView, viewExperiment } from './experiment-definitions.js';
import type { ExperimentResults, ExperimentResultsService } from './experiment-results.js';
import type { ModelService } from './models.js';
import { decodeCursor, page } from './pagination.js';

export interface CreateExperimentInput {
  name: string;
  model: string;
  arms: { version: string; weight?: number }[];
  metric?: ExperimentMetric;
  minSamplesPerArm?: number;
  confidence?: number;
  mode?: 'fixed' | 'sequential';
  tau?: number;
  outcomeSource?: 'any' | 'ground_truth' | 'human';
  startsAt?: string;
  endsAt?: string;
  duration?: string;
  description?: string;
}

export interface ListExperimentsQuery {
  model?: string;
  status?: 'running' | 'concluded';
  limit: number;
  cursor?: string;
}

export const DEFAULT_TAU = 0.1;

/** Experiments: definition, assignment of units, results, conclusion (and promotion of the winner). */
export class ExperimentService {
  readonly definitions: ExperimentDefinitions;

  constructor(
    private readonly repo: ExperimentsRepository,
    private readonly results: ExperimentResultsService,
    private readonly catalog: ModelCatalog,
    private readonly models: ModelService,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.definitions = new ExperimentDefinitions(repo, catalog);
  }

  async create(input: CreateExperimentInput, principal: Principal): Promise<ExperimentView> {
    assertModelAccess(principal, input.model);
    const model = await this.catalog.get(input.model, '/body/model');
    const mode = input.mode ?? 'sequential';
    const invalid: FieldError[] = [];
    const impossible: FieldError[] = [];
    input.arms.forEach((arm, i) => {
      const first = input.arms.findIndex((a) => a.version === arm.version);
      if (first !== i) invalid.push({ path: `/body/arms/${i}/version`, message: `repeats arm ${first} ("${arm.version}"): the arms must be distinct versions` });
    });
    const metric = input.metric ?? defaultMetric(model.task);
    if (!METRICS_FOR_TASK[model.task].includes(metric)) {
      impossible.push({ path: '/body/metric', message: `must be ${METRICS_FOR_TASK[model.task].join(' or ')} for a ${model.task} model` });
    }
    if (input.tau !== undefined && mode !== 'sequential') invalid.push({ path: '/body/tau', message: 'is only for mode "sequential"' });
    const { startsAt, endsAt } = span(input, mode, this.now(), invalid);
    if (invalid.length > 0) throw new ValidationError([...invalid, ...impossible]);
    const versionIds = await Promise.all(input.arms.map((a) => this.catalog.versionId(model.id, a.version)));
    versionIds.forEach((id, i) => {
      if (!id) impossible.push({ path: `/body/arms/${i}/version`, message: `version "${input.arms[i]!.version}" is not registered for model "${model.name}"` });
    });
    if (impossible.length > 0) throw new UnprocessableError(impossible);
    if (await this.repo.findByName(input.name)) throw nameTaken(input.name);
    const running = await this.repo.findRunning(model.id);
    if (running) throw runningConflict(model.name, running.name, running.id);
    const previous = await this.repo.lastConcluded(model.id);
    if (previous && startsAt < previous.end) {
      throw new ConflictError(
        `startsAt ${startsAt.toISOString()} falls inside experiment "${previous.name}" (${previous.id}), which counted this model's predictions until ${previous.end.toISOString()}: predictions carry no experiment id, so the spans of one model's experiments must not overlap`,
        [{ path: '/body/startsAt', message: `must not be before ${previous.end.toISOString()}` }],
      );
    }
    const weights = normaliseWeights(input.arms.map((a) => a.weight ?? 1));
    try {
      const row = await this.repo.create({
        name: input.name,
        modelId: model.id,
        metric,
        mode,
        minSamplesPerArm: input.minSamplesPerArm ?? 30,
        confidence: input.confidence ?? 0.95,
        tau: mode === 'sequential' ? (input.tau ?? DEFAULT_TAU) : null,
        outcomeSource: input.outcomeSource === undefined || input.outcomeSource === 'any' ? null : input.outcomeSource,
        description: input.description ?? null,
        startsAt,
        endsAt,
        arms: versionIds.map((versionId, i) => ({ versionId: versionId!, weight: weights[i]! })),
      });
      const [def] = await this.definitions.resolve([row]);
      return viewExperiment(def!);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (await this.repo.findByName(input.name)) throw nameTaken(input.name);
      const other = await this.repo.findRunning(model.id);
      throw runningConflict(model.name, other?.name ?? 'another experiment', other?.id ?? null);
    }
  }

  async get(id: string, principal: Principal): Promise<ExperimentView> {
    return viewExperiment(await this.accessible(id, principal));
  }

  async list(query: ListExperimentsQuery, principal: Principal) {
    let modelIds: string[] | undefined;
    if (query.model !== undefined) {
      assertModelAccess(principal, query.model);
      modelIds = [(await this.catalog.get(query.model, '/query/model')).id];
    } else if (principal.models) {
      modelIds = (await Promise.all([...principal.models].map((name) => this.catalog.find(name)))).flatMap((m) => (m ? [m.id] : []));
    }
    const position = decodeCursor(query.cursor, ['date', 'uuid']) as [Date, string] | undefined;
    const rows = await this.repo.list({ modelIds, status: query.status, limit: query.limit + 1, before: position ? { createdAt: position[0], id: position[1] } : undefined });
    const { items, nextCursor } = page(rows, query.limit, (e) => [e.createdAt.toISOString(), e.id]);
    return { items: (await this.definitions.resolve(items)).filter((d) => canAccessModel(principal, d.model.name)).map(viewExperiment), nextCursor };
  }

  /**
   * The version a unit gets. Running: its arm by the hash rule (src/domain/assignment.ts). Concluded:
   * every unit gets the winner, or the control when there was none, so a serving side that keeps asking
   * after the end serves one version (and its predictions no longer count: they fall after the span).
   */
  async assignment(id: string, unit: string, principal: Principal) {
    const def = await this.definitions.cached(id);
    assertModelAccess(principal, def.model.name);
    const point = unitPoint(def.id, unit);
    const arm = def.status === 'running' ? armOf(point, def.cumulative) : Math.max(0, def.arms.findIndex((a) => a.version === def.winner));
    return { experiment: def.id, model: def.model.name, unit, version: def.arms[arm]!.version, arm, control: arm === 0, status: def.status, point };
  }

  /** Live results of a running experiment; the frozen ones of a concluded experiment. */
  async resultsOf(id: string, principal: Principal): Promise<ExperimentResults> {
    const def = await this.accessible(id, principal);
    if (def.status === 'concluded' && def.conclusion) return def.conclusion as ExperimentResults;
    return this.results.compute(def, this.now());
  }

  async conclude(id: string, options: { promote?: boolean; reason?: string }, principal: Principal) {
    const def = await this.accessible(id, principal);
    if (def.status === 'concluded') throw new ConflictError(`experiment "${def.name}" was already concluded at ${def.concludedAt?.toISOString()}`);
    const now = this.now();
    const live = await this.results.compute(def, now);
    if (options.promote && !live.winner) {
      throw new ConflictError(`experiment "${def.name}" has no winner to promote: ${live.reason}`, [{ path: '/body/promote', message: 'there is no winner' }], { results: live });
    }
    const frozen: ExperimentResults = { ...live, frozen: true, experiment: { ...live.experiment, status: 'concluded' } };
    const winnerId = live.winner ? def.arms.find((a) => a.version === live.winner)!.versionId : null;
    if (!(await this.repo.conclude(def.id, { winnerVersionId: winnerId, conclusion: frozen, concludedAt: now }))) {
      throw new ConflictError(`experiment "${def.name}" was concluded concurrently`);
    }
    this.definitions.invalidate(def.id);
    const promotion = options.promote
      ? await this.models.promote(def.model.name, live.winner!, options.reason ?? `winner of experiment "${def.name}": ${live.reason}`)
      : null;
    return { experiment: viewExperiment(await this.definitions.load(def.id)), results: frozen, promotion };
  }

  /**
   * For the alerting of issue 6: every running experiment whose split does not follow its weights
   * (χ² goodness of fit of units per arm, p < 0.001).
   */
  async sampleRatioMismatches(): Promise<{ experiment: ExperimentView; srm: SrmCheck; computedAt: string }[]> {
    const defs = await this.definitions.resolve(await this.repo.listRunning());
    const now = this.now();
    const found = [];
    for (const def of defs) {
      const r = await this.results.compute(def, now);
      if (r.srm.detected) found.push({ experiment: viewExperiment(def), srm: r.srm, computedAt: r.computedAt });
    }
    return found;
  }

  private async accessible(id: string, principal: Principal): Promise<ExperimentDefinition> {
    const def = await this.definitions.load(id);
    assertModelAccess(principal, def.model.name);
    return def;
  }
}

const nameTaken = (name: string) => new ConflictError(`an experiment named "${name}" already exists`, [{ path: '/body/name', message: 'is taken' }]);

function runningConflict(model: string, name: string, id: string | null): ConflictError {
  return new ConflictError(
    `model "${model}" already runs experiment "${name}"${id ? ` (${id})` : ''}: predictions carry no experiment id, so one model runs one experiment at a time; conclude it first`,
    [{ path: '/body/model', message: 'already has a running experiment' }],
  );
}

function span(input: CreateExperimentInput, mode: 'fixed' | 'sequential', now: Date, errors: FieldError[]): { startsAt: Date; endsAt: Date | null } {
  const startsAt = input.startsAt !== undefined ? new Date(input.startsAt) : now;
  if (Number.isNaN(startsAt.getTime())) errors.push({ path: '/body/startsAt', message: 'must be a valid RFC 3339 date-time' });
  let endsAt: Date | null = null;
  if (input.endsAt !== undefined && input.duration !== undefined) {
    errors.push({ path: '/body/duration', message: 'cannot be combined with endsAt: give one of them' });
  } else if (input.endsAt !== undefined) {
    endsAt = new Date(input.endsAt);
    if (Number.isNaN(endsAt.getTime())) errors.push({ path: '/body/endsAt', message: 'must be a valid RFC 3339 date-time' });
  } else if (input.duration !== undefined) {
    const ms = parseDuration(input.duration);
    if (ms === null) errors.push({ path: '/body/duration', message: 'must be a duration: a positive integer and a unit m, h, d or w (e.g. 14d)' });
    else endsAt = new Date(startsAt.getTime() + ms);
  }
  if (endsAt && !Number.isNaN(endsAt.getTime()) && endsAt <= startsAt) errors.push({ path: '/body/endsAt', message: 'must be after startsAt' });
  if (mode === 'fixed' && input.endsAt === undefined && input.duration === undefined) {
    errors.push({ path: '/body/endsAt', message: 'is required in mode "fixed" (or duration): a fixed-horizon test is decided at its planned end' });
  }
  return { startsAt, endsAt };
}
