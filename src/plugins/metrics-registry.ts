import client from 'prom-client';

/**
 * Hindsight's Prometheus instruments and the small API the rest of the service reports through. Nothing
 * here imports Fastify or the database: the plugin (src/plugins/metrics.ts) feeds the HTTP metrics and serves
 * the text, the composition root wires the listeners (ingestion, webhook deliveries, performance), and the
 * scheduler calls `jobRun`. Every label is bounded: routes are patterns, models are registered models
 * (anything else is `(unknown)`), results and statuses are small fixed sets.
 */

export type IngestKind = 'prediction' | 'outcome';
export type IngestResult = 'created' | 'duplicate' | 'failed';
export type DeliveryResult = 'succeeded' | 'retry' | 'failed' | 'disabled';

/** Per-model drift state, read on scrape from the newest stored drift report of each model. */
export interface DriftSnapshot {
  model: string;
  severityRank: number;
  driftedFeatures: number;
  testedFeatures: number;
  createdAt: Date;
}

/** Per-model performance, read on scrape from the newest daily-learning snapshot of each model (performance_snapshots). */
export interface PerformanceSnapshot {
  model: string;
  window: string;
  sampleCount: number;
  metrics: Record<string, unknown> | null;
  takenAt: Date;
}

export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** The metrics a `GET …/performance` may publish as gauges (numbers of the overall measurement). */
const MODEL_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss', 'brier', 'ece', 'macroF1', 'mae', 'rmse', 'r2', 'mape', 'meanError'] as const;
/** Windows whose results are published: fixed, so that the `window` label stays bounded. */
export const PUBLISHED_WINDOWS = new Set(['24h', '7d', '30d']);

const UNKNOWN_MODEL = '(unknown)';
const UNMATCHED_ROUTE = '(unmatched)';
/** Bound on a scrape-time database read. */
const DRIFT_SCRAPE_TIMEOUT_MS = 2_000;

/**
 * `hindsight_http_request_duration_seconds`, aggregated here and exposed through the registry like any
 * histogram: prom-client's Histogram converts, validates and hashes the labels on every observation, even on
 * a child (~8 µs per request, 2 % of single-prediction ingestion's CPU in a profile); here it is one Map
 * lookup and a scan of 13 bounds.
 */
class RequestDurations {
  readonly name = 'hindsight_http_request_duration_seconds';
  readonly help = 'HTTP requests by method, route pattern and status code: latency, and (its _count) the request rate';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Record<string, string>; counts: Float64Array; sum: number; count: number }>();

  constructor(private readonly bounds: readonly number[]) {}

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let series = this.series.get(key);
    if (!series) {
      series = { labels: { method, route, status_code: String(statusCode) }, counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    for (let i = 0; i < this.bounds.length; i++) {
      if (seconds <= this.bounds[i]!) {
        series.counts[i]!++;
        break;
      }
    }
    series.sum += seconds;
    series.count++;
  }

  /** What prom-client's registry reads on a scrape: cumulative buckets, sum and count per series. */
  get() {
    const values: { metricName: string; labels: Record<string, string>; value: number }[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: String(bound) }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

export class HindsightMetrics {
  readonly registry = new client.Registry();
  private readonly httpDuration = new RequestDurations([0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]);
  private readonly ingested: Record<IngestKind, client.Counter<'model' | 'result'>>;
  private readonly batchSize: client.Histogram<'kind'>;
  private readonly deliveries: client.Counter<'event' | 'result'>;
  private readonly deliveryDuration: client.Histogram<'event'>;
  private readonly jobRuns: client.Counter<'job' | 'status'>;
  private readonly jobDuration: client.Histogram<'job' | 'status'>;
  private readonly modelMetric: client.Gauge<'model' | 'window' | 'metric'>;
  private readonly modelSamples: client.Gauge<'model' | 'window'>;
  private readonly modelComputedAt: client.Gauge<'model' | 'window'>;
  private readonly collectErrors: client.Counter<'collector'>;
  /** Model names seen in successful writes: the only values the `model` label takes. */
  private readonly knownModels = new Set<string>();

  constructor(sources: { pool?: () => PoolStats; poolMax?: number; drift?: () => Promise<DriftSnapshot[]>; snapshots?: () => Promise<PerformanceSnapshot[]> } = {}) {
    const registers = [this.registry];
    this.registry.registerMetric(this.httpDuration as unknown as client.Metric);
    this.ingested = {
      prediction: new client.Counter({ name: 'hindsight_predictions_ingested_total', help: 'Predictions received, by model and result (created, duplicate = an idempotent retry, failed)', labelNames: ['model', 'result'], registers }),
      outcome: new client.Counter({ name: 'hindsight_outcomes_ingested_total', help: 'Outcomes received, by model and result (created, duplicate = an idempotent retry, failed)', labelNames: ['model', 'result'], registers }),
    };
    this.batchSize = new client.Histogram({
      name: 'hindsight_ingest_batch_items',
      help: 'Items per batch request (POST /v1/predictions/batch, /v1/outcomes/batch)',
      labelNames: ['kind'],
      buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000],
      registers,
    });
    this.deliveries = new client.Counter({
      name: 'hindsight_webhook_deliveries_total',
      help: 'Webhook delivery attempts by event type and result: succeeded, retry (will be retried), failed (given up), disabled (410 Gone)',
      labelNames: ['event', 'result'],
      registers,
    });
    this.deliveryDuration = new client.Histogram({
      name: 'hindsight_webhook_delivery_duration_seconds',
      help: 'Duration of webhook delivery attempts, by event type',
      labelNames: ['event'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers,
    });
    this.jobRuns = new client.Counter({ name: 'hindsight_job_runs_total', help: 'Scheduled or manual job runs by job and final status', labelNames: ['job', 'status'], registers });
    this.jobDuration = new client.Histogram({
      name: 'hindsight_job_run_duration_seconds',
      help: 'Duration of job runs by job and final status',
      labelNames: ['job', 'status'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600],
      registers,
    });
    this.modelMetric = new client.Gauge({
      name: 'hindsight_model_metric',
      help: 'The latest computed performance metric of a model over a standard window (24h, 7d, 30d), all versions and sources, as computed on this replica',
      labelNames: ['model', 'window', 'metric'],
      registers,
    });
    this.modelSamples = new client.Gauge({ name: 'hindsight_model_metric_samples', help: 'Labeled predictions behind hindsight_model_metric', labelNames: ['model', 'window'], registers });
    this.modelComputedAt = new client.Gauge({ name: 'hindsight_model_metric_timestamp_seconds', help: 'When hindsight_model_metric was computed (Unix time)', labelNames: ['model', 'window'], registers });
    this.collectErrors = new client.Counter({ name: 'hindsight_metrics_collect_errors_total', help: 'Scrape-time collections that failed (the previous values were kept)', labelNames: ['collector'], registers });

    const pool = sources.pool;
    if (pool) {
      const gauge = (name: string, help: string, read: (s: PoolStats) => number) =>
        new client.Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read(pool()));
          },
        });
      gauge('hindsight_db_pool_connections', 'Open connections of this process’s PostgreSQL pool (busy + idle)', (s) => s.totalCount);
      gauge('hindsight_db_pool_idle_connections', 'Idle connections of the pool', (s) => s.idleCount);
      gauge('hindsight_db_pool_waiting_requests', 'Queries waiting for a pool connection (sustained > 0: the pool is too small or the database too slow)', (s) => s.waitingCount);
      new client.Gauge({ name: 'hindsight_db_pool_max_connections', help: 'DATABASE_POOL_SIZE', registers }).set(sources.poolMax ?? 0);
    }

    const drift = sources.drift;
    if (drift) {
      const load = this.sharedLoad('drift', drift);
      const driftGauge = (name: string, help: string, read: (r: DriftSnapshot) => number) =>
        new client.Gauge({
          name,
          help,
          labelNames: ['model'],
          registers,
          async collect() {
            const rows = await load();
            if (!rows) return; // unreachable database: keep the previous values
            this.reset();
            for (const r of rows) this.set({ model: r.model }, read(r));
          },
        });
      driftGauge('hindsight_model_drift_severity', 'Severity of the newest stored drift report of each model: 0 none, 1 low, 2 medium, 3 high, 4 critical', (r) => r.severityRank);
      driftGauge('hindsight_model_drifted_features', 'Drifted features in the newest stored drift report of each model', (r) => r.driftedFeatures);
      driftGauge('hindsight_model_drift_report_timestamp_seconds', 'When the newest stored drift report of each model was created (Unix time)', (r) => r.createdAt.getTime() / 1000);
    }

    // What the daily job measured: the same on every replica (read from the database), unlike hindsight_model_metric.
    const snapshots = sources.snapshots;
    if (snapshots) {
      const load = this.sharedLoad('performance_snapshots', snapshots);
      const gauge = (name: string, help: string, labelNames: string[], fill: (g: client.Gauge<string>, r: PerformanceSnapshot) => void) =>
        new client.Gauge({
          name,
          help,
          labelNames,
          registers,
          async collect() {
            const rows = await load();
            if (!rows) return;
            this.reset();
            for (const r of rows) fill(this, r);
          },
        });
      gauge(
        'hindsight_model_daily_metric',
        'The production version’s metrics over the retrain policy’s window, as measured by the newest daily-learning run of each model (performance_snapshots)',
        ['model', 'window', 'metric'],
        (g, r) => {
          for (const metric of MODEL_METRICS) {
            const value = r.metrics?.[metric];
            if (typeof value === 'number' && Number.isFinite(value)) g.set({ model: r.model, window: r.window, metric }, value);
          }
        },
      );
      gauge('hindsight_model_daily_metric_samples', 'Labeled predictions behind hindsight_model_daily_metric', ['model', 'window'], (g, r) => g.set({ model: r.model, window: r.window }, r.sampleCount));
      gauge('hindsight_model_daily_metric_timestamp_seconds', 'When the daily-learning run measured hindsight_model_daily_metric (Unix time)', ['model'], (g, r) => g.set({ model: r.model }, r.takenAt.getTime() / 1000));
    }
  }

  /**
   * A database read shared by the gauges collected concurrently on one scrape (one query, one result), bounded
   * in time; null when it failed (the gauges keep their previous values, and the failure is counted).
   */
  private sharedLoad<T>(collector: string, read: () => Promise<T>): () => Promise<T | null> {
    const errors = this.collectErrors;
    let inFlight: Promise<T | null> | null = null;
    return () =>
      (inFlight ??= withTimeout(read(), DRIFT_SCRAPE_TIMEOUT_MS)
        .catch(() => {
          errors.inc({ collector });
          return null;
        })
        .finally(() => setImmediate(() => (inFlight = null))));
  }

  /** One finished HTTP request. `route` is the route pattern (undefined: no route matched). */
  observeRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.httpDuration.observe(method, route ?? UNMATCHED_ROUTE, statusCode, seconds);
  }

  /**
   * The items of one ingestion request and what became of each. Counted per (model, result) before touching
   * the counters, so that a batch of 10,000 costs a handful of increments.
   */
  ingestResults(kind: IngestKind, bodies: readonly unknown[], results: readonly { status: IngestResult }[], modelOf: (index: number) => string | undefined, batch: boolean): void {
    if (batch) this.batchSize.observe({ kind }, bodies.length);
    if (results.length === 1) {
      // A single write (the commonest request): no tally.
      const status = results[0]!.status;
      this.ingested[kind].inc({ model: this.modelLabel(modelOf(0), status), result: status });
      return;
    }
    const counts = new Map<string, number>();
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      if (!result) continue;
      const key = `${result.status}\u0000${this.modelLabel(modelOf(i), result.status)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) {
      const [result, model] = key.split('\u0000') as [string, string];
      this.ingested[kind].inc({ model, result }, n);
    }
  }

  /** A model named by a successful write becomes a label value; anything else is `(unknown)`. */
  private modelLabel(model: string | undefined, status: IngestResult): string {
    if (model === undefined) return UNKNOWN_MODEL;
    if (status !== 'failed') this.knownModels.add(model);
    return this.knownModels.has(model) ? model : UNKNOWN_MODEL;
  }

  /** A request whose ingestion failed as a whole (e.g. 503): every item failed. */
  ingestFailed(kind: IngestKind, bodies: readonly unknown[], modelOf: (index: number) => string | undefined, batch: boolean): void {
    this.ingestResults(kind, bodies, bodies.map(() => ({ status: 'failed' as const })), modelOf, batch);
  }

  webhookDelivery(event: string, result: DeliveryResult, seconds: number): void {
    this.deliveries.inc({ event, result });
    this.deliveryDuration.observe({ event }, seconds);
  }

  /**
   * One job run. The scheduler calls this when a run ends (status e.g. `succeeded`, `failed`, `skipped`),
   * with the run's duration in seconds.
   */
  jobRun(job: string, status: string, seconds: number): void {
    this.jobRuns.inc({ job, status });
    this.jobDuration.observe({ job, status }, seconds);
  }

  /** The overall metrics of a model over a standard window, as just computed (other windows are ignored). */
  modelPerformance(model: string, window: string, sampleCount: number, metrics: Record<string, unknown> | null, at = new Date()): void {
    if (!PUBLISHED_WINDOWS.has(window)) return;
    this.knownModels.add(model);
    this.modelSamples.set({ model, window }, sampleCount);
    this.modelComputedAt.set({ model, window }, at.getTime() / 1000);
    for (const metric of MODEL_METRICS) {
      const value = metrics?.[metric];
      if (typeof value === 'number' && Number.isFinite(value)) this.modelMetric.set({ model, window, metric }, value);
      else this.modelMetric.remove({ model, window, metric });
    }
  }

  async text(): Promise<string> {
    const own = await this.registry.metrics();
    return own + (await processMetrics().metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

let processRegistry: client.Registry | undefined;

/**
 * Process metrics (CPU, memory, event-loop lag, GC, handles) are process-wide: collected once per process,
 * whatever the number of apps built in it (tests build many), and appended to each app's output.
 */
function processMetrics(): client.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry, prefix: 'hindsight_' });
  }
  return processRegistry;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
