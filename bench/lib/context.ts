import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startServer, type ServerHandle } from './children.js';
import type { BenchDatabase } from './database.js';
import { freePort } from './net.js';
import type { BenchOptions } from './options.js';
import { Workload, type BenchModel } from './workload.js';

/** The plain table the raw baselines write to: `predictions`' columns, defaults and indexes, unpartitioned. */
export const PLAIN_TABLE = 'bench_plain_predictions';
const PLAIN_KEYS_TABLE = 'bench_plain_prediction_keys';

/**
 * What every bench section gets: options, the shared database, and lazily started shared resources
 * (the Hindsight server, the baseline server, a registered model, a workload of realistic bodies).
 */
export class BenchContext {
  readonly adminKey = `bench-admin-${randomBytes(16).toString('hex')}`;
  private hindsightServer?: Promise<ServerHandle>;
  private baselineServer?: Promise<ServerHandle>;
  private benchModel?: Promise<BenchModel>;
  private plainTable?: Promise<string>;
  private plainKeysTable?: Promise<string>;
  private servers = 0;

  constructor(
    readonly options: BenchOptions,
    readonly runId: string,
    readonly db: BenchDatabase,
    /** Temporary directory of the run (server logs, profiles). */
    readonly workdir: string,
    readonly signal: AbortSignal,
    readonly log: (message: string) => void,
  ) {}

  /**
   * Hindsight's real entry point (migrations, partitions ahead, listen) in a child process, as production runs
   * it: the build in dist/ (`npm run bench` builds first), not through tsx, whose transform adds a helper call
   * to every closure created (~6 µs per ingestion request in a profile).
   */
  async startHindsight(name = 'hindsight', nodeArgs: string[] = []): Promise<ServerHandle> {
    const port = await freePort();
    const server = await startServer({
      name,
      script: 'dist/server.js',
      port,
      nodeArgs,
      logFile: path.join(this.workdir, `${name}-${++this.servers}.log`),
      readyPath: '/readyz',
      env: {
        DATABASE_URL: this.db.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        HINDSIGHT_ADMIN_KEY: this.adminKey,
        LOG_LEVEL: this.options.logLevel,
        DATABASE_POOL_SIZE: String(this.options.poolSize),
        NODE_ENV: 'production',
        // No scheduled job in the measurement: on a fresh database the daily job would catch up on its missed slot.
        SCHEDULER_ENABLED: 'false',
      },
    });
    this.log(`${name} listening on ${server.url} (pid ${server.pid})`);
    return server;
  }

  hindsight(): Promise<ServerHandle> {
    return (this.hindsightServer ??= this.startHindsight());
  }

  /** The shared baseline server (see startBaseline). */
  baseline(): Promise<ServerHandle> {
    return (this.baselineServer ??= this.startBaseline());
  }

  /** bench/servers/baseline.ts in a child process: a minimal Fastify route doing one pg insert into the plain table. */
  async startBaseline(name = 'baseline', nodeArgs: string[] = []): Promise<ServerHandle> {
    const [model, table, port] = await Promise.all([this.model(), this.plain(), freePort()]);
    const server = await startServer({
      name,
      script: 'bench/servers/baseline.ts',
      port,
      nodeArgs,
      logFile: path.join(this.workdir, `${name}-${++this.servers}.log`),
      readyPath: '/healthz',
      env: {
        DATABASE_URL: this.db.url,
        PORT: String(port),
        LOG_LEVEL: this.options.logLevel,
        DATABASE_POOL_SIZE: String(this.options.poolSize),
        BASELINE_TABLE: table,
        BASELINE_MODEL_ID: model.id,
        BASELINE_VERSION_ID: model.versionId,
        BASELINE_POSITIVE_LABEL: model.positiveLabel,
        NODE_ENV: 'production',
      },
    });
    this.log(`${name} listening on ${server.url} (pid ${server.pid})`);
    return server;
  }

  /** A binary model with a production version, registered through Hindsight's API as a client would. */
  model(): Promise<BenchModel> {
    return (this.benchModel ??= (async () => {
      const server = await this.hindsight();
      const name = `bench-${this.runId}`;
      const headers = { authorization: `Bearer ${this.adminKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/v1/models`, { method: 'POST', headers, body: JSON.stringify({ name, task: 'binary', labels: ['no', 'yes'] }) });
      if (created.status !== 201) throw new Error(`POST /v1/models answered ${created.status}: ${await created.text()}`);
      const spec = (await created.json()) as { positiveLabel: string };
      const version = await fetch(`${server.url}/v1/models/${name}/versions`, { method: 'POST', headers, body: JSON.stringify({ name: 'v1', status: 'production' }) });
      if (version.status !== 201) throw new Error(`POST /v1/models/${name}/versions answered ${version.status}: ${await version.text()}`);
      const { rows } = await this.db.pool.query<{ id: string; production_version_id: string }>('SELECT id, production_version_id FROM models WHERE name = $1', [name]);
      const row = rows[0];
      if (!row?.production_version_id) throw new Error(`model ${name} has no production version after POST …/versions`);
      return { name, id: row.id, versionId: row.production_version_id, labels: ['no', 'yes'], positiveLabel: spec.positiveLabel };
    })());
  }

  async workload(seed = 42): Promise<Workload> {
    return new Workload(await this.model(), this.runId, seed);
  }

  /** The raw batch baseline's key table: `prediction_keys`' columns and unique indexes, as one plain table. */
  plainKeys(): Promise<string> {
    return (this.plainKeysTable ??= (async () => {
      await this.db.pool.query(`CREATE TABLE ${PLAIN_KEYS_TABLE} (LIKE prediction_keys INCLUDING DEFAULTS INCLUDING INDEXES)`);
      return PLAIN_KEYS_TABLE;
    })());
  }

  /** The raw baselines' table: `predictions`' columns, defaults and indexes, as one plain table. */
  plain(): Promise<string> {
    return (this.plainTable ??= (async () => {
      await this.db.pool.query(`CREATE TABLE ${PLAIN_TABLE} (LIKE predictions INCLUDING DEFAULTS INCLUDING INDEXES)`);
      return PLAIN_TABLE;
    })());
  }

  /**
   * Between measured halves: flush dirty buffers (CHECKPOINT) so that one side does not pay for the writes
   * of the other. Skipped when disabled or not permitted.
   */
  async settle(): Promise<void> {
    if (this.options.checkpoint && this.db.canCheckpoint) await this.db.pool.query('CHECKPOINT');
  }

  /** Throws when the run was interrupted (Ctrl-C or the time limit). */
  checkAborted(): void {
    if (this.signal.aborted) throw new Error(`aborted: ${String(this.signal.reason ?? 'interrupted')}`);
  }
}
