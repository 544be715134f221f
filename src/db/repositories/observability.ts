import type pg from 'pg';

/** What /metrics reads from the database on a scrape: small, indexed queries only. */
export class ObservabilityRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** The newest stored drift report of each model that has one (drift_reports_model_id_created_at_idx). */
  async latestDriftReports(): Promise<{ model: string; severityRank: number; driftedFeatures: number; testedFeatures: number; createdAt: Date }[]> {
    const { rows } = await this.pool.query<{ name: string; severity_rank: number; drifted_features: number; tested_features: number; created_at: Date }>(
      `SELECT m.name, r.severity_rank, r.drifted_features, r.tested_features, r.created_at
       FROM models m
       CROSS JOIN LATERAL (
         SELECT severity_rank, drifted_features, tested_features, created_at FROM drift_reports d
         WHERE d.model_id = m.id ORDER BY d.created_at DESC, d.id DESC LIMIT 1) r
       ORDER BY m.name`,
    );
    return rows.map((r) => ({ model: r.name, severityRank: r.severity_rank, driftedFeatures: r.drifted_features, testedFeatures: r.tested_features, createdAt: r.created_at }));
  }

  /** The newest daily-learning performance snapshot of each model that has one (performance_snapshots_model_id_taken_at_idx). */
  async latestPerformanceSnapshots(): Promise<{ model: string; window: string; sampleCount: number; metrics: Record<string, unknown> | null; takenAt: Date }[]> {
    const { rows } = await this.pool.query<{ name: string; window: string; sample_count: number; metrics: Record<string, unknown> | null; taken_at: Date }>(
      `SELECT m.name, s."window", s.sample_count, s.metrics, s.taken_at
       FROM models m
       CROSS JOIN LATERAL (
         SELECT "window", sample_count, metrics, taken_at FROM performance_snapshots p
         WHERE p.model_id = m.id ORDER BY p.taken_at DESC, p.id DESC LIMIT 1) s
       ORDER BY m.name`,
    );
    return rows.map((r) => ({ model: r.name, window: r.window, sampleCount: r.sample_count, metrics: r.metrics, takenAt: r.taken_at }));
  }
}
