import type { JobRunRow, JobRunsRepository, RunStatus, RunTrigger } from '../db/repositories/job-runs.js';
import { canAccessModel, type Principal } from '../domain/access.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import { decodeCursor, page } from '../services/pagination.js';
import type { JobDefinition } from './definition.js';
import type { Scheduler } from './scheduler.js';

export interface RunView {
  id: string;
  job: string;
  slot: string;
  trigger: RunTrigger;
  status: RunStatus;
  replicaId: string;
  requestedBy: string | null;
  startedAt: string;
  heartbeatAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  result: Record<string, unknown> | null;
  error: string | null;
}

export const viewRun = (r: JobRunRow): RunView => ({
  id: r.id,
  job: r.job,
  slot: r.slot.toISOString(),
  trigger: r.trigger,
  status: r.status,
  replicaId: r.replicaId,
  requestedBy: r.requestedBy,
  startedAt: r.startedAt.toISOString(),
  heartbeatAt: r.heartbeatAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
  durationMs: r.durationMs,
  result: r.result,
  error: r.error,
});

/** A run without its result, for the job list. */
const briefRun = (r: JobRunRow | null) => (r ? { ...viewRun(r), result: undefined } : null);

export interface JobView {
  name: string;
  description: string;
  kind: 'cron' | 'interval';
  schedule: string;
  timezone: string;
  model: string | null;
  nextRunAt: string | null;
  running: Omit<RunView, 'result'> | null;
  lastRun: Omit<RunView, 'result'> | null;
}

/** How long POST …/runs?wait=true waits for the run to finish before answering 202 anyway. */
export const WAIT_LIMIT_MS = 5 * 60_000;

/**
 * The jobs API over the scheduler and its ledger. Jobs span every model, so a key limited to some models
 * sees and runs only the tier jobs of those models.
 */
export class JobsApi {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly ledger: JobRunsRepository,
  ) {}

  async list(principal: Principal): Promise<JobView[]> {
    const jobs = (await this.scheduler.jobs()).filter((j) => visible(j, principal));
    const latest = await this.ledger.latest(jobs.map((j) => j.name));
    const now = new Date();
    return jobs.map((job) => {
      const runs = latest.get(job.name);
      return {
        name: job.name,
        description: job.description,
        kind: job.schedule.kind,
        schedule: job.schedule.kind === 'cron' ? job.schedule.expression : `every ${job.schedule.every}`,
        timezone: job.schedule.kind === 'cron' ? job.schedule.timezone : 'UTC',
        model: job.model ?? null,
        nextRunAt: this.scheduler.nextRun(job, now)?.toISOString() ?? null,
        running: briefRun(runs?.running ?? null),
        lastRun: briefRun(runs?.last ?? null),
      };
    });
  }

  /** Starts a run now; with `waitMs`, answers once it finished (or when the wait is over: `finished: false`). */
  async runNow(name: string, principal: Principal, waitMs = 0): Promise<{ run: RunView; finished: boolean }> {
    await this.accessible(name, principal);
    const { run, done } = await this.scheduler.runNow(name, principal.name);
    if (waitMs <= 0) return { run: viewRun(run), finished: false };
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([done, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs)))]).finally(() => clearTimeout(timer));
    if (finished) return { run: viewRun(finished), finished: true };
    return { run: viewRun((await this.ledger.get(name, run.id)) ?? run), finished: false };
  }

  async runs(name: string, query: { status?: RunStatus; trigger?: RunTrigger; limit: number; cursor?: string }, principal: Principal) {
    await this.accessible(name, principal, true);
    const position = decodeCursor(query.cursor, ['date', 'uuid']) as [Date, string] | undefined;
    const rows = await this.ledger.list(name, { status: query.status, trigger: query.trigger, limit: query.limit + 1, before: position ? { startedAt: position[0], id: position[1] } : undefined });
    const { items, nextCursor } = page(rows, query.limit, (r) => [r.startedAt.toISOString(), r.id]);
    return { items: items.map(viewRun), nextCursor };
  }

  async run(name: string, id: string, principal: Principal): Promise<RunView> {
    await this.accessible(name, principal, true);
    const row = await this.ledger.get(name, id);
    if (!row) throw new NotFoundError('job run', `${name}/${id}`, '/params/id');
    return viewRun(row);
  }

  /** The job, checked against the key; `history`: a job that no longer exists (a tier removed) keeps its runs readable. */
  private async accessible(name: string, principal: Principal, history = false): Promise<JobDefinition | null> {
    const job = (await this.scheduler.jobs()).find((j) => j.name === name) ?? null;
    if (!job && !(history && /^tier:/.test(name))) throw new NotFoundError('job', name, '/params/name');
    const model = job?.model ?? (name.startsWith('tier:') ? name.split(':')[1]! : undefined);
    if (principal.models && !(model && canAccessModel(principal, model))) {
      throw new ForbiddenError(`this API key is limited to the models ${[...principal.models].join(', ')}; job "${name}" ${model ? `belongs to "${model}"` : 'spans every model'}`);
    }
    return job;
  }
}

const visible = (job: JobDefinition, principal: Principal) => principal.models === null || (job.model !== undefined && canAccessModel(principal, job.model));
