import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, problem, type TestContext } from '../helpers/app.js';
import { createModel } from '../helpers/fixtures.js';
import { createRetrainingApp, eventually, startReceiver, type Receiver } from '../helpers/retraining.js';

/** The jobs API: the schedule, running a job by hand, its history, and who may do what. */

let ctx: TestContext;
let trainer: Receiver;
const keys: Record<string, string> = {};
const HOUR = 3_600_000;

async function createKey(name: string, scopes: string[], models?: string[]) {
  const r = await call(ctx.app, 'POST', '/v1/api-keys', { name, scopes, ...(models ? { models } : {}) });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().key as string;
}

beforeAll(async () => {
  // The schedules come from the configuration, in its time zone.
  ctx = await createRetrainingApp({}, { DAILY_JOB_CRON: '0 30 4 * * *', WEEKLY_JOB_CRON: '0 0 6 * * 1', TZ: 'Europe/Paris' });
  trainer = await startReceiver();
  trainer.respond(() => ({ status: 202 }));
  await createModel(ctx.app, { name: 'tiered', task: 'binary', labels: ['no', 'yes'] }, 'v1');
  await createModel(ctx.app, { name: 'untrained', task: 'binary', labels: ['no', 'yes'] }, 'v1');
  for (const name of ['tiered', 'untrained']) {
    const policy = await call(ctx.app, 'PUT', `/v1/models/${name}/policy`, { autoTrigger: true, tiers: [{ name: 'hourly', every: '1h' }] });
    expect(policy.statusCode, policy.body).toBe(200);
  }
  // Only "tiered" has a training webhook: the tier job of "untrained" fails.
  expect((await call(ctx.app, 'PUT', '/v1/models/tiered/webhook', { url: trainer.url })).statusCode).toBe(201);
  keys.read = await createKey('reader', ['read']);
  keys.ingest = await createKey('serving', ['ingest']);
  keys.tieredAdmin = await createKey('tiered-admin', ['admin'], ['tiered']);
});
afterAll(async () => {
  await trainer.close();
  await ctx.close();
});

const parisTime = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' }).format(new Date(iso));

describe('GET /v1/jobs', () => {
  it('lists every job with its schedule, time zone, next run and last run', async () => {
    const r = await call(ctx.app, 'GET', '/v1/jobs', undefined, keys.read);
    expect(r.statusCode, r.body).toBe(200);
    const jobs = r.json().items as Record<string, any>[];
    expect(jobs.map((j) => j.name)).toEqual(['daily-learning', 'weekly-learning', 'webhook-delivery', 'tier:tiered:hourly', 'tier:untrained:hourly']);
    const [daily, weekly, delivery, tier] = jobs;
    expect(daily).toMatchObject({ kind: 'cron', schedule: '0 30 4 * * *', timezone: 'Europe/Paris', model: null, running: null, lastRun: null });
    expect(daily!.description).toMatch(/drift report/);
    // The next 04:30 in Paris, within a day.
    expect(parisTime(daily!.nextRunAt)).toMatch(/04:30:00$/);
    expect(Date.parse(daily!.nextRunAt) - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(daily!.nextRunAt) - Date.now()).toBeLessThanOrEqual(24 * HOUR);
    expect(parisTime(weekly!.nextRunAt)).toBe('Mon 06:00:00');
    expect(delivery).toMatchObject({ kind: 'cron', schedule: '*/5 * * * * *' });
    expect(Date.parse(delivery!.nextRunAt) - Date.now()).toBeLessThanOrEqual(5_000);
    expect(tier).toMatchObject({ kind: 'interval', schedule: 'every 1h', timezone: 'UTC', model: 'tiered', lastRun: null });
    expect(tier!.nextRunAt).toBe(new Date(Math.floor(Date.now() / HOUR) * HOUR + HOUR).toISOString());
  });

  it('shows a key limited to some models only the tier jobs of those models', async () => {
    const jobs = (await call(ctx.app, 'GET', '/v1/jobs', undefined, keys.tieredAdmin)).json().items;
    expect(jobs.map((j: { name: string }) => j.name)).toEqual(['tier:tiered:hourly']);
  });

  it('needs the read scope', async () => {
    expect(problem(await call(ctx.app, 'GET', '/v1/jobs', undefined, keys.ingest), 403).detail).toContain('"read"');
    problem(await call(ctx.app, 'GET', '/v1/jobs', undefined, null), 401);
  });
});

describe('POST /v1/jobs/{name}/runs', () => {
  it('starts a run (202) that finishes and shows up as the last run', async () => {
    const r = await call(ctx.app, 'POST', '/v1/jobs/weekly-learning/runs');
    expect(r.statusCode, r.body).toBe(202);
    const started = r.json();
    expect(started).toMatchObject({ job: 'weekly-learning', trigger: 'manual', status: 'running', requestedBy: 'HINDSIGHT_ADMIN_KEY', finishedAt: null, durationMs: null, result: null, error: null });
    expect(started.replicaId).toMatch(/.+:\d+$/);
    const finished = await eventually(async () => {
      const run = (await call(ctx.app, 'GET', `/v1/jobs/weekly-learning/runs/${started.id}`, undefined, keys.read)).json();
      return run.status !== 'running' && run;
    }, 30_000, 'the weekly run');
    expect(finished).toMatchObject({ id: started.id, status: 'succeeded', error: null, result: { models: 2, visited: 2, failed: 0 } });
    expect(finished.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(finished.finishedAt) - Date.parse(finished.startedAt)).toBe(finished.durationMs);
    const weekly = (await call(ctx.app, 'GET', '/v1/jobs')).json().items.find((j: { name: string }) => j.name === 'weekly-learning');
    expect(weekly.lastRun).toMatchObject({ id: started.id, status: 'succeeded' });
    expect(weekly.lastRun.result).toBeUndefined();
  });

  it('with wait=true answers 200 with the finished run', async () => {
    const r = await call(ctx.app, 'POST', '/v1/jobs/tier:tiered:hourly/runs?wait=true');
    expect(r.statusCode, r.body).toBe(200);
    const run = r.json();
    expect(run).toMatchObject({ job: 'tier:tiered:hourly', status: 'succeeded', result: { action: 'requested', status: 'pending' } });
    const request = (await call(ctx.app, 'GET', `/v1/retrain-requests/${run.result.retrainRequestId}`)).json();
    expect(request).toMatchObject({ tier: 'hourly', trigger: 'auto', model: 'tiered' });
    // The loop status shows the tier's last training and its next slot.
    const loop = (await call(ctx.app, 'GET', '/v1/models/tiered')).json().loop;
    expect(loop.training.find((t: { tier: string | null }) => t.tier === 'hourly')).toMatchObject({
      every: '1h',
      scheduled: true,
      lastRequest: { id: run.result.retrainRequestId, status: 'pending', trigger: 'auto' },
      nextDueAt: new Date(Math.floor(Date.now() / HOUR) * HOUR + HOUR).toISOString(),
    });
    expect(loop).toMatchObject({ retrainInProgress: true, openRetrainRequest: { id: run.result.retrainRequestId, tier: 'hourly' } });
    // Again: the request is still open, so the job says so instead of starting another.
    const again = (await call(ctx.app, 'POST', '/v1/jobs/tier:tiered:hourly/runs?wait=true')).json();
    expect(again.result).toMatchObject({ action: 'already_open', retrainRequestId: run.result.retrainRequestId });
  });

  it('shows the trained candidate and the tier’s last success in the loop status once the trainer called back', async () => {
    const request = (await call(ctx.app, 'GET', '/v1/models/tiered/retrain-requests')).json().items[0];
    const done = await call(ctx.app, 'POST', `/v1/retrain-requests/${request.id}/result`, { status: 'succeeded', version: 'v2', metrics: { accuracy: 0.9 } });
    expect(done.statusCode, done.body).toBe(200);
    const loop = (await call(ctx.app, 'GET', '/v1/models/tiered')).json().loop;
    expect(loop).toMatchObject({
      productionVersion: { name: 'v1' },
      retrainInProgress: false,
      openRetrainRequest: null,
      candidate: { version: 'v2', retrainRequestId: request.id, gateStatus: 'awaiting_live' },
    });
    const hourly = loop.training.find((t: { tier: string | null }) => t.tier === 'hourly');
    expect(hourly.lastRequest).toMatchObject({ id: request.id, status: 'succeeded' });
    expect(hourly.lastSucceededAt).toBe(hourly.lastRequest.completedAt);
    expect(loop.training.find((t: { tier: string | null }) => t.tier === null)).toMatchObject({ lastRequest: null, lastSucceededAt: null, scheduled: true });
  });

  it('records a failed run with its error', async () => {
    const r = await call(ctx.app, 'POST', '/v1/jobs/tier:untrained:hourly/runs?wait=true');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'failed', result: {} });
    expect(r.json().error).toMatch(/webhook/);
  });

  it('answers 409 while a run of the job is going, on any replica', async () => {
    const { rows } = await ctx.sql.query(
      `INSERT INTO job_runs (job, slot, trigger, status, replica_id) VALUES ('daily-learning', now(), 'schedule', 'running', 'other-replica') RETURNING id`,
    );
    try {
      const body = problem(await call(ctx.app, 'POST', '/v1/jobs/daily-learning/runs'), 409);
      expect(body.detail).toContain(`run ${rows[0].id}`);
      expect(body.detail).toContain('replica other-replica');
      expect(body.runningRunId).toBe(rows[0].id);
      const listed = (await call(ctx.app, 'GET', '/v1/jobs')).json().items.find((j: { name: string }) => j.name === 'daily-learning');
      expect(listed.running).toMatchObject({ id: rows[0].id, status: 'running', replicaId: 'other-replica' });
    } finally {
      await ctx.sql.query(`UPDATE job_runs SET status = 'succeeded', finished_at = now(), duration_ms = 1, result = '{}' WHERE id = $1`, [rows[0].id]);
    }
    const r = await call(ctx.app, 'POST', '/v1/jobs/daily-learning/runs?wait=true');
    expect(r.statusCode, r.body).toBe(200);
  });

  it('marks a scheduled run whose replica died as failed, raises job.failed, and resolves it when a run succeeds', async () => {
    const { rows } = await ctx.sql.query(
      `INSERT INTO job_runs (job, slot, trigger, status, replica_id, started_at, heartbeat_at)
       VALUES ('daily-learning', now() - interval '10 minutes', 'schedule', 'running', 'crashed-replica', now() - interval '10 minutes', now() - interval '9 minutes') RETURNING id`,
    );
    // The lease (120 s) is long over: starting the job marks the dead run first, then runs.
    const r = await call(ctx.app, 'POST', '/v1/jobs/daily-learning/runs?wait=true');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().status).toBe('succeeded');
    const dead = (await call(ctx.app, 'GET', `/v1/jobs/daily-learning/runs/${rows[0].id}`)).json();
    expect(dead).toMatchObject({ status: 'failed', replicaId: 'crashed-replica', durationMs: 60_000 });
    expect(dead.error).toMatch(/^abandoned: no heartbeat from replica crashed-replica since .* \(lease 120 s\)/);
    const alerts = (await call(ctx.app, 'GET', '/v1/alerts?type=job.failed')).json().items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ title: 'Job daily-learning failed', severity: 'warning', status: 'resolved', resolvedBy: 'hindsight', model: null });
    expect(alerts[0].detail).toContain(`run ${rows[0].id}`);
    expect(alerts[0].resolution).toBe(`run ${r.json().id} of ${r.json().slot} succeeded`);
  });

  it('answers 404 for an unknown job and 400 for a malformed name or query', async () => {
    const missing = problem(await call(ctx.app, 'POST', '/v1/jobs/nightly/runs'), 404);
    expect(missing.detail).toBe('job "nightly" does not exist');
    expect(missing.errors).toEqual([{ path: '/params/name', message: 'not found' }]);
    problem(await call(ctx.app, 'POST', '/v1/jobs/tier:nobody:hourly/runs'), 404);
    expect(problem(await call(ctx.app, 'POST', '/v1/jobs/Daily%20Learning/runs'), 400).errors![0]!.path).toBe('/params/name');
    expect(problem(await call(ctx.app, 'POST', '/v1/jobs/daily-learning/runs?wait=maybe'), 400).errors![0]!.path).toBe('/query/wait');
  });

  it('needs the admin scope, and a model-limited key runs only its models’ tier jobs', async () => {
    expect(problem(await call(ctx.app, 'POST', '/v1/jobs/daily-learning/runs', undefined, keys.read), 403).detail).toContain('"admin"');
    const limited = problem(await call(ctx.app, 'POST', '/v1/jobs/daily-learning/runs', undefined, keys.tieredAdmin), 403);
    expect(limited.detail).toContain('spans every model');
    problem(await call(ctx.app, 'POST', '/v1/jobs/tier:untrained:hourly/runs', undefined, keys.tieredAdmin), 403);
    problem(await call(ctx.app, 'GET', '/v1/jobs/daily-learning/runs', undefined, keys.tieredAdmin), 403);
  });
});

describe('GET /v1/jobs/{name}/runs', () => {
  it('lists the runs newest first with duration, result and error, filtered and paged', async () => {
    for (let i = 0; i < 2; i++) expect((await call(ctx.app, 'POST', '/v1/jobs/webhook-delivery/runs?wait=true')).statusCode).toBe(200);
    const all = (await call(ctx.app, 'GET', '/v1/jobs/webhook-delivery/runs', undefined, keys.read)).json();
    expect(all.items).toHaveLength(2);
    expect(all.nextCursor).toBeNull();
    for (const run of all.items) {
      expect(run).toMatchObject({ job: 'webhook-delivery', status: 'succeeded', trigger: 'manual', error: null });
      expect(typeof run.durationMs).toBe('number');
      expect(run.result).toMatchObject({ attempted: expect.any(Number), relayed: expect.any(Number) });
    }
    expect(Date.parse(all.items[0].startedAt)).toBeGreaterThanOrEqual(Date.parse(all.items[1].startedAt));

    const first = (await call(ctx.app, 'GET', '/v1/jobs/webhook-delivery/runs?limit=1')).json();
    expect(first.items.map((r: { id: string }) => r.id)).toEqual([all.items[0].id]);
    const second = (await call(ctx.app, 'GET', `/v1/jobs/webhook-delivery/runs?limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.items.map((r: { id: string }) => r.id)).toEqual([all.items[1].id]);
    expect(second.nextCursor).toBeNull();

    const failed = (await call(ctx.app, 'GET', '/v1/jobs/tier:untrained:hourly/runs?status=failed')).json().items;
    expect(failed).toHaveLength(1);
    expect(failed[0].error).toMatch(/webhook/);
    expect((await call(ctx.app, 'GET', '/v1/jobs/tier:untrained:hourly/runs?status=succeeded')).json().items).toEqual([]);
    expect((await call(ctx.app, 'GET', '/v1/jobs/webhook-delivery/runs?trigger=schedule')).json().items).toEqual([]);
  });

  it('refuses bad filters naming the field, and unknown jobs or runs', async () => {
    expect(problem(await call(ctx.app, 'GET', '/v1/jobs/daily-learning/runs?status=done'), 400).errors![0]!.path).toBe('/query/status');
    expect(problem(await call(ctx.app, 'GET', '/v1/jobs/daily-learning/runs?limit=0'), 400).errors![0]!.path).toBe('/query/limit');
    expect(problem(await call(ctx.app, 'GET', '/v1/jobs/daily-learning/runs?cursor=%21%21'), 400).errors![0]!.path).toBe('/query/cursor');
    problem(await call(ctx.app, 'GET', '/v1/jobs/nightly/runs'), 404);
    problem(await call(ctx.app, 'GET', '/v1/jobs/daily-learning/runs/8f1e6c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b'), 404);
    expect(problem(await call(ctx.app, 'GET', '/v1/jobs/daily-learning/runs/not-a-uuid'), 400).errors![0]!.path).toBe('/params/id');
  });
});
