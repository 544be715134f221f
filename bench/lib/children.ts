import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { onCleanup } from './cleanup.js';
import { sleep } from './net.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GUARD = pathToFileURL(path.join(REPO_ROOT, 'bench/servers/guard.mjs')).href;

export interface ServerHandle {
  name: string;
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  logFile: string;
  /** SIGTERM, wait for a graceful exit (up to 20 s), then SIGKILL. Idempotent. */
  stop(): Promise<void>;
  /** The last lines the server wrote (stdout and stderr), for error messages. */
  logTail(lines?: number): string;
}

export interface SpawnOptions {
  name: string;
  /** Script run by node, relative to the repository root: TypeScript through the tsx loader, JavaScript as it is. */
  script: string;
  port: number;
  env: Record<string, string>;
  logFile: string;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Readiness probe: GET this path until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
}

/**
 * Starts a server as a child process (`node [--import tsx] <script>`, no intermediate CLI process, so the pid
 * is the server), logs to a file, waits until it answers its readiness probe, and registers its shutdown.
 */
export async function startServer(options: SpawnOptions): Promise<ServerHandle> {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    const loader = options.script.endsWith('.ts') ? ['--import', 'tsx'] : [];
    child = spawn(process.execPath, [...loader, '--import', GUARD, ...(options.nodeArgs ?? []), options.script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', fd, fd, 'ipc'],
    });
  } finally {
    closeSync(fd);
  }
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  child.on('error', () => {});
  // The IPC channel only exists to tell the child when we are gone; never keep our event loop alive for it.
  child.unref();
  child.channel?.unref();

  const url = `http://127.0.0.1:${options.port}`;
  const logTail = (lines = 30) => {
    try {
      return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (exitInfo !== undefined) return;
      child.kill('SIGTERM');
      const graceful = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]);
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
      }
    })());
  onCleanup(`stop ${options.name} (pid ${child.pid})`, stop, () => {
    if (exitInfo === undefined) child.kill('SIGTERM');
  });

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exitInfo !== undefined) throw new Error(`${options.name} exited during start-up (${exitInfo}):\n${logTail()}`);
    try {
      const response = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} was not ready within ${(options.readyTimeoutMs ?? 60_000) / 1000} s:\n${logTail()}`);
    }
    await sleep(100);
  }
  return { name: options.name, url, pid: child.pid!, logFile: options.logFile, stop, logTail };
}
