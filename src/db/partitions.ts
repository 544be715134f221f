import type pg from 'pg';

const monthKey = (d: Date) => d.getUTCFullYear() * 12 + d.getUTCMonth();

/**
 * Makes sure the monthly partitions of predictions and outcomes exist before rows are written to them.
 * Known months are remembered per process, so the hot path costs one Set lookup per distinct month.
 */
export class PartitionManager {
  private readonly known = new Set<number>();

  constructor(private readonly pool: pg.Pool) {}

  async ensure(instants: Iterable<Date>): Promise<void> {
    const missing = new Map<number, Date>();
    for (const instant of instants) {
      const key = monthKey(instant);
      if (!this.known.has(key) && !missing.has(key)) missing.set(key, instant);
    }
    if (missing.size === 0) return;
    await this.pool.query('SELECT hindsight_ensure_partitions($1::timestamptz[])', [[...missing.values()]]);
    for (const key of missing.keys()) this.known.add(key);
  }

  /** The current month and the next few, created ahead so that ingestion never waits for DDL. */
  async ensureAhead(now = new Date(), months = 3): Promise<void> {
    const instants = Array.from({ length: months + 1 }, (_, i) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)));
    await this.ensure(instants);
  }

  /** Called when an insert found no partition (e.g. one was dropped by retention): forget what we knew. */
  forget(): void {
    this.known.clear();
  }
}

/** PostgreSQL's "no partition of relation ... found for row". */
export const isMissingPartition = (error: unknown) =>
  (error as { code?: string }).code === '23514' && /no partition of relation/.test((error as Error).message);
