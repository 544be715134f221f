import cron, { type ScheduledTask } from 'node-cron';
import type { JobRunRow, JobRunsRepository, RunTrigger } from '../db/repositories/job-runs.js';
import { intervalSlot, nextIntervalSlot, withinCatchUp } from '../domain/job-schedule.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { JobContext, JobDefinition, JobOutcome } from './definition.js';

export interface SchedulerLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface SchedulerDeps {
  ledger: JobRunsRepository;
  log: SchedulerLog;
  /** Written on every run this process starts (which replica ran what). */
  replicaId: string;
  /** A running run whose heartbeat is older than this belongs to a dead process. */
  leaseMs: number;
  /** Default: a quarter of the lease. */
  heartbeatMs?: number;
  /** Runs older than this are deleted. */
  retentionMs: number;
  /** The fixed jobs (cron schedules). */
  jobs: JobDefinition[];
  /** Jobs derived from data (the policies' tiers), read again at every tick. */
  dynamic?: () => Promise<JobDefinition[]>;
  /** How often each replica looks at interval slots, stale runs and retention (default every 15 s). */
  tickCron?: string;
  /** After every run this process finished or skipped (metrics, `job.failed` alerts). */
  onFinished?: (job: JobDefinition, run: JobRunRow) => Promise<void> | void;
  /** Once, when the scheduler starts (the alert webhook's endpoint is brought in line with the configuration). */
  onStart?: () => Promise<void>;
}

const DEFAULT_TICK = '*/15 * * * * *';
const PRUNE_EVERY_MS = 3_600_000;
const IDLE_KEPT_MS = 3_600_000;
/** How late node-cron may fire a slot (a busy event loop) before it counts it missed. */
const MISSED_TOLERANCE_MS = 60_000;
const CATCH_UP_MAX_MS = 12 * 3_600_000;
const STOP_GRACE_MS = 20_000;

interface Active {
  def: JobDefinition;
  run: JobRunRow;
  controller: AbortController;
  done: Promise<JobRunRow | null>;
}

/**
 * Runs named jobs on their schedules (node-cron, in the configured time zone) and by hand, each run
 * recorded in the `job_runs` ledger. Every replica runs a Scheduler; for each slot they all try to insert
 * the run's row and PostgreSQL's constraints pick one (see JobRunsRepository): exactly one run per job and
 * slot, never two runs of a job at once (the later slot is recorded as skipped), and a run whose process
 * died is found by its stale heartbeat and marked failed.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly matchers = new Map<string, ScheduledTask>();
  private readonly active = new Map<string, Active>();
  private readonly handledSlots = new Map<string, number>();
  private dynamicJobs: JobDefinition[] = [];
  private started = false;
  private ticking = false;
  private lastPrune = 0;
  private readonly heartbeatMs: number;

  constructor(private readonly d: SchedulerDeps) {
    this.heartbeatMs = d.heartbeatMs ?? Math.max(250, Math.floor(d.leaseMs / 4));
    for (const def of d.jobs) {
      if (def.schedule.kind === 'cron') this.matchers.set(def.name, cron.createTask(def.schedule.expression, () => {}, { timezone: def.schedule.timezone, name: `${def.name}:matcher` }));
    }
  }

  get replicaId(): string {
    return this.d.replicaId;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const def of this.d.jobs) {
      if (def.schedule.kind !== 'cron') continue;
      const task = cron.createTask(def.schedule.expression, (ctx) => this.onSlot(def, ctx.date), {
        name: def.name,
        timezone: def.schedule.timezone,
        missedExecutionTolerance: MISSED_TOLERANCE_MS,
        suppressMissedWarning: true,
      });
      task.on('execution:missed', (ctx) => this.d.log.warn({ job: def.name, slot: ctx.date.toISOString() }, 'a scheduled slot was missed by this replica (the event loop was blocked)'));
      task.start();
      this.tasks.push(task);
    }
    const ticker = cron.createTask(this.d.tickCron ?? DEFAULT_TICK, () => void this.tick(), { name: 'scheduler-tick', suppressMissedWarning: true });
    ticker.start();
    this.tasks.push(ticker);
    void this.catchUp().then(() => this.tick());
    void this.d.onStart?.().catch((error: unknown) => this.d.log.error({ err: error }, 'scheduler start-up step failed'));
  }

  /** Stops scheduling, waits for the runs in progress (aborting them after the grace period), and releases the timers. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.started = false;
    for (const task of this.tasks.splice(0)) await task.destroy();
    const pending = [...this.active.values()].map((a) => a.done);
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
      if ((await Promise.race([Promise.allSettled(pending), graceOver])) === 'grace') {
        for (const a of this.active.values()) a.controller.abort(new Error('the process is shutting down'));
        await Promise.allSettled(pending);
      }
      clearTimeout(timer);
    }
    for (const matcher of this.matchers.values()) await matcher.destroy();
    this.matchers.clear();
  }

  /** Every job: the fixed ones and those derived from the policies now. */
  async jobs(): Promise<JobDefinition[]> {
    if (this.d.dynamic) this.dynamicJobs = await this.d.dynamic();
    return [...this.d.jobs, ...this.dynamicJobs];
  }

  async find(name: string): Promise<JobDefinition> {
    const def = (await this.jobs()).find((j) => j.name === name);
    if (!def) throw new NotFoundError('job', name, '/params/name');
    return def;
  }

  /** The next fire time of one of the fixed jobs (null for any other name). */
  nextRunOf(name: string, now = new Date()): Date | null {
    const def = this.d.jobs.find((j) => j.name === name);
    return def ? this.nextRun(def, now) : null;
  }

  /** The next fire time of a job after `now`. */
  nextRun(def: JobDefinition, now = new Date()): Date | null {
    if (def.schedule.kind === 'interval') return nextIntervalSlot(now, def.schedule.everyMs);
    const matcher = this.matchers.get(def.name);
    return matcher ? (matcher.getNextRuns(1)[0] ?? null) : null;
  }

  /**
   * Starts a run now (trigger manual; its slot is the request time) in this process. 409 while a run of
   * the job is going. `done` resolves with the finished run.
   */
  async runNow(name: string, requestedBy: string | null): Promise<{ run: JobRunRow; done: Promise<JobRunRow | null> }> {
    const def = await this.find(name);
    const started = await this.fire(def, new Date(), 'manual', requestedBy);
    if (started.kind === 'won') return { run: started.run, done: started.done };
    const other = started.kind === 'busy' ? started.running : started.run;
    throw new ConflictError(
      `job "${name}" is running: run ${other.id} started at ${other.startedAt.toISOString()} on replica ${other.replicaId}; try again when it has finished`,
      undefined,
      { runningRunId: other.id },
    );
  }

  private onSlot(def: JobDefinition, slot: Date): void {
    void this.fire(def, slot, 'schedule', null).catch((error: unknown) => this.d.log.error({ err: error, job: def.name, slot: slot.toISOString() }, 'could not start a scheduled run'));
  }

  /** The ledger decides: this replica runs the slot, another one has it, or the previous run is still going (recorded as skipped). */
  private async fire(def: JobDefinition, slot: Date, trigger: RunTrigger, requestedBy: string | null) {
    await this.markAbandoned(def.name);
    const claim = await this.d.ledger.claim({ job: def.name, slot, trigger, replicaId: this.d.replicaId, requestedBy });
    if (claim.kind === 'won') return { kind: 'won' as const, run: claim.run, done: this.execute(def, claim.run) };
    if (claim.kind === 'busy' && trigger === 'schedule') {
      const { running } = claim;
      const error = `skipped: previous run still running (run ${running.id} on replica ${running.replicaId} since ${running.startedAt.toISOString()})`;
      const skipped = await this.d.ledger.skip({ job: def.name, slot, trigger, replicaId: this.d.replicaId, error });
      if (skipped) {
        this.d.log.warn({ job: def.name, slot: slot.toISOString(), running: running.id }, error);
        await this.finished(def, skipped);
      }
    }
    return claim;
  }

  private execute(def: JobDefinition, run: JobRunRow): Promise<JobRunRow | null> {
    const controller = new AbortController();
    const heartbeat = setInterval(() => {
      this.d.ledger.heartbeat(run.id).then(
        (alive) => {
          if (!alive) this.d.log.warn({ job: def.name, runId: run.id }, 'the run was marked abandoned by another replica (its heartbeat was late); it goes on and records its result');
        },
        (error: unknown) => this.d.log.warn({ err: error, job: def.name, runId: run.id }, 'could not record the run’s heartbeat'),
      );
    }, this.heartbeatMs);
    heartbeat.unref();
    const ctx: JobContext = { runId: run.id, slot: run.slot, trigger: run.trigger, signal: controller.signal };
    const done = (async () => {
      let outcome: JobOutcome;
      try {
        outcome = await def.run(ctx);
      } catch (error) {
        outcome = { result: {}, error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearInterval(heartbeat);
      }
      const failed = Boolean(outcome.error);
      try {
        const finished = await this.d.ledger.finish(run.id, failed ? 'failed' : 'succeeded', outcome.result, outcome.error ?? null);
        if (failed) this.d.log.warn({ job: def.name, runId: run.id, error: outcome.error }, `job ${def.name} failed`);
        if (finished) await this.finished(def, finished);
        return finished;
      } catch (error) {
        // The row stays running until its lease ends; then it is marked abandoned.
        this.d.log.error({ err: error, job: def.name, runId: run.id }, 'could not record the end of a run');
        return null;
      } finally {
        this.active.delete(run.id);
      }
    })();
    this.active.set(run.id, { def, run, controller, done });
    return done;
  }

  private async finished(def: JobDefinition, run: JobRunRow): Promise<void> {
    try {
      await this.d.onFinished?.(def, run);
    } catch (error) {
      this.d.log.warn({ err: error, job: def.name }, 'the run was recorded, but what follows it (alerts, metrics) failed');
    }
  }

  private async markAbandoned(job?: string): Promise<void> {
    const marked = await this.d.ledger.markAbandoned(this.d.leaseMs, job);
    for (const run of marked) {
      this.d.log.warn({ job: run.job, runId: run.id, replica: run.replicaId }, run.error ?? 'abandoned run');
      const def = [...this.d.jobs, ...this.dynamicJobs].find((j) => j.name === run.job);
      if (def) await this.finished(def, run);
    }
  }

  /**
   * What every replica does every tick: marks dead runs, starts the interval slots that are due (the
   * policies' tiers, read again each time), and prunes the ledger now and then.
   */
  private async tick(): Promise<void> {
    if (this.ticking || !this.started) return;
    this.ticking = true;
    try {
      await this.markAbandoned();
      const now = new Date();
      for (const def of await this.jobs()) {
        if (def.schedule.kind !== 'interval') continue;
        const slot = intervalSlot(now, def.schedule.everyMs);
        if (this.handledSlots.get(def.name) === slot.getTime() || !withinCatchUp(slot, now, def.schedule.everyMs)) continue;
        this.handledSlots.set(def.name, slot.getTime());
        await this.fire(def, slot, 'schedule', null).catch((error: unknown) => {
          this.handledSlots.delete(def.name);
          this.d.log.error({ err: error, job: def.name, slot: slot.toISOString() }, 'could not start a scheduled run');
        });
      }
      if (now.getTime() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = now.getTime();
        const idle = [...this.d.jobs, ...this.dynamicJobs].filter((j) => j.pruneIdle).map((j) => j.name);
        const pruned = await this.d.ledger.prune(this.d.retentionMs, idle, IDLE_KEPT_MS);
        if (pruned > 0) this.d.log.info({ pruned }, 'pruned old job runs');
      }
    } catch (error) {
      this.d.log.error({ err: error }, 'scheduler tick failed');
    } finally {
      this.ticking = false;
    }
  }

  /** At start: the latest slot of each catch-up job, if it is recent and no replica ran it. */
  private async catchUp(): Promise<void> {
    const now = new Date();
    for (const def of this.d.jobs) {
      if (!def.catchUp || def.schedule.kind !== 'cron') continue;
      try {
        const matcher = this.matchers.get(def.name)!;
        // Only as far back as a slot could still be caught up (weekly cron: not the whole week, minute by minute).
        const previous = previousFire(matcher, def.schedule.expression, now, CATCH_UP_MAX_MS / 86_400_000);
        const next = this.nextRun(def, now);
        if (!previous || !next) continue;
        const window = Math.min(CATCH_UP_MAX_MS, (next.getTime() - previous.getTime()) / 2);
        if (now.getTime() - previous.getTime() > window || (await this.d.ledger.has(def.name, previous))) continue;
        this.d.log.info({ job: def.name, slot: previous.toISOString() }, 'running a slot missed while no replica was up');
        await this.fire(def, previous, 'schedule', null);
      } catch (error) {
        this.d.log.error({ err: error, job: def.name }, 'catch-up failed');
      }
    }
  }
}

/** The latest fire time of a cron expression at or before `now` (within `maxDays`), by walking back minute by minute. */
export function previousFire(matcher: ScheduledTask, expression: string, now: Date, maxDays = 8): Date | null {
  const seconds = [...cron.parse(expression).second].sort((a, b) => b - a);
  const end = now.getTime();
  for (let minute = Math.floor(end / 60_000) * 60_000; minute > end - maxDays * 86_400_000; minute -= 60_000) {
    for (const second of seconds) {
      const at = minute + second * 1000;
      if (at <= end && matcher.match(new Date(at))) return new Date(at);
    }
  }
  return null;
}
