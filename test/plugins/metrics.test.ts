import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HindsightMetrics } from '../../src/plugins/metrics-registry.js';
import { countDeliveries } from '../../src/plugins/metrics-wiring.js';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { seedBinary, startReceiver } from '../helpers/retraining.js';

/** GET /metrics: who may read it, and that each family reports what happened, with bounded labels. */
const TOKEN = 'metrics-token-0123456789abcdef';
let t: TestContext;

beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN: TOKEN, HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true' });
  await createModel(t.app, binaryModel('nba'), 'v1');
  await createModel(t.app, binaryModel('quiet'), 'v1');
});
afterAll(() => t.close());

async function scrape(): Promise<string> {
  const r = await call(t.app, 'GET', '/metrics', undefined, TOKEN);
  expect(r.statusCode, r.body).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return r.body;
}

/** The value of one sample, by metric name and exact label set (as Prometheus prints it). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').match(/\w+="(?:[^"\\]|\\.)*"/g)?.sort() ?? [];
    if (have.length === want.length && have.every((h, i) => h === want[i])) return Number(match[3]);
  }
  return undefined;
}

const key = async (body: Record<string, unknown>) => {
  const r = await call(t.app, 'POST', '/v1/api-keys', body);
  expect(r.statusCode, r.body).toBe(201);
  return r.json().key as string;
};

describe('who may read /metrics', () => {
  it('refuses a request without credentials (401), an ingest-only key and a model-limited key (403)', async () => {
    const none = problem(await call(t.app, 'GET', '/metrics', undefined, null), 401);
    expect(none.detail).toMatch(/METRICS_TOKEN/);
    problem(await call(t.app, 'GET', '/metrics', undefined, await key({ name: 'ingest', scopes: ['ingest'] })), 403);
    const limited = problem(await call(t.app, 'GET', '/metrics', undefined, await key({ name: 'limited', scopes: ['read'], models: ['nba'] })), 403);
    expect(limited.detail).toMatch(/limited to some models/);
    problem(await call(t.app, 'GET', '/metrics', undefined, `${TOKEN}x`), 401);
  });

  it('answers METRICS_TOKEN and any unrestricted read (or admin) key', async () => {
    expect((await call(t.app, 'GET', '/metrics', undefined, TOKEN)).statusCode).toBe(200);
    expect((await call(t.app, 'GET', '/metrics', undefined, await key({ name: 'reader', scopes: ['read'] }))).statusCode).toBe(200);
    expect((await call(t.app, 'GET', '/metrics')).statusCode).toBe(200);
  });

  it('is not in the OpenAPI description', async () => {
    const spec = (await call(t.app, 'GET', '/openapi.json', undefined, null)).json();
    expect(Object.keys(spec.paths)).not.toContain('/metrics');
  });
});

describe('what /metrics reports', () => {
  it('counts requests by route pattern and status, never by raw URL', async () => {
    for (const name of ['nba', 'quiet', 'no-such-model']) await call(t.app, 'GET', `/v1/models/${name}`);
    await call(t.app, 'GET', '/v1/nothing/here/123');
    const text = await scrape();
    expect(sample(text, 'hindsight_http_request_duration_seconds_count', { method: 'GET', route: '/v1/models/:model', status_code: '200' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'hindsight_http_request_duration_seconds_count', { method: 'GET', route: '/v1/models/:model', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'hindsight_http_request_duration_seconds_count', { method: 'GET', route: '(unmatched)', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('/v1/models/quiet');
    expect(text).not.toContain('/v1/nothing/here');
  });

  it('reports request latency as a Prometheus histogram: cumulative buckets, +Inf equal to the count, a sum', async () => {
    const metrics = new HindsightMetrics();
    for (const seconds of [0.001, 0.004, 0.004, 0.2, 45]) metrics.observeRequest('POST', '/v1/predictions', 201, seconds);
    metrics.observeRequest('GET', undefined, 404, 0.003);
    const text = await metrics.text();
    expect(text).toContain('# TYPE hindsight_http_request_duration_seconds histogram');
    const labels = { method: 'POST', route: '/v1/predictions', status_code: '201' };
    const bucket = (le: string) => sample(text, 'hindsight_http_request_duration_seconds_bucket', { ...labels, le });
    expect([bucket('0.002'), bucket('0.005'), bucket('0.1'), bucket('0.25'), bucket('30'), bucket('+Inf')]).toEqual([1, 3, 3, 4, 4, 5]);
    expect(sample(text, 'hindsight_http_request_duration_seconds_count', labels)).toBe(5);
    expect(sample(text, 'hindsight_http_request_duration_seconds_sum', labels)).toBeCloseTo(45.209, 9);
    expect(sample(text, 'hindsight_http_request_duration_seconds_count', { method: 'GET', route: '(unmatched)', status_code: '404' })).toBe(1);
  });

  it('counts predictions and outcomes by model and result, and batch sizes', async () => {
    const before = await scrape();
    const count = (text: string, family: string, model: string, result: string) => sample(text, family, { model, result }) ?? 0;
    const p = { model: 'nba', features: { x: 1 }, prediction: 'LAL', confidence: 0.7 };
    expect((await call(t.app, 'POST', '/v1/predictions', { ...p, externalId: 'm-1' })).statusCode).toBe(201);
    expect((await call(t.app, 'POST', '/v1/predictions', { ...p, externalId: 'm-1' })).statusCode).toBe(200);
    const batch = await call(t.app, 'POST', '/v1/predictions/batch', {
      items: [{ ...p, externalId: 'm-2' }, { ...p, externalId: 'm-3' }, { ...p, externalId: 'm-1' }, { ...p, confidence: 7 }, { ...p, model: 'ghost-1' }, { ...p, model: 'ghost-2' }],
    });
    expect(batch.json()).toMatchObject({ created: 2, duplicates: 1, failed: 3 });
    expect((await call(t.app, 'POST', '/v1/outcomes', { model: 'nba', externalId: 'm-2', actual: 'BOS' })).statusCode).toBe(201);
    await call(t.app, 'POST', '/v1/outcomes/batch', { items: [{ model: 'nba', externalId: 'm-2', actual: 'BOS' }, { model: 'nba', externalId: 'never', actual: 'BOS' }] });

    const after = await scrape();
    const delta = (family: string, model: string, result: string) => count(after, family, model, result) - count(before, family, model, result);
    expect(delta('hindsight_predictions_ingested_total', 'nba', 'created')).toBe(3);
    expect(delta('hindsight_predictions_ingested_total', 'nba', 'duplicate')).toBe(2);
    expect(delta('hindsight_predictions_ingested_total', 'nba', 'failed')).toBe(1);
    // Unknown models are never a label value: they are counted as (unknown).
    expect(delta('hindsight_predictions_ingested_total', '(unknown)', 'failed')).toBe(2);
    expect(after).not.toContain('ghost');
    expect(delta('hindsight_outcomes_ingested_total', 'nba', 'created')).toBe(1);
    expect(delta('hindsight_outcomes_ingested_total', 'nba', 'duplicate')).toBe(1);
    expect(delta('hindsight_outcomes_ingested_total', 'nba', 'failed')).toBe(1);
    const batches = (text: string, kind: string) => sample(text, 'hindsight_ingest_batch_items_count', { kind }) ?? 0;
    expect(batches(after, 'prediction') - batches(before, 'prediction')).toBe(1);
    expect(batches(after, 'outcome') - batches(before, 'outcome')).toBe(1);
    expect(sample(after, 'hindsight_ingest_batch_items_bucket', { kind: 'prediction', le: '10' })).toBeGreaterThanOrEqual(1);
  });

  it('reports the database pool on every scrape', async () => {
    const text = await scrape();
    expect(sample(text, 'hindsight_db_pool_max_connections')).toBe(20);
    expect(sample(text, 'hindsight_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'hindsight_db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'hindsight_db_pool_waiting_requests')).toBe(0);
    expect(sample(text, 'hindsight_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('publishes a model’s latest metrics over standard windows only', async () => {
    await seedBinary(t.app, 'quiet', { n: 40, correct: 30, prefix: 'perf' });
    expect((await call(t.app, 'GET', '/v1/models/quiet/performance?window=7d')).statusCode).toBe(200);
    // Other windows and filtered views do not replace the published figure.
    expect((await call(t.app, 'GET', '/v1/models/quiet/performance?last=4')).statusCode).toBe(200);
    expect((await call(t.app, 'GET', '/v1/models/quiet/performance?window=3d')).statusCode).toBe(200);
    const text = await scrape();
    expect(sample(text, 'hindsight_model_metric', { model: 'quiet', window: '7d', metric: 'accuracy' })).toBeCloseTo(0.75, 10);
    expect(sample(text, 'hindsight_model_metric_samples', { model: 'quiet', window: '7d' })).toBe(40);
    expect(sample(text, 'hindsight_model_metric_timestamp_seconds', { model: 'quiet', window: '7d' })).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(text).not.toMatch(/window="(3d|last)/);
  });

  it('reads the newest stored drift report of each model on scrape', async () => {
    const { rows } = await t.sql.query<{ id: string }>(`SELECT id FROM models WHERE name = 'nba'`);
    const insert = (severity: string, rank: number, drifted: number, at: string) =>
      t.sql.query(
        `INSERT INTO drift_reports (model_id, trigger, severity, severity_rank, reference_kind, current_from, current_to, drifted_features, tested_features, summary, report, created_at)
         VALUES ($1, 'schedule', $2, $3, 'window', now() - interval '1 day', now(), $4, 10, '{}', '{}', $5)`,
        [rows[0]!.id, severity, rank, drifted, at],
      );
    await insert('low', 1, 1, '2024-01-01T00:00:00Z');
    await insert('high', 3, 6, '2024-01-02T00:00:00Z');
    const text = await scrape();
    expect(sample(text, 'hindsight_model_drift_severity', { model: 'nba' })).toBe(3);
    expect(sample(text, 'hindsight_model_drifted_features', { model: 'nba' })).toBe(6);
    expect(sample(text, 'hindsight_model_drift_report_timestamp_seconds', { model: 'nba' })).toBe(Date.parse('2024-01-02T00:00:00Z') / 1000);
    expect(sample(text, 'hindsight_model_drift_severity', { model: 'quiet' })).toBeUndefined();
  });
});

describe('what the daily job measured, read from the database on scrape', () => {
  it('reports the newest performance snapshot of each model: its metrics, samples and time', async () => {
    const { rows } = await t.sql.query<{ id: string }>(`SELECT id FROM models WHERE name = 'quiet'`);
    const insert = (at: string, accuracy: number, samples: number) =>
      t.sql.query(
        `INSERT INTO performance_snapshots (model_id, taken_at, "window", window_from, window_to, sample_count, metric, value, metrics)
         VALUES ($1, $2, '14d', $2::timestamptz - interval '14 days', $2, $3, 'accuracy', $4, $5)`,
        [rows[0]!.id, at, samples, accuracy, JSON.stringify({ accuracy, f1: accuracy - 0.1, confusionMatrix: { labels: ['a'], counts: [[1]] }, rocAuc: null })],
      );
    await insert('2024-03-01T03:15:00Z', 0.91, 800);
    await insert('2024-03-02T03:15:00Z', 0.62, 750);
    const text = await scrape();
    expect(sample(text, 'hindsight_model_daily_metric', { model: 'quiet', window: '14d', metric: 'accuracy' })).toBe(0.62);
    expect(sample(text, 'hindsight_model_daily_metric', { model: 'quiet', window: '14d', metric: 'f1' })).toBeCloseTo(0.52, 10);
    // Only numbers become samples: no null metric, no matrix.
    expect(sample(text, 'hindsight_model_daily_metric', { model: 'quiet', window: '14d', metric: 'rocAuc' })).toBeUndefined();
    expect(text).not.toMatch(/hindsight_model_daily_metric\{[^}]*confusion/);
    expect(sample(text, 'hindsight_model_daily_metric_samples', { model: 'quiet', window: '14d' })).toBe(750);
    expect(sample(text, 'hindsight_model_daily_metric_timestamp_seconds', { model: 'quiet' })).toBe(Date.parse('2024-03-02T03:15:00Z') / 1000);
    expect(sample(text, 'hindsight_model_daily_metric_samples', { model: 'nba', window: '14d' })).toBeUndefined();
  });
});

describe('what the jobs and the webhook outbox report through the app', () => {
  it('counts a job run started through the API by job and status, with its duration', async () => {
    const run = await call(t.app, 'POST', '/v1/jobs/webhook-delivery/runs?wait=true');
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json().status).toBe('succeeded');
    const text = await scrape();
    expect(sample(text, 'hindsight_job_runs_total', { job: 'webhook-delivery', status: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'hindsight_job_run_duration_seconds_count', { job: 'webhook-delivery', status: 'succeeded' })).toBeGreaterThanOrEqual(1);
  });

  it('counts the delivery attempts of the outbox by event and result', async () => {
    const receiver = await startReceiver();
    try {
      await seedBinary(t.app, 'nba', { n: 10, correct: 6, prefix: 'hook' });
      expect((await call(t.app, 'PUT', '/v1/models/nba/webhook', { url: receiver.url })).statusCode).toBe(201);
      let calls = 0;
      receiver.respond(() => (++calls === 1 ? { status: 500 } : { status: 200 }));
      const before = await scrape();
      const requested = await call(t.app, 'POST', '/v1/models/nba/retrain-requests', { reason: 'metrics test' });
      expect(requested.statusCode, requested.body).toBe(202);
      // The first attempt fails (500) and is due again after the schedule's 5 s: make it due now.
      await t.app.services.delivery.runOnce();
      await t.sql.query(`UPDATE webhook_messages SET next_attempt_at = now() WHERE status = 'pending'`);
      await t.app.services.delivery.runOnce();
      expect(receiver.received).toHaveLength(2);
      const after = await scrape();
      const delta = (result: string) =>
        (sample(after, 'hindsight_webhook_deliveries_total', { event: 'retrain.requested', result }) ?? 0) - (sample(before, 'hindsight_webhook_deliveries_total', { event: 'retrain.requested', result }) ?? 0);
      expect(delta('retry')).toBe(1);
      expect(delta('succeeded')).toBe(1);
      expect(sample(after, 'hindsight_webhook_delivery_duration_seconds_count', { event: 'retrain.requested' })).toBeGreaterThanOrEqual(2);
    } finally {
      await receiver.close();
    }
  });
});

describe('the metrics API for other parts of the service', () => {
  it('counts job runs by job and status, with their duration', async () => {
    const metrics = new HindsightMetrics();
    metrics.jobRun('daily-learning', 'succeeded', 12.5);
    metrics.jobRun('daily-learning', 'failed', 0.5);
    metrics.jobRun('daily-learning', 'succeeded', 3);
    const text = await metrics.text();
    expect(sample(text, 'hindsight_job_runs_total', { job: 'daily-learning', status: 'succeeded' })).toBe(2);
    expect(sample(text, 'hindsight_job_runs_total', { job: 'daily-learning', status: 'failed' })).toBe(1);
    expect(sample(text, 'hindsight_job_run_duration_seconds_sum', { job: 'daily-learning', status: 'succeeded' })).toBe(15.5);
  });

  it('counts webhook attempts by event and result, 410 as disabled, and still hands them on', async () => {
    const metrics = new HindsightMetrics();
    const handed: string[] = [];
    const onFinished = countDeliveries(async (_m, o) => void handed.push(o.next.kind), metrics);
    const message = { id: 'm', eventType: 'retrain.requested', body: '{}', attempt: 1, retrainRequestId: null, modelId: 'x', endpoint: null };
    const outcome = (next: Record<string, unknown>) => ({ messageId: 'm', attempt: 1, url: 'https://x', startedAt: new Date(), statusCode: 200, durationMs: 250, error: null, next }) as never;
    const finished = { recorded: true, failedRequests: [], endpointDisabled: false };
    await onFinished(message, outcome({ kind: 'retry', delayMs: 5 }), finished);
    await onFinished(message, outcome({ kind: 'succeeded' }), finished);
    await onFinished(message, outcome({ kind: 'failed', reason: 'gone', disableEndpoint: 'gone' }), finished);
    const text = await metrics.text();
    for (const result of ['retry', 'succeeded', 'disabled']) expect(sample(text, 'hindsight_webhook_deliveries_total', { event: 'retrain.requested', result })).toBe(1);
    expect(sample(text, 'hindsight_webhook_delivery_duration_seconds_sum', { event: 'retrain.requested' })).toBe(0.75);
    expect(handed).toEqual(['retry', 'succeeded', 'failed']);
  });
});
