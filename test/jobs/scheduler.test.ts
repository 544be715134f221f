import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobRunsRepository, type JobRunRow } from '../../src/db/repositories/job-runs.js';
import type { JobContext, JobDefinition } from '../../src/jobs/definition.js';
import { Scheduler, type SchedulerDeps } from '../../src/jobs/scheduler.js';
import { ConflictError } from '../../src/errors.js';
import { createTestDatabase } from '../helpers/db.js';
import { eventually } from '../helpers/retraining.js';

/** The scheduler's ledger semantics on the real database, with several Scheduler instances standing for replicas. */

let pool: pg.Pool;
let ledger: JobRunsRepository;
const running: Scheduler[] = [];
const silent = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 20 });
  ledger = new JobRunsRepository(pool);
});
afterAll(async () => {
  await Promise.all(running.map((s) => s.stop(1_000)));
  await pool.end();
});
beforeEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop(1_000)));
  await pool.query('DELETE FROM job_runs');
});

function scheduler(replicaId: string, jobs: JobDefinition[], extra: Partial<SchedulerDeps> = {}): Scheduler {
  const s = new Scheduler({ ledger, log: silent, replicaId, leaseMs: 1_000, heartbeatMs: 100, retentionMs: 86_400_000, jobs, tickCron: '* * * * * *', ...extra });
  running.push(s);
  return s;
}

const cronJob = (name: string, expression: string, run: (ctx: JobContext) => Promise<void>, extra: Partial<JobDefinition> = {}): JobDefinition => ({
  name,
  description: name,
  schedule: { kind: 'cron', expression, timezone: 'UTC' },
  async run(ctx) {
    await run(ctx);
    return { result: { slot: ctx.slot.toISOString() } };
  },
  ...extra,
});

async function runsOf(job: string): Promise<JobRunRow[]> {
  return (await ledger.list(job, { limit: 1000 })).reverse();
}

describe('the run ledger', () => {
  it('lets exactly one of many concurrent claims of a slot win', async () => {
    const slot = new Date(Math.floor(Date.now() / 1000) * 1000);
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => ledger.claim({ job: 'race', slot, trigger: 'schedule', replicaId: `r${i}`, requestedBy: null })),
    );
    const won = claims.filter((c) => c.kind === 'won');
    expect(won).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'taken')).toHaveLength(11);
    const { rows } = await pool.query(`SELECT replica_id, status FROM job_runs WHERE job = 'race'`);
    expect(rows).toEqual([{ replica_id: won[0]!.kind === 'won' ? won[0]!.run.replicaId : '', status: 'running' }]);
  });
});

describe('Scheduler', () => {
  it('runs each slot once when several replicas race for it', { timeout: 15_000 }, async () => {
    let executions = 0;
    const job = () => cronJob('every-second', '* * * * * *', async () => {
      executions++;
      await sleep(50);
    });
    const replicas = ['a', 'b', 'c', 'd'].map((id) => scheduler(id, [job()]));
    const from = Date.now();
    for (const r of replicas) r.start();
    await sleep(4_200);
    await Promise.all(replicas.map((r) => r.stop()));
    const to = Date.now();
    const runs = await runsOf('every-second');
    const slots = runs.map((r) => r.slot.getTime());
    expect(new Set(slots).size).toBe(slots.length);
    expect(runs.every((r) => r.status === 'succeeded' && r.trigger === 'schedule')).toBe(true);
    // Whole seconds inside the watch, each run once, by one of the replicas. (That no slot is lost is shown by
    // test/jobs/replicas.test.ts with separate processes: here all four share one event loop.)
    expect(slots.filter((t) => t > from && t < to).length).toBeGreaterThanOrEqual(2);
    for (const t of slots) expect(t % 1_000).toBe(0);
    expect(executions).toBe(runs.length);
  });

  it('runs an interval (tier) slot once across replicas', { timeout: 15_000 }, async () => {
    let executions = 0;
    const tier: JobDefinition = {
      name: 'tier:m:fast',
      description: 'tier',
      // Within half a period of its start a slot may still start: two ticks (every second) get a chance at each slot.
      schedule: { kind: 'interval', every: '3s', everyMs: 3_000 },
      async run() {
        executions++;
        return { result: {} };
      },
    };
    const replicas = ['a', 'b', 'c'].map((id) => scheduler(id, [], { dynamic: async () => [tier] }));
    for (const r of replicas) r.start();
    await sleep(6_500);
    await Promise.all(replicas.map((r) => r.stop()));
    const runs = await runsOf('tier:m:fast');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((r) => r.slot.getTime())).size).toBe(runs.length);
    for (const r of runs) expect(r.slot.getTime() % 3_000).toBe(0);
    expect(executions).toBe(runs.length);
  });

  it('never overlaps a job with itself: slots that come while it runs are recorded as skipped', { timeout: 15_000 }, async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const slow = () =>
      cronJob('slow', '* * * * * *', async () => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(2_300);
        concurrent--;
      });
    const replicas = ['a', 'b'].map((id) => scheduler(id, [slow()]));
    for (const r of replicas) r.start();
    await sleep(4_500);
    await Promise.all(replicas.map((r) => r.stop()));
    const runs = await runsOf('slow');
    expect(maxConcurrent).toBe(1);
    const succeeded = runs.filter((r) => r.status === 'succeeded');
    const skipped = runs.filter((r) => r.status === 'skipped');
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(new Set(runs.map((r) => r.slot.getTime())).size).toBe(runs.length);
    for (const s of skipped) {
      expect(s.error).toMatch(/^skipped: previous run still running \(run [0-9a-f-]+ on replica [ab] since /);
      expect(s.durationMs).toBe(0);
      // A skipped slot lies inside a run that was going.
      expect(succeeded.some((r) => r.startedAt <= s.startedAt && r.finishedAt! >= s.startedAt)).toBe(true);
    }
    // The succeeded runs do not overlap in time either.
    for (let i = 1; i < succeeded.length; i++) expect(succeeded[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(succeeded[i - 1]!.finishedAt!.getTime());
  });

  it('marks a run whose heartbeat stopped (its process died) as failed, and runs the next slot', { timeout: 15_000 }, async () => {
    // A run left behind by a dead replica: running, last heartbeat 5 s ago.
    await pool.query(
      `INSERT INTO job_runs (job, slot, trigger, status, replica_id, started_at, heartbeat_at)
       VALUES ('orphaned', now() - interval '10 seconds', 'schedule', 'running', 'dead-replica', now() - interval '10 seconds', now() - interval '5 seconds')`,
    );
    const finished: JobRunRow[] = [];
    const s = scheduler('survivor', [cronJob('orphaned', '* * * * * *', async () => void (await sleep(10)))], { onFinished: (_job, run) => void finished.push(run) });
    s.start();
    await eventually(async () => (await runsOf('orphaned')).some((r) => r.status === 'succeeded'), 5_000, 'a run after the dead one');
    await s.stop();
    const runs = await runsOf('orphaned');
    const dead = runs.find((r) => r.replicaId === 'dead-replica')!;
    expect(dead.status).toBe('failed');
    expect(dead.error).toMatch(/^abandoned: no heartbeat from replica dead-replica since .* \(lease 1 s\); its process stopped during the run$/);
    expect(dead.durationMs).toBe(5_000);
    expect(finished.some((r) => r.id === dead.id && r.status === 'failed')).toBe(true);
  });

  it('keeps a live run alive past the lease by its heartbeat', { timeout: 15_000 }, async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = scheduler('a', [cronJob('long', '0 0 0 1 1 *', () => gate)], { leaseMs: 1_500 });
    const b = scheduler('b', [cronJob('long', '0 0 0 1 1 *', () => gate)], { leaseMs: 1_500 });
    a.start();
    b.start();
    const { run, done } = await a.runNow('long', 'tester');
    // Longer than the lease, while b's ticks look for dead runs every second.
    await sleep(2_800);
    expect((await ledger.get('long', run.id))!.status).toBe('running');
    release();
    expect(await done).toMatchObject({ id: run.id, status: 'succeeded', replicaId: 'a', requestedBy: 'tester', trigger: 'manual' });
  });

  it('answers 409 to a manual run while the job runs, on any replica', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = scheduler('a', [cronJob('manual', '0 0 0 1 1 *', () => gate)]);
    const b = scheduler('b', [cronJob('manual', '0 0 0 1 1 *', () => gate)]);
    const first = await a.runNow('manual', 'alice');
    for (const s of [a, b]) {
      const error = await s.runNow('manual', 'bob').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).status).toBe(409);
      expect((error as Error).message).toContain(`run ${first.run.id}`);
    }
    release();
    await first.done;
    const again = await b.runNow('manual', 'bob');
    await again.done;
    const runs = await runsOf('manual');
    expect(runs.map((r) => [r.status, r.replicaId, r.requestedBy])).toEqual([
      ['succeeded', 'a', 'alice'],
      ['succeeded', 'b', 'bob'],
    ]);
  });

  it('records a failed run with its error and what it did', async () => {
    const s = scheduler('a', [
      {
        name: 'partial',
        description: 'partial',
        schedule: { kind: 'cron', expression: '0 0 0 1 1 *', timezone: 'UTC' },
        run: async () => ({ result: { visited: 2 }, error: 'model x: out of memory' }),
      },
      cronJob('thrower', '0 0 0 1 1 *', async () => {
        throw new Error('boom');
      }),
    ]);
    const partial = await (await s.runNow('partial', null)).done;
    expect(partial).toMatchObject({ status: 'failed', result: { visited: 2 }, error: 'model x: out of memory' });
    const thrown = await (await s.runNow('thrower', null)).done;
    expect(thrown).toMatchObject({ status: 'failed', result: {}, error: 'boom' });
    expect(thrown!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('prunes runs older than the retention, and idle runs of pruneIdle jobs after an hour', async () => {
    await pool.query(
      `INSERT INTO job_runs (job, slot, trigger, status, replica_id, started_at, finished_at, result) VALUES
         ('old', now() - interval '3 days', 'schedule', 'succeeded', 'r', now() - interval '3 days', now() - interval '3 days', '{}'),
         ('old', now() - interval '1 hour', 'schedule', 'succeeded', 'r', now() - interval '1 hour', now() - interval '1 hour', '{}'),
         ('idle', now() - interval '2 hours', 'schedule', 'succeeded', 'r', now() - interval '2 hours', now() - interval '2 hours', '{"idle": true}'),
         ('idle', now() - interval '3 hours', 'schedule', 'succeeded', 'r', now() - interval '3 hours', now() - interval '3 hours', '{"idle": false, "attempted": 3}'),
         ('idle', now() - interval '4 hours', 'schedule', 'skipped', 'r', now() - interval '4 hours', now() - interval '4 hours', NULL),
         ('idle', now() - interval '10 minutes', 'schedule', 'succeeded', 'r', now() - interval '10 minutes', now() - interval '10 minutes', '{"idle": true}')`,
    );
    const idle = cronJob('idle', '0 0 0 1 1 *', async () => {}, { pruneIdle: true });
    const s = scheduler('a', [idle], { retentionMs: 2 * 86_400_000 });
    s.start();
    await eventually(async () => (await pool.query(`SELECT 1 FROM job_runs WHERE job = 'old' AND started_at < now() - interval '2 days'`)).rowCount === 0, 5_000, 'the prune');
    await s.stop();
    const { rows } = await pool.query(`SELECT job, status, result FROM job_runs ORDER BY started_at`);
    expect(rows).toEqual([
      { job: 'idle', status: 'succeeded', result: { idle: false, attempted: 3 } },
      { job: 'old', status: 'succeeded', result: {} },
      { job: 'idle', status: 'succeeded', result: { idle: true } },
    ]);
  });

  it('catches up the latest slot missed while no replica was up, once, and only when it is recent', { timeout: 15_000 }, async () => {
    const now = new Date();
    // Fired 3 s ago (every minute at that second): within half the period, so it is caught up.
    const recent = (now.getUTCSeconds() + 57) % 60;
    // Fired 40 s ago: more than half a period, the next slot is nearer.
    const stale = (now.getUTCSeconds() + 20) % 60;
    let caughtUp = 0;
    const jobs = () => [
      cronJob('recent', `${recent} * * * * *`, async () => void caughtUp++, { catchUp: true }),
      cronJob('stale', `${stale} * * * * *`, async () => {}, { catchUp: true }),
      cronJob('no-catch-up', `${recent} * * * * *`, async () => {}),
    ];
    const a = scheduler('a', jobs());
    a.start();
    await eventually(async () => (await runsOf('recent')).find((r) => r.status === 'succeeded'), 5_000, 'the caught-up run');
    // Another replica starting later finds the slot in the ledger.
    const b = scheduler('b', jobs());
    b.start();
    await sleep(500);
    await Promise.all([a.stop(), b.stop()]);
    const runs = await runsOf('recent');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.replicaId).toBe('a');
    expect(runs[0]!.slot.getUTCSeconds()).toBe(recent);
    expect(now.getTime() - runs[0]!.slot.getTime()).toBeGreaterThan(2_000);
    expect(now.getTime() - runs[0]!.slot.getTime()).toBeLessThan(4_000);
    expect(caughtUp).toBe(1);
    expect(await runsOf('stale')).toEqual([]);
    expect(await runsOf('no-catch-up')).toEqual([]);
  });

  it('names the next run of cron and interval jobs', () => {
    const s = scheduler('a', [cronJob('hourly', '0 0 * * * *', async () => {})]);
    const next = s.nextRunOf('hourly')!;
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getUTCSeconds()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(3_600_000);
    const at = new Date('2024-10-18T05:59:59.000Z');
    expect(s.nextRun({ name: 't', description: '', schedule: { kind: 'interval', every: '6h', everyMs: 6 * 3_600_000 }, run: async () => ({ result: {} }) }, at)!.toISOString()).toBe(
      '2024-10-18T06:00:00.000Z',
    );
    expect(s.nextRunOf('unknown')).toBeNull();
  });
});
