import type pg from 'pg';
import { pendingMigrations } from '../db/migrate.js';

/** How long /readyz waits for the database to answer before calling it unreachable. */
const READINESS_TIMEOUT_MS = 3_000;

export class HealthService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly migrations: string[],
    private readonly timeoutMs = READINESS_TIMEOUT_MS,
  ) {}

  async readiness(): Promise<{ database: 'reachable' | 'unreachable'; pendingMigrations: string[]; error?: string }> {
    try {
      await this.ping();
    } catch (error) {
      return { database: 'unreachable', pendingMigrations: [], error: (error as Error).message };
    }
    return { database: 'reachable', pendingMigrations: await pendingMigrations(this.pool, this.migrations) };
  }

  /**
   * `SELECT 1` on a pooled connection, bounded in time. A server that accepts connections but does not answer
   * (frozen, or a network partition without resets) would otherwise hang the probe forever; the connection
   * that did not answer is destroyed rather than returned to the pool.
   */
  private async ping(): Promise<void> {
    const client = await this.pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const query = client.query('SELECT 1');
    try {
      await Promise.race([
        query,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the database did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
      client.release();
    } catch (error) {
      query.catch(() => {});
      client.release(error instanceof Error ? error : true);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
