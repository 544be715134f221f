/**
 * Benchmark settings, read once from the environment. Defaults keep a full run within ~3–4 minutes;
 * BENCH_QUICK=1 is a ~30 s smoke run whose figures are only indicative.
 */
export interface BenchOptions {
  quick: boolean;
  /** Only these section ids (BENCH_SECTIONS=single,batch); all when empty. */
  sections: string[];
  /** A/B rounds per section; the median of the rounds is reported. */
  rounds: number;
  /** Concurrent HTTP connections of the single-prediction load (autocannon). */
  connections: number;
  /** Seconds per measured half-round of single-prediction ingestion. */
  singleSeconds: number;
  /** Seconds of unrecorded warm-up per server before the first round. */
  warmupSeconds: number;
  /** Items per batch request (and rows per raw unnest insert). */
  batchSize: number;
  /** Concurrent batch requests / raw inserts in flight. */
  batchConcurrency: number;
  /** Seconds per measured half-round of batch ingestion. */
  batchSeconds: number;
  /** pg pool size of both servers (Hindsight's DATABASE_POOL_SIZE and the baseline's pool). */
  poolSize: number;
  /** LOG_LEVEL of both servers. */
  logLevel: string;
  /** Issue CHECKPOINT before every measured half so dirty buffers of one side are not flushed on the other's time. */
  checkpoint: boolean;
  /** After the measured rounds, re-run each section's Hindsight workload once under `node --cpu-prof` and summarise it. */
  profile: boolean;
  /** Exit with status 1 when a target is missed. */
  strict: boolean;
  /** Hard limit for the whole run; the harness aborts (and cleans up) beyond it. */
  maxSeconds: number;
  /** Where latest.json (and profiles) are written. */
  resultsDir: string;
}

export function readOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = flag(env.BENCH_QUICK);
  const int = (name: string, full: number, smoke: number, min = 1) => {
    const raw = env[name]?.trim();
    if (!raw) return quick ? smoke : full;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`);
    return value;
  };
  return {
    quick,
    sections: (env.BENCH_SECTIONS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    rounds: int('BENCH_ROUNDS', 5, 2),
    connections: int('BENCH_CONNECTIONS', 32, 32),
    singleSeconds: int('BENCH_SINGLE_SECONDS', 10, 3),
    warmupSeconds: int('BENCH_WARMUP_SECONDS', 3, 1, 0),
    batchSize: int('BENCH_BATCH_SIZE', 1000, 1000),
    batchConcurrency: int('BENCH_BATCH_CONCURRENCY', 4, 4),
    batchSeconds: int('BENCH_BATCH_SECONDS', 6, 2),
    poolSize: int('BENCH_POOL_SIZE', 20, 20),
    logLevel: env.BENCH_LOG_LEVEL?.trim() || 'warn',
    checkpoint: env.BENCH_CHECKPOINT === undefined ? true : flag(env.BENCH_CHECKPOINT),
    profile: flag(env.BENCH_PROFILE),
    strict: flag(env.BENCH_STRICT),
    maxSeconds: int('BENCH_MAX_SECONDS', 420, 150),
    resultsDir: env.BENCH_RESULTS_DIR?.trim() || new URL('../results/', import.meta.url).pathname,
  };
}

function flag(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());
}
