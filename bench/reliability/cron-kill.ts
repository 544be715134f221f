import type { ServerHandle } from '../lib/children.js';
import { post, sleep } from './lib/client.js';
import { type Scenario, check, isAlive, predictionBody, registerModel, withClient } from './lib/harness.js';

const PROCESSES = 3;
const SLOT_MS = 5_000;
const RUN_MS = Number(process.env.RELIABILITY_CRON_SECONDS ?? 60) * 1000;
const LEASE_S = 10;
/** The scheduler's heartbeat: a quarter of the lease. */
const HEARTBEAT_MS = (LEASE_S * 1000) / 4;
/** Per replica: every 15 s it marks dead runs (and every slot of a job marks that job's dead runs first). */
const TICK_MS = 15_000;
const JOBS = ['daily-learning', 'webhook-delivery'] as const;
const MODELS = 6;
const PREDICTIONS_PER_MODEL = 400;

interface RunRow {
  id: string;
  job: string;
  slot: Date;
  trigger: string;
  status: string;
  replica_id: string;
  started_at: Date;
  finished_at: Date | null;
  error: string | null;
}

/**
 * Three Hindsight processes on one database, each running the scheduler with the daily-learning job (and the
 * webhook-delivery job) every 5 seconds, for a minute; midway, the replica running a daily-learning run is
 * SIGKILLed. Every slot of the minute must be in job_runs exactly once (run, or recorded as skipped while
 * the killed run held the job), none missing; the killed run is marked failed once its lease
 * (JOB_LEASE_SECONDS) has passed, and the job runs again on the survivors.
 */
export const cronKill: Scenario = {
  id: 'cron',
  title: 'Three processes with a 5-second cron for a minute, one SIGKILLed midway',
  async run(ctx) {
    const databaseUrl = await ctx.cluster.createDatabase('hindsight_rel_cron');
    const servers: ServerHandle[] = [];
    for (let i = 1; i <= PROCESSES; i++) {
      servers.push(
        await ctx.startHindsight(`cron-${i}`, databaseUrl, {
          SCHEDULER_ENABLED: 'true',
          HINDSIGHT_REPLICA_ID: `cron-${i}`,
          DAILY_JOB_CRON: '*/5 * * * * *',
          WEBHOOK_DELIVERY_CRON: '*/5 * * * * *',
          WEEKLY_JOB_CRON: '0 0 0 1 1 *',
          JOB_LEASE_SECONDS: String(LEASE_S),
          TZ: 'UTC',
        }),
      );
    }
    // Some work for the daily job (performance, drift, error analysis per model), so that a run lasts a while.
    for (let m = 0; m < MODELS; m++) {
      const name = `cron-model-${m}`;
      await registerModel(servers[m % PROCESSES]!.url, ctx.adminKey, name);
      const items = Array.from({ length: PREDICTIONS_PER_MODEL }, (_, i) => predictionBody(name, `${name}-${i}`, new Date(Date.now() - (i + 1) * 60_000).toISOString(), i % 3 ? 'LAL' : 'BOS'));
      const answer = await post(`${servers[m % PROCESSES]!.url}/v1/predictions/batch`, ctx.adminKey, { items }, 30_000);
      if (answer.status !== 201) throw new Error(`seeding ${name}: ${answer.status ?? answer.error}`);
    }

    const from = Date.now();
    const until = from + RUN_MS;
    ctx.log(`cron: ${PROCESSES} replicas up; watching ${RUN_MS / 1000} s of slots`);

    // Midway: SIGKILL the replica that is running a daily-learning run (any running run after 10 s of looking).
    await sleep(RUN_MS / 2);
    let victim: { server: ServerHandle; run: RunRow | null } | undefined;
    const lookUntil = Date.now() + 10_000;
    while (!victim && Date.now() < until) {
      const running = await withClient(databaseUrl, (sql) => sql.query<RunRow>(`SELECT * FROM job_runs WHERE status = 'running' ORDER BY job = 'daily-learning' DESC`));
      const run = running.rows.find((r) => r.job === 'daily-learning' || Date.now() > lookUntil);
      if (run) victim = { server: servers.find((s) => s.name === run.replica_id)!, run };
      else if (Date.now() > lookUntil) victim = { server: servers[1]!, run: null };
      else await sleep(5);
    }
    if (!victim) throw new Error('no replica to kill');
    const killedAt = Date.now();
    process.kill(victim.server.pid, 'SIGKILL');
    ctx.log(`cron: SIGKILL ${victim.server.name} (pid ${victim.server.pid})${victim.run ? ` during its ${victim.run.job} run of ${victim.run.slot.toISOString()}` : ' (no run of its own in progress)'}`);
    await victim.server.stop();

    // Watch the killed run until it is marked failed (by a survivor, once the lease has passed).
    let markedAfterMs: number | null = null;
    let killedRun: RunRow | null = null;
    const watchUntil = Math.max(until, killedAt + LEASE_S * 1000 + TICK_MS + SLOT_MS);
    while (Date.now() < watchUntil) {
      if (victim.run && markedAfterMs === null) {
        const { rows } = await withClient(databaseUrl, (sql) => sql.query<RunRow>(`SELECT * FROM job_runs WHERE id = $1`, [victim!.run!.id]));
        killedRun = rows[0] ?? null;
        if (killedRun && killedRun.status !== 'running') markedAfterMs = Date.now() - killedAt;
      }
      if (Date.now() >= until && (markedAfterMs !== null || !victim.run)) break;
      await sleep(100);
    }
    const observedUntil = Date.now();
    const survivorsAlive = servers.filter((s) => s !== victim!.server).every((s) => isAlive(s.pid));
    await Promise.all(servers.map((s) => s.stop()));

    const runs = await withClient(databaseUrl, (sql) => sql.query<RunRow>(`SELECT * FROM job_runs ORDER BY job, slot`));
    // Slots every 5 s from the first after all replicas were up to the last before we stopped watching.
    const firstSlot = Math.ceil(from / SLOT_MS) * SLOT_MS;
    const lastSlot = Math.floor((observedUntil - 1_000) / SLOT_MS) * SLOT_MS;
    const expected: number[] = [];
    for (let t = firstSlot; t <= lastSlot; t += SLOT_MS) expected.push(t);

    const perJob = JOBS.map((job) => {
      const rows = runs.rows.filter((r) => r.job === job && r.trigger === 'schedule');
      const bySlot = new Map<number, RunRow[]>();
      // Grouped by the 5-second boundary, so that two replicas naming one slot differently would show as two runs.
      for (const r of rows) {
        const key = Math.round(r.slot.getTime() / SLOT_MS) * SLOT_MS;
        bySlot.set(key, [...(bySlot.get(key) ?? []), r]);
      }
      const missing = expected.filter((t) => !bySlot.has(t));
      const doubled = expected.filter((t) => (bySlot.get(t)?.length ?? 0) > 1);
      const inWindow = expected.flatMap((t) => bySlot.get(t) ?? []);
      const count = (status: string) => inWindow.filter((r) => r.status === status).length;
      const afterKill = inWindow.filter((r) => r.slot.getTime() > killedAt);
      const firstRunAfterKill = afterKill.find((r) => r.status === 'succeeded' || r.status === 'running' || r.status === 'failed');
      const skippedAfterKill = afterKill.filter((r) => r.status === 'skipped').length;
      // No two runs of the job at once: each run started after the previous one finished.
      const ran = inWindow.filter((r) => r.status !== 'skipped').sort((a, b) => a.started_at.getTime() - b.started_at.getTime());
      let overlaps = 0;
      for (let i = 1; i < ran.length; i++) if (ran[i - 1]!.finished_at && ran[i]!.started_at < ran[i - 1]!.finished_at!) overlaps++;
      const byReplica = new Map<string, number>();
      for (const r of inWindow) if (r.status !== 'skipped') byReplica.set(r.replica_id, (byReplica.get(r.replica_id) ?? 0) + 1);
      return { job, missing, doubled, slots: expected.length, rows: inWindow.length, count, firstRunAfterKill, skippedAfterKill, overlaps, byReplica, afterKill };
    });

    const daily = perJob[0]!;
    const victimRunsAfterKill = runs.rows.filter((r) => r.replica_id === victim!.server.name && r.started_at.getTime() > killedAt + 1_000).length;
    const figures: Record<string, number | string> = {
      replicas: PROCESSES,
      'cron (both jobs)': '*/5 * * * * * (every 5 s)',
      'observed (s)': Math.round((observedUntil - from) / 1000),
      'JOB_LEASE_SECONDS': LEASE_S,
      'killed': `${victim.server.name} at +${Math.round((killedAt - from) / 1000)} s${victim.run ? `, during its ${victim.run.job} run of slot ${victim.run.slot.toISOString().slice(11, 19)}` : ', no run of its own in progress'}`,
    };
    for (const j of perJob) {
      figures[`${j.job}: slots`] = j.slots;
      figures[`${j.job}: runs per slot`] = j.doubled.length === 0 && j.missing.length === 0 ? 1 : `${j.doubled.length} slots with 2+, ${j.missing.length} with none`;
      figures[`${j.job}: missed slots`] = j.missing.length;
      figures[`${j.job}: succeeded / failed / skipped`] = `${j.count('succeeded')} / ${j.count('failed')} / ${j.count('skipped')}`;
      figures[`${j.job}: runs by replica`] = [...j.byReplica].sort().map(([k, v]) => `${k} ${v}`).join(', ');
      figures[`${j.job}: slots after the kill recorded as skipped (the dead run held the job)`] = j.skippedAfterKill;
      figures[`${j.job}: first run after the kill (s after the kill)`] = j.firstRunAfterKill ? round((j.firstRunAfterKill.started_at.getTime() - killedAt) / 1000) : 'none';
    }
    figures["the killed run marked failed after (s)"] = victim.run ? (markedAfterMs === null ? 'never' : round(markedAfterMs / 1000)) : 'no run was in progress';
    if (killedRun?.error) figures['its error'] = killedRun.error;

    const leaseOk = !victim.run || (markedAfterMs !== null && markedAfterMs >= LEASE_S * 1000 - HEARTBEAT_MS - 500 && markedAfterMs <= LEASE_S * 1000 + TICK_MS + 2_000);
    // After the kill, the job runs again at the latest at the first slot past the lease (plus one slot for the busy check).
    const resumedOk = !daily.firstRunAfterKill ? false : daily.firstRunAfterKill.started_at.getTime() - killedAt <= LEASE_S * 1000 + 2 * SLOT_MS + 2_000;
    return {
      id: this.id,
      title: this.title,
      figures,
      checks: [
        ...perJob.map((j) => check(`${j.job}: exactly one run per slot (none missing, none doubled) over ${j.slots} slots`, j.missing.length === 0 && j.doubled.length === 0, `missing ${j.missing.map((t) => new Date(t).toISOString().slice(11, 19)).join(' ')}; doubled ${j.doubled.map((t) => new Date(t).toISOString().slice(11, 19)).join(' ')}`)),
        ...perJob.map((j) => check(`${j.job}: never two runs at once`, j.overlaps === 0, `${j.overlaps} overlaps`)),
        check('the kill hit a replica in the middle of a daily-learning run', victim.run?.job === 'daily-learning', victim.run ? victim.run.job : 'no run in progress'),
        check(`the killed run is marked failed (abandoned) once the lease of ${LEASE_S} s has passed`, leaseOk && (!victim.run || (killedRun?.status === 'failed' && /abandoned/.test(killedRun.error ?? ''))), `${markedAfterMs} ms, ${killedRun?.status}`),
        check('the survivors run the job again within the lease and two slots of the kill', resumedOk, daily.firstRunAfterKill ? `${daily.firstRunAfterKill.started_at.getTime() - killedAt} ms` : 'no run after the kill'),
        check('the survivors keep running; the killed replica starts nothing more', survivorsAlive && victimRunsAfterKill === 0),
      ],
    };
  },
};

const round = (x: number) => Math.round(x * 100) / 100;
