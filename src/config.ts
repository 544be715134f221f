/**
 * Configuration, parsed and validated once from the environment and frozen. Every variable is listed in
 * the README's configuration table.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** PostgreSQL connection string; when absent the service starts an embedded PostgreSQL. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  adminKey: string | undefined;
  logLevel: LogLevel;
  /** Base URL under which clients (and trainers, for callbacks) reach this service. */
  publicUrl: string;
  databasePoolSize: number;
  /** Client-side bound on one query, so that requests fail (503) instead of hanging on an unresponsive database. */
  databaseQueryTimeoutMs: number;
  bodyLimitBytes: number;
  embeddedDataDir: string;
  embeddedPort: number;
  /** Allow plain http and private, loopback or link-local webhook targets (local development and tests only). */
  webhookAllowPrivate: boolean;
  /** How often the webhook delivery worker looks for due messages when idle. */
  webhookPollIntervalMs: number;
  /** 32 bytes, base64: webhook secrets are stored encrypted (AES-256-GCM) with it; unset, they are stored as they are. */
  secretsKey: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const problems: string[] = [];
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };

  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgresql:// connection string');
  }
  const host = read('HOST') ?? '127.0.0.1';
  const port = integer('PORT', 3000, 0, 65535);
  const adminKey = read('HINDSIGHT_ADMIN_KEY');
  if (adminKey !== undefined && adminKey.length < 24) {
    problems.push('HINDSIGHT_ADMIN_KEY must be at least 24 characters long');
  }
  const logLevel = (read('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = (read('PUBLIC_URL') ?? `http://${displayHost}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(publicUrl)) problems.push('PUBLIC_URL must be an http(s) URL');

  const allowPrivate = (read('HINDSIGHT_WEBHOOK_ALLOW_PRIVATE') ?? 'false').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(allowPrivate)) problems.push('HINDSIGHT_WEBHOOK_ALLOW_PRIVATE must be true or false');
  const secretsKey = read('HINDSIGHT_SECRETS_KEY');
  if (secretsKey !== undefined && (!/^[A-Za-z0-9+/]+={0,2}$/.test(secretsKey) || Buffer.from(secretsKey, 'base64').length !== 32)) {
    problems.push('HINDSIGHT_SECRETS_KEY must be 32 bytes in base64 (e.g. the output of `openssl rand -base64 32`)');
  }

  const config: Config = {
    databaseUrl,
    host,
    port,
    adminKey,
    logLevel,
    publicUrl,
    databasePoolSize: integer('DATABASE_POOL_SIZE', 20, 1, 500),
    databaseQueryTimeoutMs: integer('DATABASE_QUERY_TIMEOUT_MS', 60_000, 100, 3_600_000),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    embeddedDataDir: read('EMBEDDED_PG_DATA_DIR') ?? '.data/postgres',
    embeddedPort: integer('EMBEDDED_PG_PORT', 54329, 1, 65535),
    webhookAllowPrivate: allowPrivate === 'true' || allowPrivate === '1',
    webhookPollIntervalMs: integer('HINDSIGHT_WEBHOOK_POLL_INTERVAL_MS', 1_000, 50, 3_600_000),
    secretsKey,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
