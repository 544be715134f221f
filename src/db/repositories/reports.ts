import type pg from 'pg';

export interface VersionEventRow {
  at: Date;
  action: 'promote' | 'rollback';
  version: string;
  fromVersion: string | null;
  reason: string | null;
}

/** What the learning report reads that no other repository offers: the promotions and rollbacks of a period. */
export class ReportsRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** The model's version events with created_at in [from, to), oldest first (at most `limit`, the newest kept). */
  async versionEvents(modelId: string, from: Date, to: Date, limit = 500): Promise<VersionEventRow[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM (
         SELECT e.id, e.created_at, e.action, v.name AS version, f.name AS from_version, e.reason
         FROM version_events e JOIN model_versions v ON v.id = e.version_id LEFT JOIN model_versions f ON f.id = e.from_version_id
         WHERE e.model_id = $1 AND e.created_at >= $2 AND e.created_at < $3
         ORDER BY e.created_at DESC, e.id DESC LIMIT $4
       ) newest ORDER BY created_at, id`,
      [modelId, from, to, limit],
    );
    return rows.map((r) => ({
      at: r.created_at as Date,
      action: r.action as VersionEventRow['action'],
      version: r.version as string,
      fromVersion: (r.from_version as string | null) ?? null,
      reason: (r.reason as string | null) ?? null,
    }));
  }
}
