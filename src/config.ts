import { isIP } from 'node:net';
import { hostname } from 'node:os';
import cron from 'node-cron';
import { hostOf, refusedRange } from './webhooks/ssrf.js';

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
  /**
   * Allow plain http and private, loopback or link-local webhook targets (local development and tests only).
   * Defaults to true in embedded development mode (DATABASE_URL unset), false otherwise; an explicit value wins.
   */
  webhookAllowPrivate: boolean;
  /** True when webhookAllowPrivate is true only because of the embedded-mode default (server.ts logs it). */
  webhookAllowPrivateByDefault: boolean;
  /** How often the webhook delivery worker looks for due messages when idle. */
  webhookPollIntervalMs: number;
  /** 32 bytes, base64: webhook secrets are stored encrypted (AES-256-GCM) with it; unset, they are stored as they are. */
  secretsKey: string | undefined;
  /** Requests per minute per API key on the ingestion routes (a batch counts once); 0: unlimited. */
  rateLimitIngestPerMinute: number;
  /** Requests per minute per API key on every other authenticated route; 0: unlimited. */
  rateLimitPerMinute: number;
  /** Bound on receiving a whole request (headers and body) from a client: slow senders are cut off. */
  requestTimeoutMs: number;
  /** Bound on a socket's inactivity, a running request included: larger than the query timeout. */
  connectionTimeoutMs: number;
  /** How long an idle keep-alive connection stays open: longer than a load balancer's idle timeout. */
  keepAliveTimeoutMs: number;
  /** A bearer token for the Prometheus scraper at /metrics (an API key with the read scope works too). */
  metricsToken: string | undefined;
  /** Scheduled learning (DESIGN §6): cron expressions (seconds allowed) in `timezone`. */
  dailyJobCron: string;
  weeklyJobCron: string;
  webhookDeliveryCron: string;
  /** IANA time zone of the cron schedules (TZ). */
  timezone: string;
  /** Whether this process runs the scheduler (every replica may: the ledger keeps runs to one per slot). */
  schedulerEnabled: boolean;
  /** A running job whose heartbeat is older than this is marked failed (its process died). */
  jobLeaseMs: number;
  jobRunRetentionMs: number;
  /** Written on every job run this process starts. */
  replicaId: string;
  /** The alert notification webhook (Slack-compatible, signed); unset: no notifications. */
  alertWebhookUrl: string | undefined;
  alertWebhookSecret: string | undefined;
  alertWebhookMinSeverity: 'info' | 'warning' | 'critical';
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

  // Embedded development mode runs everything on this machine (the demo's trainer listens on 127.0.0.1):
  // there, webhooks to loopback and private addresses are allowed unless HINDSIGHT_WEBHOOK_ALLOW_PRIVATE says otherwise.
  const allowPrivateSet = read('HINDSIGHT_WEBHOOK_ALLOW_PRIVATE');
  const allowPrivate = (allowPrivateSet ?? (databaseUrl === undefined ? 'true' : 'false')).toLowerCase();
  if (!['true', 'false', '1', '0'].includes(allowPrivate)) problems.push('HINDSIGHT_WEBHOOK_ALLOW_PRIVATE must be true or false');
  const secretsKey = read('HINDSIGHT_SECRETS_KEY');
  if (secretsKey !== undefined && (!/^[A-Za-z0-9+/]+={0,2}$/.test(secretsKey) || Buffer.from(secretsKey, 'base64').length !== 32)) {
    problems.push('HINDSIGHT_SECRETS_KEY must be 32 bytes in base64 (e.g. the output of `openssl rand -base64 32`)');
  }

  const metricsToken = read('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 24) problems.push('METRICS_TOKEN must be at least 24 characters long');
  const databaseQueryTimeoutMs = integer('DATABASE_QUERY_TIMEOUT_MS', 60_000, 100, 3_600_000);
  const connectionTimeoutMs = integer('CONNECTION_TIMEOUT_MS', databaseQueryTimeoutMs + 60_000, 0, 7_200_000);
  if (connectionTimeoutMs !== 0 && connectionTimeoutMs <= databaseQueryTimeoutMs) {
    problems.push(`CONNECTION_TIMEOUT_MS (${connectionTimeoutMs}) must be 0 or larger than DATABASE_QUERY_TIMEOUT_MS (${databaseQueryTimeoutMs}): a socket waiting on a query would be cut`);
  }

  const cronOf = (name: string, fallback: string) => {
    const value = read(name) ?? fallback;
    if (!cron.validate(value)) problems.push(`${name} must be a cron expression (5 fields, or 6 with seconds first), got "${value}"`);
    return value;
  };
  const timezone = read('TZ') ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    problems.push(`TZ must be an IANA time zone such as UTC or Europe/Paris, got "${timezone}"`);
  }
  const scheduler = (read('SCHEDULER_ENABLED') ?? 'true').toLowerCase();
  if (!['true', 'false', '1', '0'].includes(scheduler)) problems.push('SCHEDULER_ENABLED must be true or false');
  const alertWebhookUrl = read('ALERT_WEBHOOK_URL');
  if (alertWebhookUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(alertWebhookUrl)) problems.push('ALERT_WEBHOOK_URL must be an http(s) URL');
  // Sent through the same SSRF rules as every webhook: plain http only where private targets are allowed.
  else if (alertWebhookUrl?.startsWith('http://') && !(allowPrivate === 'true' || allowPrivate === '1')) {
    problems.push('ALERT_WEBHOOK_URL must be an https URL (plain http only with HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true)');
  } else if (alertWebhookUrl !== undefined) {
    // An IP literal (in any spelling the URL parser normalises: 2130706433, 0x7f.1, [::ffff:127.0.0.1]) is
    // checked here, at start-up; a name is checked when each notification is sent, at connection time.
    const refused = refusedLiteral(alertWebhookUrl, allowPrivate === 'true' || allowPrivate === '1');
    if (refused) problems.push(`ALERT_WEBHOOK_URL must not point at ${refused} (webhook targets must be public; HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true allows private ones)`);
  }
  const alertWebhookSecret = read('ALERT_WEBHOOK_SECRET');
  if (alertWebhookSecret !== undefined) {
    const key = alertWebhookSecret.startsWith('whsec_') ? Buffer.from(alertWebhookSecret.slice(6), 'base64') : null;
    if (!key || key.length < 24 || key.length > 64) problems.push('ALERT_WEBHOOK_SECRET must be whsec_ followed by 24 to 64 bytes in base64 (e.g. whsec_$(openssl rand -base64 32))');
  }
  const alertWebhookMinSeverity = (read('ALERT_WEBHOOK_MIN_SEVERITY') ?? 'info') as Config['alertWebhookMinSeverity'];
  if (!['info', 'warning', 'critical'].includes(alertWebhookMinSeverity)) problems.push('ALERT_WEBHOOK_MIN_SEVERITY must be info, warning or critical');

  const config: Config = {
    databaseUrl,
    host,
    port,
    adminKey,
    logLevel,
    publicUrl,
    databasePoolSize: integer('DATABASE_POOL_SIZE', 20, 1, 500),
    databaseQueryTimeoutMs,
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    embeddedDataDir: read('EMBEDDED_PG_DATA_DIR') ?? '.data/postgres',
    embeddedPort: integer('EMBEDDED_PG_PORT', 54329, 1, 65535),
    webhookAllowPrivate: allowPrivate === 'true' || allowPrivate === '1',
    webhookAllowPrivateByDefault: allowPrivateSet === undefined && databaseUrl === undefined,
    webhookPollIntervalMs: integer('HINDSIGHT_WEBHOOK_POLL_INTERVAL_MS', 1_000, 50, 3_600_000),
    secretsKey,
    rateLimitIngestPerMinute: integer('RATE_LIMIT_INGEST_PER_MINUTE', 600_000, 0, 1_000_000_000),
    rateLimitPerMinute: integer('RATE_LIMIT_PER_MINUTE', 6_000, 0, 1_000_000_000),
    requestTimeoutMs: integer('REQUEST_TIMEOUT_MS', 60_000, 0, 3_600_000),
    connectionTimeoutMs,
    keepAliveTimeoutMs: integer('KEEP_ALIVE_TIMEOUT_MS', 72_000, 1_000, 3_600_000),
    metricsToken,
    dailyJobCron: cronOf('DAILY_JOB_CRON', '0 15 3 * * *'),
    weeklyJobCron: cronOf('WEEKLY_JOB_CRON', '0 45 3 * * 1'),
    webhookDeliveryCron: cronOf('WEBHOOK_DELIVERY_CRON', '*/5 * * * * *'),
    timezone,
    schedulerEnabled: scheduler === 'true' || scheduler === '1',
    jobLeaseMs: integer('JOB_LEASE_SECONDS', 120, 2, 86_400) * 1000,
    jobRunRetentionMs: integer('JOB_RUN_RETENTION_DAYS', 90, 1, 3650) * 86_400_000,
    replicaId: read('HINDSIGHT_REPLICA_ID') ?? `${hostname()}:${process.pid}`,
    alertWebhookUrl,
    alertWebhookSecret,
    alertWebhookMinSeverity,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** `a.b.c.d, a loopback address` when the URL's host is an IP literal that webhooks may not target. */
function refusedLiteral(raw: string, allowPrivate: boolean): string | null {
  let host: string;
  try {
    host = hostOf(new URL(raw));
  } catch {
    return null;
  }
  if (!isIP(host)) return null;
  const range = refusedRange(host, allowPrivate);
  return range ? `${host}, a ${range} address` : null;
}
