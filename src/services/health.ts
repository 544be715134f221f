import type pg from 'pg';
import { pendingMigrations } from '../db/migrate.js';

export class HealthService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly migrations: string[],
  ) {}

  async readiness(): Promise<{ database: 'reachable' | 'unreachable'; pendingMigrations: string[]; error?: string }> {
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      return { database: 'unreachable', pendingMigrations: [], error: (error as Error).message };
    }
    return { database: 'reachable', pendingMigrations: await pendingMigrations(this.pool, this.migrations) };
  }
}
