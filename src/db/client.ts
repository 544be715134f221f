import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';

export type { PrismaClient } from './generated/client.js';

export interface Database {
  /** Raw SQL for hot paths and aggregates (ingestion, metrics); shares its connections with Prisma. */
  pool: pg.Pool;
  prisma: PrismaClient;
  close(): Promise<void>;
}

export function createDatabase(url: string, options: { poolSize: number; queryTimeoutMs: number }, onPoolError: (error: Error) => void): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    query_timeout: options.queryTimeoutMs,
    // Fail fast while the database is down, so requests get a 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'hindsight',
    // Detect a peer that vanished without closing (network partition, host down) instead of waiting forever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle connection dropped by a restarting server must not crash the process; the pool reconnects.
  // pg attaches the whole Client (connection parameters, buffers, type tables) to these errors: log the error alone.
  pool.on('error', (error) => onPoolError(withoutClient(error)));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    pool,
    prisma,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

function withoutClient(error: Error): Error {
  if (!('client' in error)) return error;
  const { client: _client, ...rest } = error as Error & { client?: unknown };
  return Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, rest, { message: error.message, stack: error.stack });
}

/** Prisma's codes for "cannot reach / lost the database server" (P1xxx connection errors, P2024 pool timeout). */
const PRISMA_UNAVAILABLE = ['P1001', 'P1002', 'P1008', 'P1017', 'P2024'];
/** Kinds of Prisma driver-adapter errors that mean the same. */
const ADAPTER_UNAVAILABLE = ['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections'];

/** Errors meaning "the database is unreachable right now" (as opposed to a bad query). */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  const e = error as { code?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: { cause?: unknown } } } | null;
  if (!e || typeof e !== 'object' || depth > 5) return false;
  const code = typeof e.code === 'string' ? e.code : typeof e.originalCode === 'string' ? e.originalCode : '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  // Class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (PRISMA_UNAVAILABLE.includes(code)) return true;
  if (typeof e.kind === 'string' && ADAPTER_UNAVAILABLE.includes(e.kind)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    /Connection terminated|Query read timeout|terminating connection due to|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|Can't reach database server|Server has closed the connection|connection.*(closed|terminated)/i.test(
      message,
    )
  ) {
    return true;
  }
  // Through the pg adapter, Prisma reports a server error as a generic known-request error (e.g. P2039) whose
  // PostgreSQL error is in meta.driverAdapterError.cause: a query cut by a shutdown is 57P01 there.
  const adapterCause = e.meta?.driverAdapterError?.cause;
  if (adapterCause !== undefined && isDatabaseUnavailable(adapterCause, depth + 1)) return true;
  return e.cause !== undefined && e.cause !== error && isDatabaseUnavailable(e.cause, depth + 1);
}
