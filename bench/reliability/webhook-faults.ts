import type { ServerHandle } from '../lib/children.js';
import { onCleanup } from '../lib/cleanup.js';
import { freePort } from '../lib/net.js';
import { post, sleep } from './lib/client.js';
import { type Hit, type Mode, RETRY_AFTER_S, listen, startReceiver } from './lib/fault-receiver.js';
import { type Scenario, check, predictionBody, registerModel, withClient } from './lib/harness.js';

/**
 * The training webhook's and the subscriptions' receiver failure modes (the retraining issue's delivery tests)
 * re-run under load: MODELS_PER_MODE models per failure mode, each with a training webhook and a promotion
 * subscription pointing at a receiver that fails in that way on the first attempt of every message (410 Gone
 * on every attempt), then answers 2xx. Every model triggers a retrain request and promotes a version at once,
 * spread over PROCESSES Hindsight processes that deliver from the same outbox, with the production retry
 * schedule (immediately, 5 s, 5 min, … ±20 %) and the 15 s attempt timeout: every message must reach the
 * healthy receiver exactly once (by webhook-id), every failed attempt be retried on the schedule (Retry-After
 * honoured), none be lost, and 410 disable the endpoint after one attempt.
 */

const PROCESSES = 3;
const MODELS_PER_MODE = Number(process.env.RELIABILITY_WEBHOOK_MODELS ?? 12);
/** Fewer of the modes that hold a delivery slot for the whole 15 s timeout. */
const SLOW_MODELS = Math.max(2, Math.round(MODELS_PER_MODE / 2));
/** The production attempt timeout (src/webhooks/worker.ts). */
const TIMEOUT_MS = 15_000;
const FIRST_RETRY_MS = 5_000;
const JITTER = 0.2;
const CONVERGE_MS = 150_000;

interface ModeSpec {
  mode: Mode;
  models: number;
  /** Attempts until the message settles: 1 (answered 2xx, or 410 at once) or 2 (one failure, then 2xx). */
  attempts: 1 | 2;
  /** What the first attempt's log entry must say. */
  firstError: RegExp | null;
  /** The smallest delay before the second attempt, from the end of the first. */
  minRetryMs?: number;
}

const MODES: ModeSpec[] = [
  { mode: 'ok', models: MODELS_PER_MODE, attempts: 1, firstError: null },
  { mode: 'timeout', models: SLOW_MODELS, attempts: 2, firstError: new RegExp(`^timed out after ${TIMEOUT_MS} ms$`) },
  { mode: '5xx', models: MODELS_PER_MODE, attempts: 2, firstError: /^HTTP 50[023]/ },
  { mode: 'retry-after', models: MODELS_PER_MODE, attempts: 2, firstError: /^HTTP 503/, minRetryMs: RETRY_AFTER_S * 1000 },
  { mode: '4xx', models: MODELS_PER_MODE, attempts: 2, firstError: /^HTTP 4(00|04|22)/ },
  { mode: 'reset', models: MODELS_PER_MODE, attempts: 2, firstError: /reset|socket hang up/i },
  { mode: 'refused', models: MODELS_PER_MODE, attempts: 2, firstError: /connection refused/ },
  { mode: 'slow-body', models: SLOW_MODELS, attempts: 2, firstError: /^HTTP 500/ },
  { mode: 'slow-ok', models: SLOW_MODELS, attempts: 1, firstError: null },
  { mode: 'redirect', models: MODELS_PER_MODE, attempts: 2, firstError: /redirect to .*not followed/ },
  { mode: 'gone', models: MODELS_PER_MODE, attempts: 1, firstError: /^HTTP 410/ },
];


async function expectStatus(promise: ReturnType<typeof post>, statuses: number[], what: string) {
  const answer = await promise;
  if (answer.status === null || !statuses.includes(answer.status)) throw new Error(`${what}: ${answer.status ?? answer.error} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer.body as Record<string, unknown>;
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

export const webhookFaults: Scenario = {
  id: 'webhooks',
  title: 'Webhook receivers failing in every documented way, many deliveries at once, three processes on one outbox',
  async run(ctx) {
    const databaseUrl = await ctx.cluster.createDatabase('hindsight_rel_webhooks');
    const secrets = new Map<string, string>();
    const receiver = startReceiver(secrets);
    onCleanup('close the webhook receivers', () => receiver.close());
    const port = await listen(receiver.server);
    const refusedPort = await freePort();
    const base = `http://127.0.0.1:${port}`;

    const servers: ServerHandle[] = [];
    for (let i = 1; i <= PROCESSES; i++) {
      servers.push(
        await ctx.startHindsight(`webhooks-${i}`, databaseUrl, {
          HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true',
          HINDSIGHT_REPLICA_ID: `webhooks-${i}`,
          // Only the outbox: no learning job catches up during the run.
          DAILY_JOB_CRON: '0 0 0 1 1 *',
          WEEKLY_JOB_CRON: '0 0 0 1 1 *',
        }),
      );
    }
    const server = (i: number) => servers[i % servers.length]!.url;

    // Setup: models, labeled predictions (a retrain request freezes a dataset), webhooks, subscriptions, candidates.
    const models = MODES.flatMap((spec) => Array.from({ length: spec.models }, (_, i) => ({ spec, name: `wh-${spec.mode}-${i}` })));
    const setupStarted = Date.now();
    await pool(models, 8, async ({ spec, name }, i) => {
      const url = server(i);
      await registerModel(url, ctx.adminKey, name);
      const at = new Date(Date.now() - 3_600_000).toISOString();
      await expectStatus(post(`${url}/v1/predictions/batch`, ctx.adminKey, { items: Array.from({ length: 5 }, (_, j) => predictionBody(name, `${name}-p${j}`, at, j % 2 ? 'LAL' : 'BOS')) }), [200, 201], `seed ${name}`);
      const receiverBase = spec.mode === 'refused' ? `http://127.0.0.1:${refusedPort}` : base;
      const hook = await putJson(`${url}/v1/models/${name}/webhook`, ctx.adminKey, { url: `${receiverBase}/hook/${spec.mode}/${name}/retrain` });
      secrets.set(`${name}/retrain`, String(hook.secret));
      const sub = await expectStatus(post(`${url}/v1/models/${name}/subscriptions`, ctx.adminKey, { url: `${receiverBase}/hook/${spec.mode}/${name}/promotion`, events: ['model.version.promoted'] }), [201], `subscription ${name}`);
      secrets.set(`${name}/promotion`, String(sub.secret));
      await expectStatus(post(`${url}/v1/models/${name}/versions`, ctx.adminKey, { name: 'v2' }), [201], `version ${name}`);
    });
    ctx.log(`webhooks: ${models.length} models set up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s; triggering ${models.length} retrain requests and ${models.length} promotions at once`);

    // The burst: every model triggers a retrain request and promotes v2, through the three processes.
    const burstStarted = Date.now();
    await pool(
      models.flatMap((m, i) => [
        { m, i, kind: 'retrain' as const },
        { m, i, kind: 'promote' as const },
      ]),
      48,
      async ({ m, i, kind }) => {
        const url = server(i + (kind === 'promote' ? 1 : 0));
        if (kind === 'retrain') await expectStatus(post(`${url}/v1/models/${m.name}/retrain-requests`, ctx.adminKey, { reason: `reliability: receiver fault ${m.spec.mode}` }), [200, 202], `trigger ${m.name}`);
        else await expectStatus(post(`${url}/v1/models/${m.name}/versions/v2/promote`, ctx.adminKey, { reason: 'reliability' }), [200], `promote ${m.name}`);
      },
    );
    const burstSeconds = (Date.now() - burstStarted) / 1000;

    // The refused receiver starts listening once every message to it was refused once.
    const refusedModels = models.filter((m) => m.spec.mode === 'refused').length;
    const deadline = Date.now() + CONVERGE_MS;
    let refusedListening = false;
    let pending = Number.POSITIVE_INFINITY;
    let expectedMessages = 0;
    while (Date.now() < deadline) {
      const state = await withClient(databaseUrl, async (sql) => {
        const { rows } = await sql.query<{ pending: number; total: number; refused_once: number }>(
          `SELECT count(*) FILTER (WHERE m.status = 'pending')::int AS pending, count(*)::int AS total,
             count(*) FILTER (WHERE e.url LIKE $1 AND m.attempt_count >= 1 AND EXISTS (SELECT 1 FROM webhook_attempts a WHERE a.message_id = m.id))::int AS refused_once
           FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id`,
          [`http://127.0.0.1:${refusedPort}/%`],
        );
        return rows[0]!;
      });
      pending = state.pending;
      expectedMessages = state.total;
      if (!refusedListening && state.refused_once >= 2 * refusedModels) {
        await listen(receiver.refused, refusedPort);
        refusedListening = true;
        ctx.log(`webhooks: the refused receiver listens now (${((Date.now() - burstStarted) / 1000).toFixed(1)} s after the burst)`);
      }
      if (state.total === 2 * models.length && state.pending === 0) break;
      await sleep(250);
    }
    const settledSeconds = (Date.now() - burstStarted) / 1000;
    ctx.log(`webhooks: outbox settled ${settledSeconds.toFixed(1)} s after the burst (${pending} pending)`);

    // What each process counted (before stopping them).
    const metricTotals = new Map<string, number>();
    for (const s of servers) {
      const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${ctx.adminKey}` } })).text();
      for (const line of text.split('\n')) {
        const match = /^hindsight_webhook_deliveries_total\{event="([^"]+)",result="([^"]+)"\} (\d+)/.exec(line);
        if (match) metricTotals.set(match[2]!, (metricTotals.get(match[2]!) ?? 0) + Number(match[3]));
      }
    }
    // A slow body still dripping finishes on its own; nothing is being delivered any more.
    await Promise.all(servers.map((s) => s.stop()));

    const db = await withClient(databaseUrl, async (sql) => {
      const messages = await sql.query<{ id: string; event_type: string; status: string; attempt_count: number; url: string; endpoint_status: string; request_status: string | null; created_at: Date; completed_at: Date | null }>(
        `SELECT m.id, m.event_type, m.status, m.attempt_count, e.url, e.status AS endpoint_status, r.status AS request_status, m.created_at, m.completed_at
         FROM webhook_messages m JOIN webhook_endpoints e ON e.id = m.endpoint_id LEFT JOIN retrain_requests r ON r.id = m.retrain_request_id`,
      );
      const attempts = await sql.query<{ message_id: string; attempt: number; started_at: Date; duration_ms: number | null; status_code: number | null; error: string | null }>(
        `SELECT message_id, attempt, started_at, duration_ms, status_code, error FROM webhook_attempts ORDER BY message_id, attempt, id`,
      );
      const runs = await sql.query<{ replica_id: string; runs: number; attempted: number }>(
        `SELECT replica_id, count(*)::int AS runs, COALESCE(sum((result->>'attempted')::int), 0)::int AS attempted FROM job_runs WHERE job = 'webhook-delivery' GROUP BY 1 ORDER BY 1`,
      );
      const alerts = await sql.query<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM alerts GROUP BY 1`);
      return { messages: messages.rows, attempts: attempts.rows, runs: runs.rows, alerts: new Map(alerts.rows.map((r) => [r.type, r.n])) };
    });

    const attemptsOf = new Map<string, typeof db.attempts>();
    for (const a of db.attempts) attemptsOf.set(a.message_id, [...(attemptsOf.get(a.message_id) ?? []), a]);
    const hitsOf = new Map<string, Hit[]>();
    for (const h of receiver.hits) hitsOf.set(h.id, [...(hitsOf.get(h.id) ?? []), h]);
    const modeOf = (url: string) => MODES.find((m) => m.mode === new URL(url).pathname.split('/')[2])!;

    const wrong: string[] = [];
    const note = (message: string) => wrong.length < 50 && wrong.push(message);
    let delivered = 0;
    let deliveredTwice = 0;
    let lost = 0;
    let disabled = 0;
    let scheduleViolations = 0;
    let sentTwice = 0;
    let bodyChanged = 0;
    const retryGaps: number[] = [];
    const retryAfterGaps: number[] = [];
    const latencies: number[] = [];
    const byMode = new Map<Mode, { messages: number; delivered: number; attempts: number }>();
    for (const m of db.messages) {
      const spec = modeOf(m.url);
      const attempts = attemptsOf.get(m.id) ?? [];
      const hits = hitsOf.get(m.id) ?? [];
      const ok = hits.filter((h) => h.answer.startsWith('2'));
      const tally = byMode.get(spec.mode) ?? { messages: 0, delivered: 0, attempts: 0 };
      tally.messages++;
      tally.attempts += attempts.length;
      byMode.set(spec.mode, tally);
      if (ok.length > 1) deliveredTwice++;
      if (new Set(hits.map((h) => h.body)).size > 1) bodyChanged++;
      // Every attempt is one request at the receiver, except those refused before reaching it.
      const reached = attempts.filter((a) => !/connection refused/.test(a.error ?? '')).length;
      if (hits.length !== reached) {
        sentTwice++;
        note(`${m.id} (${spec.mode}): ${hits.length} requests received, ${reached} attempts logged`);
      }
      if (spec.mode === 'gone') {
        if (m.status === 'failed' && m.endpoint_status === 'disabled' && hits.length === 1 && (m.request_status ?? 'failed') === 'failed') disabled++;
        else note(`${m.id} (gone): ${m.status}, endpoint ${m.endpoint_status}, ${hits.length} requests`);
        continue;
      }
      if (m.status === 'succeeded' && ok.length === 1) {
        delivered++;
        tally.delivered++;
        if (m.completed_at) latencies.push(m.completed_at.getTime() - m.created_at.getTime());
      } else if (ok.length === 0) {
        lost++;
        note(`${m.id} (${spec.mode}): ${m.status} after ${attempts.length} attempts, never delivered`);
      }
      if (m.request_status !== null && m.request_status !== 'delivered') note(`${m.id} (${spec.mode}): retrain request ${m.request_status}`);
      if (attempts.length !== spec.attempts) {
        scheduleViolations++;
        note(`${m.id} (${spec.mode}): ${attempts.length} attempts, expected ${spec.attempts}: ${attempts.map((a) => a.error ?? a.status_code).join(' | ')}`);
      }
      const first = attempts[0];
      if (first && spec.firstError && !spec.firstError.test(first.error ?? '')) note(`${m.id} (${spec.mode}): first attempt logged "${first.error}"`);
      if (first && !spec.firstError && first.error) note(`${m.id} (${spec.mode}): first attempt failed: ${first.error}`);
      const second = attempts[1];
      if (first && second) {
        const gap = second.started_at.getTime() - (first.started_at.getTime() + (first.duration_ms ?? 0));
        const min = spec.minRetryMs ?? FIRST_RETRY_MS * (1 - JITTER);
        (spec.minRetryMs ? retryAfterGaps : retryGaps).push(gap);
        // started_at and duration are rounded to the millisecond, the delay counts from the recorded end.
        if (gap < min - 50) {
          scheduleViolations++;
          note(`${m.id} (${spec.mode}): retried ${gap} ms after the failure, the schedule says at least ${min} ms`);
        }
      }
    }
    const followed = receiver.hits.filter((h) => h.path.startsWith('/followed')).length;
    const badSignatures = receiver.hits.filter((h) => !h.signatureOk).length;
    const unknownIds = receiver.hits.filter((h) => !attemptsOf.has(h.id)).length;
    const goneMessages = db.messages.filter((m) => modeOf(m.url).mode === 'gone').length;
    const totalAttempts = db.attempts.length;
    const metricSum = [...metricTotals.values()].reduce((a, b) => a + b, 0);
    const retrainMessages = db.messages.filter((m) => m.event_type === 'retrain.requested').length;
    const promotionMessages = db.messages.filter((m) => m.event_type === 'model.version.promoted').length;
    const stats = (xs: number[]) => (xs.length ? `${(Math.min(...xs) / 1000).toFixed(2)} / ${(median(xs) / 1000).toFixed(2)} / ${(Math.max(...xs) / 1000).toFixed(2)}` : '–');

    const figures: Record<string, number | string> = {
      'Hindsight processes on one outbox': PROCESSES,
      models: models.length,
      'messages (retrain.requested + model.version.promoted)': `${db.messages.length} (${retrainMessages} + ${promotionMessages})`,
      'failure modes': MODES.map((m) => `${m.mode} × ${m.models}`).join(', '),
      'burst: triggers and promotions sent in (s)': round(burstSeconds),
      'attempts logged': totalAttempts,
      'requests at the receivers': receiver.hits.length,
      'delivered (2xx once, by webhook-id)': delivered,
      'delivered twice (duplicates)': deliveredTwice,
      'lost (never delivered)': lost,
      'an attempt sent twice': sentTwice,
      'disabled by 410 Gone after one attempt': `${disabled} of ${goneMessages}`,
      'redirects followed': followed,
      'bad signatures': badSignatures,
      'first retry after a failure, min / median / max (s)': stats(retryGaps),
      'retry after "Retry-After: 8", min / median / max (s)': stats(retryAfterGaps),
      'delivery latency, created → delivered, median / max (s)': latencies.length ? `${(median(latencies) / 1000).toFixed(2)} / ${(Math.max(...latencies) / 1000).toFixed(2)}` : '–',
      'outbox settled after the burst (s)': round(settledSeconds),
      'webhook-delivery job runs by replica (runs, attempts)': db.runs.map((r) => `${r.replica_id}: ${r.runs}, ${r.attempted}`).join('; '),
      'hindsight_webhook_deliveries_total (3 processes)': [...metricTotals].sort().map(([k, v]) => `${k} ${v}`).join(', '),
      'alerts raised (webhook.disabled, retrain.delivery_failed)': `${db.alerts.get('webhook.disabled') ?? 0}, ${db.alerts.get('retrain.delivery_failed') ?? 0}`,
    };
    for (const [mode, t] of byMode) figures[`mode ${mode}: messages, delivered, attempts`] = `${t.messages}, ${t.delivered}, ${t.attempts}`;

    return {
      id: this.id,
      title: this.title,
      figures,
      checks: [
        check('every message of the burst is in the outbox (one per retrain request, one per promotion)', db.messages.length === 2 * models.length && expectedMessages === 2 * models.length, `${db.messages.length} of ${2 * models.length}`),
        check('the outbox settles within the bound: nothing pending', pending === 0, `${pending} pending`),
        check('every message to a recovering receiver is delivered exactly once (lost = 0, duplicates = 0)', delivered === db.messages.length - goneMessages && deliveredTwice === 0 && lost === 0, `${delivered} delivered, ${deliveredTwice} twice, ${lost} lost`),
        check('no attempt is sent twice by concurrent processes (requests received = attempts logged)', sentTwice === 0 && unknownIds === 0),
        check('each failure is logged as what it was and retried once, on the schedule (≥ 4 s; ≥ 8 s with Retry-After: 8)', scheduleViolations === 0 && wrong.length === 0, wrong.slice(0, 5).join(' | ')),
        check('410 Gone disables the endpoint after one attempt and fails its message', disabled === goneMessages),
        check('redirects are never followed', followed === 0),
        check('every request is signed (Standard Webhooks), with the same id and body on every attempt', badSignatures === 0 && bodyChanged === 0),
        check('the metrics count every attempt (sum of hindsight_webhook_deliveries_total = attempts logged)', metricSum === totalAttempts, `${metricSum} counted, ${totalAttempts} logged`),
      ],
    };
  },
};

async function putJson(url: string, key: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201 && response.status !== 200) throw new Error(`PUT ${url}: ${response.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const round = (x: number) => Math.round(x * 100) / 100;
