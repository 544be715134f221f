import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { startServer, type ServerHandle } from '../../lib/children.js';
import { freePort } from '../../lib/net.js';
import type { Cluster } from './cluster.js';
import { post } from './client.js';

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  seconds: number;
  /** The figures reported in docs/reliability.md. */
  figures: Record<string, number | string>;
  checks: Check[];
  passed: boolean;
}

export interface ReliabilityContext {
  cluster: Cluster;
  workdir: string;
  log(message: string): void;
  adminKey: string;
  /** The real entry point (src/server.ts) in a child process on loopback, ready (GET /readyz = 200). */
  startHindsight(name: string, databaseUrl: string, env?: Record<string, string>): Promise<ServerHandle>;
}

export interface Scenario {
  id: string;
  title: string;
  run(ctx: ReliabilityContext): Promise<Omit<ScenarioResult, 'passed' | 'seconds'>>;
}

export function createContext(cluster: Cluster, workdir: string, log: (message: string) => void): ReliabilityContext {
  const adminKey = `reliability-admin-${randomBytes(16).toString('hex')}`;
  let servers = 0;
  return {
    cluster,
    workdir,
    log,
    adminKey,
    async startHindsight(name, databaseUrl, env = {}) {
      const port = await freePort();
      const server = await startServer({
        name,
        script: 'src/server.ts',
        port,
        logFile: path.join(workdir, `${name}-${++servers}.log`),
        readyPath: '/readyz',
        env: { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: String(port), HINDSIGHT_ADMIN_KEY: adminKey, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env },
      });
      log(`${name}: ${server.url} (pid ${server.pid})`);
      return server;
    },
  };
}

/** Registers a binary model with a production version through the API. */
export async function registerModel(base: string, key: string, name: string): Promise<void> {
  for (const [url, body] of [
    ['/v1/models', { name, task: 'binary', labels: ['BOS', 'LAL'], positiveLabel: 'LAL' }],
    [`/v1/models/${name}/versions`, { name: 'v1', status: 'production' }],
  ] as const) {
    const answer = await post(base + url, key, body);
    if (answer.status !== 201) throw new Error(`POST ${url}: ${answer.status ?? answer.error} ${JSON.stringify(answer.body)}`);
  }
}

/** A prediction body that is the same every time it is built for this id (retries must be identical). */
export function predictionBody(model: string, id: string, predictedAt: string, actual?: 'BOS' | 'LAL') {
  let hash = 0;
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) | 0;
  const n = Math.abs(hash);
  return {
    model,
    id,
    externalId: `ext-${id}`,
    features: { homeElo: 1400 + (n % 400), restDays: n % 4, venue: ['TD Garden', 'Crypto.com Arena', 'MSG'][n % 3], backToBack: n % 2 === 0 },
    prediction: n % 2 === 0 ? 'LAL' : 'BOS',
    confidence: 0.5 + (n % 50) / 100,
    predictedAt,
    ...(actual ? { actual } : {}),
  };
}

export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export const check = (name: string, ok: boolean, detail?: string): Check => ({ name, ok, ...(detail !== undefined ? { detail } : {}) });

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
