import { type Answer, Tally, backoff, openLoop, post, sleep } from './lib/client.js';
import { type Scenario, check, isAlive, predictionBody, registerModel, withClient } from './lib/harness.js';

const RATE = Number(process.env.RELIABILITY_RATE ?? 200);
const BATCH_EVERY_MS = 250;
const BATCH_SIZE = 25;
const CRASH_AT_MS = 5_000;
const DOWN_MS = 6_000;
const LOAD_MS = 20_000;
/** Every item must be acknowledged by then, or the clients did not converge. */
const CONVERGE_MS = 60_000;

interface Window {
  /** pg_ctl stop -m immediate starts. */
  crash: number;
  /** The postmaster and every backend are gone (pg_ctl -w returned). */
  from: number;
  /** PostgreSQL is about to be started again. */
  until: number;
  /** PostgreSQL accepts connections again. */
  to: number;
}

/**
 * Steady ingestion (RATE single predictions per second and a batch of BATCH_SIZE every BATCH_EVERY_MS, each
 * item with a stable id, retried with the same id and body until acknowledged) against the real server
 * process, while PostgreSQL is crashed (`pg_ctl stop -m immediate`) and started again DOWN_MS later.
 * Every acknowledged prediction must be stored, none twice; the clients converge; the service answers 503
 * (quickly) while the database is down and recovers without a restart.
 */
export const databaseOutage: Scenario = {
  id: 'outage',
  title: 'PostgreSQL crashed (pg_ctl stop -m immediate) and restarted under steady ingestion',
  async run(ctx) {
    const databaseUrl = await ctx.cluster.createDatabase('hindsight_rel_outage');
    const server = await ctx.startHindsight('outage', databaseUrl);
    const model = 'outage-model';
    await registerModel(server.url, ctx.adminKey, model);

    const tally = new Tally();
    const acknowledged = new Set<string>();
    const sent = new Set<string>();
    const unexpected: string[] = [];
    const outage: Window = { crash: Number.POSITIVE_INFINITY, from: Number.POSITIVE_INFINITY, until: Number.POSITIVE_INFINITY, to: Number.POSITIVE_INFINITY };
    const during = { answers: 0, non503: 0, maxMs: 0 };
    let firstAckAfterRestart: number | undefined;
    let requests = 0;

    const observe = (answer: Answer, sentAt: number) => {
      requests++;
      tally.add(answer);
      const at = Date.now();
      // Sent once the database was gone, answered before it was started again: nothing can be stored.
      if (sentAt >= outage.from && at <= outage.until) {
        during.answers++;
        during.maxMs = Math.max(during.maxMs, answer.ms);
        if (answer.status !== 503) during.non503++;
      }
      if (answer.status !== null && answer.status < 300 && sentAt >= outage.to && firstAckAfterRestart === undefined) firstAckAfterRestart = at;
    };
    const deadline = Date.now() + CONVERGE_MS;

    const single = async (id: string) => {
      const body = predictionBody(model, id, new Date().toISOString());
      sent.add(id);
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        const sentAt = Date.now();
        const answer = await post(`${server.url}/v1/predictions`, ctx.adminKey, body);
        observe(answer, sentAt);
        if (answer.status === 201 || answer.status === 200) return void acknowledged.add(id);
        if (answer.status !== null && answer.status !== 503 && answer.status !== 429) return void unexpected.push(`${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
        await sleep(backoff(attempt, answer.retryAfterSeconds));
      }
    };

    const batch = async (ids: string[]) => {
      const predictedAt = new Date().toISOString();
      const bodies = new Map(ids.map((id) => [id, predictionBody(model, id, predictedAt)]));
      for (const id of ids) sent.add(id);
      let pending = ids;
      for (let attempt = 0; pending.length > 0 && Date.now() < deadline; attempt++) {
        const sentAt = Date.now();
        const answer = await post(`${server.url}/v1/predictions/batch`, ctx.adminKey, { items: pending.map((id) => bodies.get(id)) });
        observe(answer, sentAt);
        if (answer.status === 200 || answer.status === 201 || answer.status === 207) {
          const results = (answer.body as { results: { index: number; status: string; error?: { status: number } }[] }).results;
          const again: string[] = [];
          for (const r of results) {
            const id = pending[r.index]!;
            if (r.status === 'created' || r.status === 'duplicate') acknowledged.add(id);
            else if (r.error?.status === 503) again.push(id);
            else unexpected.push(`${id}: item ${JSON.stringify(r)}`);
          }
          pending = again;
          if (pending.length === 0) return;
        } else if (answer.status !== null && answer.status !== 503 && answer.status !== 429) {
          return void unexpected.push(`batch: ${answer.status} ${JSON.stringify(answer.body)}`);
        }
        await sleep(backoff(attempt, answer.retryAfterSeconds));
      }
    };

    const start = Date.now();
    const inFlight: Promise<void>[] = [];
    const fault = (async () => {
      await sleep(CRASH_AT_MS);
      ctx.log(`outage: crashing PostgreSQL (pg_ctl stop -m immediate)`);
      outage.crash = Date.now();
      await ctx.cluster.crash();
      outage.from = Date.now();
      await sleep(DOWN_MS);
      ctx.log('outage: starting PostgreSQL again (crash recovery)');
      outage.until = Date.now();
      await ctx.cluster.up();
      outage.to = Date.now();
    })();
    const readiness = fault.then(async () => {
      while (Date.now() < deadline) {
        const response = await fetch(`${server.url}/readyz`).catch(() => null);
        if (response?.status === 200) return Date.now();
        await sleep(50);
      }
      return undefined;
    });
    await Promise.all([
      openLoop(RATE, start + LOAD_MS, (i) => inFlight.push(single(`s-${i}`))),
      openLoop(1000 / BATCH_EVERY_MS, start + LOAD_MS, (i) => inFlight.push(batch(Array.from({ length: BATCH_SIZE }, (_, j) => `b-${i}-${j}`)))),
    ]);
    ctx.log(`outage: load stopped after ${((Date.now() - start) / 1000).toFixed(1)} s; waiting for the clients to converge`);
    await fault;
    await Promise.all(inFlight);
    const readyAt = await readiness;
    const convergedAfter = Date.now() - start;

    const stored = await withClient(databaseUrl, async (sql) => {
      const { rows } = await sql.query<{ id: string }>(`SELECT p.id FROM predictions p JOIN models m ON m.id = p.model_id WHERE m.name = $1`, [model]);
      const keys = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM prediction_keys k JOIN models m ON m.id = k.model_id WHERE m.name = $1`, [model]);
      return { ids: rows.map((r) => r.id), keys: keys.rows[0]!.n };
    });
    const storedSet = new Set(stored.ids);
    const lost = [...acknowledged].filter((id) => !storedSet.has(id));
    const duplicates = stored.ids.length - storedSet.size;
    const notAcknowledged = [...sent].filter((id) => !acknowledged.has(id));
    const alive = isAlive(server.pid);
    await server.stop();

    const figures = {
      'load (s)': LOAD_MS / 1000,
      'single predictions per second': RATE,
      'batches per second (25 items)': 1000 / BATCH_EVERY_MS,
      'predictions sent (distinct ids)': sent.size,
      'HTTP requests (with retries)': requests,
      acknowledged: acknowledged.size,
      stored: storedSet.size,
      lost: lost.length,
      duplicates,
      'not acknowledged at the end': notAcknowledged.length,
      '503 answers': tally.get('503'),
      'other answers (not 2xx/503)': requests - tally.get('503') - tally.get('200') - tally.get('201') - tally.get('207'),
      'database down, from the crash to accepting connections again (s)': round((outage.to - outage.crash) / 1000),
      'retries answered 200 (stored by an attempt whose answer was lost, or a concurrent one)': tally.get('200'),
      'answers while down': during.answers,
      'slowest answer while down (ms)': Math.round(during.maxMs),
      'recovery: first acknowledgement after PostgreSQL is up (s)': firstAckAfterRestart ? round((firstAckAfterRestart - outage.to) / 1000) : 'never',
      'recovery: /readyz 200 after PostgreSQL is up (s)': readyAt ? round((readyAt - outage.to) / 1000) : 'never',
      'converged after (s)': round(convergedAfter / 1000),
      'server restarts': alive ? 0 : 'the server died',
    };
    ctx.log(`outage: answers ${JSON.stringify(tally.toJSON())}`);
    return {
      id: this.id,
      title: this.title,
      figures,
      checks: [
        check('every acknowledged prediction is stored (lost = 0)', lost.length === 0, lost.slice(0, 5).join(', ')),
        check('no prediction is stored twice (duplicates = 0)', duplicates === 0 && stored.keys === storedSet.size),
        check('the clients converge: every prediction sent is acknowledged', notAcknowledged.length === 0, `${notAcknowledged.length} not acknowledged`),
        check('stored = sent: nothing stored that was not sent', storedSet.size === sent.size),
        check('no answer other than 2xx, 503 or a refused connection', unexpected.length === 0, unexpected.slice(0, 3).join(' | ')),
        check('503 answers while the database is down', tally.get('503') > 0 && during.non503 === 0, `${during.non503} answers other than 503 while down`),
        check('answers while down come within 10 s (no hanging)', during.maxMs < 10_000, `${Math.round(during.maxMs)} ms`),
        check('recovers without a restart (same process, ready again)', alive && readyAt !== undefined && firstAckAfterRestart !== undefined),
      ],
    };
  },
};

const round = (x: number) => Math.round(x * 100) / 100;
