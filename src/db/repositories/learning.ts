import type pg from 'pg';
import type { Task } from '../../domain/model-spec.js';
import type { RetrainPolicy } from '../../domain/retrain-policy.js';

export interface LearningModel {
  id: string;
  name: string;
  task: Task;
  labels: string[];
  positiveLabel: string | null;
  productionVersionId: string | null;
  productionVersion: string | null;
}

export interface NewSnapshot {
  modelId: string;
  versionId: string | null;
  jobRunId: string | null;
  window: string;
  windowFrom: Date;
  windowTo: Date;
  sampleCount: number;
  metric: string;
  value: number | null;
  metrics: Record<string, unknown> | null;
  trend: 'improving' | 'degrading' | 'stable' | null;
  trendDetail: Record<string, unknown> | null;
}

export interface SnapshotRow extends NewSnapshot {
  id: string;
  takenAt: Date;
  version: string | null;
}

export interface TierRequestRow {
  tier: string | null;
  id: string;
  status: string;
  trigger: string;
  createdAt: Date;
  completedAt: Date | null;
  lastSucceededAt: Date | null;
}

/** What the scheduled learning reads and writes beyond the services: the models to visit, performance snapshots, the loop status. */
export class LearningRepository {
  constructor(private readonly pool: pg.Pool) {}

  async models(): Promise<LearningModel[]> {
    const { rows } = await this.pool.query(
      `SELECT m.id, m.name, m.task::text AS task, m.labels, m.positive_label, v.id AS version_id, v.name AS version
       FROM models m LEFT JOIN model_versions v ON v.id = m.production_version_id ORDER BY m.name`,
    );
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      task: r.task,
      labels: r.labels,
      positiveLabel: r.positive_label,
      productionVersionId: r.version_id,
      productionVersion: r.version,
    }));
  }

  /** Stored policies that schedule tiers on their own (autoTrigger on, at least one tier). */
  async scheduledTiers(): Promise<{ modelId: string; model: string; policy: RetrainPolicy }[]> {
    const { rows } = await this.pool.query(
      `SELECT m.id, m.name, p.policy FROM retrain_policies p JOIN models m ON m.id = p.model_id
       WHERE (p.policy->>'autoTrigger')::boolean AND jsonb_array_length(COALESCE(p.policy->'tiers', '[]'::jsonb)) > 0 ORDER BY m.name`,
    );
    return rows.map((r) => ({ modelId: r.id, model: r.name, policy: r.policy as RetrainPolicy }));
  }

  async insertSnapshot(s: NewSnapshot): Promise<void> {
    await this.pool.query(
      `INSERT INTO performance_snapshots (model_id, version_id, job_run_id, "window", window_from, window_to, sample_count, metric, value, metrics, trend, trend_detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        s.modelId,
        s.versionId,
        s.jobRunId,
        s.window,
        s.windowFrom,
        s.windowTo,
        s.sampleCount,
        s.metric,
        s.value,
        s.metrics === null ? null : JSON.stringify(s.metrics),
        s.trend,
        s.trendDetail === null ? null : JSON.stringify(s.trendDetail),
      ],
    );
  }

  async latestSnapshot(modelId: string): Promise<SnapshotRow | null> {
    const { rows } = await this.pool.query(
      `SELECT s.*, v.name AS version FROM performance_snapshots s LEFT JOIN model_versions v ON v.id = s.version_id
       WHERE s.model_id = $1 ORDER BY s.taken_at DESC, s.id DESC LIMIT 1`,
      [modelId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: String(r.id),
      modelId: r.model_id,
      versionId: r.version_id,
      version: r.version,
      jobRunId: r.job_run_id,
      takenAt: r.taken_at,
      window: r.window,
      windowFrom: r.window_from,
      windowTo: r.window_to,
      sampleCount: r.sample_count,
      metric: r.metric,
      value: r.value,
      metrics: r.metrics,
      trend: r.trend,
      trendDetail: r.trend_detail,
    };
  }

  /** The newest retrain request of each tier of a model (no tier: null), with when that tier last succeeded. */
  async lastRequestPerTier(modelId: string): Promise<TierRequestRow[]> {
    const { rows } = await this.pool.query(
      `SELECT DISTINCT ON (COALESCE(r.tier, '')) r.tier, r.id, r.status, r.trigger, r.created_at, r.completed_at,
         (SELECT max(s.completed_at) FROM retrain_requests s WHERE s.model_id = r.model_id AND s.tier IS NOT DISTINCT FROM r.tier AND s.status = 'succeeded') AS last_succeeded_at
       FROM retrain_requests r WHERE r.model_id = $1 ORDER BY COALESCE(r.tier, ''), r.created_at DESC, r.id DESC`,
      [modelId],
    );
    return rows.map((r) => ({
      tier: r.tier,
      id: r.id,
      status: r.status,
      trigger: r.trigger,
      createdAt: r.created_at,
      completedAt: r.completed_at,
      lastSucceededAt: r.last_succeeded_at,
    }));
  }

  /** The open retrain requests of a model (pending: being delivered; delivered: the trainer has it), newest first. */
  async openRequests(modelId: string): Promise<{ id: string; tier: string | null; status: string; trigger: string; reasons: string[]; createdAt: Date }[]> {
    const { rows } = await this.pool.query(
      `SELECT id, tier, status, trigger, reasons, created_at FROM retrain_requests WHERE model_id = $1 AND status IN ('pending', 'delivered') ORDER BY created_at DESC, id DESC`,
      [modelId],
    );
    return rows.map((r) => ({ id: r.id, tier: r.tier, status: r.status, trigger: r.trigger, reasons: r.reasons, createdAt: r.created_at }));
  }

  /** When a request of this model and tier was last created (a tier slot skips when one was made less than half a period ago). */
  async lastRequestAt(modelId: string, tier: string): Promise<Date | null> {
    const { rows } = await this.pool.query(`SELECT max(created_at) AS at FROM retrain_requests WHERE model_id = $1 AND tier = $2`, [modelId, tier]);
    return rows[0]?.at ?? null;
  }

  async promotedAt(versionId: string): Promise<Date | null> {
    const { rows } = await this.pool.query(`SELECT promoted_at FROM model_versions WHERE id = $1`, [versionId]);
    return rows[0]?.promoted_at ?? null;
  }
}
