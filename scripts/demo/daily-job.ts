import { ApiError, DemoError, type Hindsight } from './client.js';

/**
 * Runs the `daily-learning` job by hand (`POST /v1/jobs/daily-learning/runs`) and waits for that run to
 * finish (`GET /v1/jobs/daily-learning/runs`). The job does, for every model: performance snapshot, drift
 * report, error analysis, the validation gate of a waiting candidate, the retrain decision and — with
 * autoTrigger — the retrain request, and alerts.
 */

export interface JobRun {
  id: string;
  status: string;
  durationMs: number | null;
  error: string | null;
  result: unknown;
}

const JOB = 'daily-learning';
const POLL_MS = 300;

interface RunView {
  id: string;
  status: string;
  durationMs?: number | null;
  error?: string | null;
  result?: unknown;
}

async function runs(hs: Hindsight): Promise<RunView[]> {
  return (await hs.get<{ items: RunView[] }>(`/v1/jobs/${JOB}/runs?limit=20`)).items;
}

async function waitFor(hs: Hindsight, done: (items: RunView[]) => RunView | undefined, timeoutMs: number, what: string): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = done(await runs(hs));
    if (found) return found;
    if (Date.now() > deadline) throw new DemoError(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s`, `see GET /v1/jobs/${JOB}/runs and the server's log`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function runDailyJob(hs: Hindsight, model: string, timeoutMs = 90_000): Promise<JobRun> {
  let started: { status: number; body: any };
  try {
    started = await hs.request('POST', `/v1/jobs/${JOB}/runs`, {});
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      throw new DemoError(`this Hindsight has no ${JOB} job (POST /v1/jobs/${JOB}/runs answered 404)`, 'run the demo against a Hindsight built from this repository: `git pull && npm ci && npm start`');
    }
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
    // A scheduled run is in progress: wait for it, then start ours (it must see the data just sent).
    await waitFor(hs, (items) => (items.some((r) => r.status === 'running') ? undefined : items[0]), timeoutMs, `the ${JOB} run in progress`);
    started = await hs.request('POST', `/v1/jobs/${JOB}/runs`, {});
  }
  const id: string | undefined = started.body?.id ?? started.body?.run?.id;
  if (!id) throw new DemoError(`POST /v1/jobs/${JOB}/runs answered without a run id: ${JSON.stringify(started.body).slice(0, 300)}`);
  const finished = started.body?.status && started.body.status !== 'running' ? (started.body as RunView) : await waitFor(hs, (items) => items.find((r) => r.id === id && r.status !== 'running'), timeoutMs, `${JOB} run ${id}`);
  const run = { id, status: finished.status, durationMs: finished.durationMs ?? null, error: finished.error ?? null, result: finished.result ?? null };
  if (run.status === 'succeeded') return run;
  // A run that failed for other models (a server with more than the demo's) still did the demo model's work.
  const mine = (run.result as { results?: { model: string; status: string }[] } | null)?.results?.find((r) => r.model === model);
  if (run.status === 'failed' && mine && mine.status !== 'failed') return run;
  throw new DemoError(`${JOB} run ${id} ${run.status}: ${run.error ?? 'no error recorded'}`, `see GET /v1/jobs/${JOB}/runs/${id} and the server's log`);
}

