import type pg from 'pg';
import type { RetrainPolicy } from '../../domain/retrain-policy.js';
import { type Queryable, inTransaction, lockKey } from '../transaction.js';

export type RequestStatus = 'pending' | 'delivered' | 'succeeded' | 'failed';
export type GateStatus = 'awaiting_live' | 'kept' | 'promoted' | 'rejected' | 'superseded';

export interface RetrainRequestRow {
  id: string;
  modelId: string;
  model: string;
  tier: string | null;
  status: RequestStatus;
  trigger: 'manual' | 'auto';
  reason: string;
  reasons: string[];
  forced: boolean;
  productionVersion: string | null;
  datasetId: string;
  dataset: { number: number; rows: number; sha256: string };
  failureReason: string | null;
  result: Record<string, unknown> | null;
  resultReceivedAt: Date | null;
  candidateVersionId: string | null;
  candidateVersion: string | null;
  gateStatus: GateStatus | null;
  gateReason: string | null;
  gate: Record<string, unknown> | null;
  gateEvaluatedAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  completedAt: Date | null;
}

const SELECT = `
SELECT r.*, m.name AS model, pv.name AS production_version, cv.name AS candidate_version,
  d.number AS dataset_number, d.row_count AS dataset_rows, d.sha256 AS dataset_sha256
FROM retrain_requests r JOIN models m ON m.id = r.model_id JOIN datasets d ON d.id = r.dataset_id
LEFT JOIN model_versions pv ON pv.id = r.production_version_id
LEFT JOIN model_versions cv ON cv.id = r.candidate_version_id`;

const toRequest = (r: Record<string, unknown>): RetrainRequestRow => ({
  id: r.id as string,
  modelId: r.model_id as string,
  model: r.model as string,
  tier: r.tier as string | null,
  status: r.status as RequestStatus,
  trigger: r.trigger as 'manual' | 'auto',
  reason: r.reason as string,
  reasons: r.reasons as string[],
  forced: r.forced as boolean,
  productionVersion: r.production_version as string | null,
  datasetId: r.dataset_id as string,
  dataset: { number: r.dataset_number as number, rows: r.dataset_rows as number, sha256: r.dataset_sha256 as string },
  failureReason: r.failure_reason as string | null,
  result: r.result as Record<string, unknown> | null,
  resultReceivedAt: r.result_received_at as Date | null,
  candidateVersionId: r.candidate_version_id as string | null,
  candidateVersion: r.candidate_version as string | null,
  gateStatus: r.gate_status as GateStatus | null,
  gateReason: r.gate_reason as string | null,
  gate: r.gate as Record<string, unknown> | null,
  gateEvaluatedAt: r.gate_evaluated_at as Date | null,
  createdAt: r.created_at as Date,
  deliveredAt: r.delivered_at as Date | null,
  completedAt: r.completed_at as Date | null,
});

const OPEN = `status IN ('pending', 'delivered')`;

/** Retrain policies and requests. */
export class RetrainRepository {
  constructor(private readonly pool: pg.Pool) {}

  transaction<T>(work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  async policy(modelId: string): Promise<{ policy: RetrainPolicy; updatedAt: Date } | null> {
    const { rows } = await this.pool.query('SELECT policy, updated_at FROM retrain_policies WHERE model_id = $1', [modelId]);
    return rows[0] ? { policy: rows[0].policy as RetrainPolicy, updatedAt: rows[0].updated_at as Date } : null;
  }

  async savePolicy(modelId: string, policy: RetrainPolicy): Promise<Date> {
    const { rows } = await this.pool.query(
      `INSERT INTO retrain_policies (model_id, policy) VALUES ($1, $2)
       ON CONFLICT (model_id) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now() RETURNING updated_at`,
      [modelId, JSON.stringify(policy)],
    );
    return rows[0]!.updated_at as Date;
  }

  /** Serialises triggers of one model and tier until the end of the transaction. */
  lockTier(tx: pg.PoolClient, modelId: string, tier: string | null): Promise<void> {
    return lockKey(tx, `hindsight:retrain:${modelId}:${tier ?? ''}`);
  }

  async open(modelId: string, tier: string | null, q: Queryable = this.pool): Promise<RetrainRequestRow | null> {
    const { rows } = await q.query(`${SELECT} WHERE r.model_id = $1 AND r.tier IS NOT DISTINCT FROM $2 AND r.${OPEN}`, [modelId, tier]);
    return rows[0] ? toRequest(rows[0]) : null;
  }

  async lastCompletedAt(modelId: string, tier: string | null, q: Queryable = this.pool): Promise<Date | null> {
    const { rows } = await q.query(
      `SELECT max(completed_at) AS at FROM retrain_requests WHERE model_id = $1 AND tier IS NOT DISTINCT FROM $2 AND completed_at IS NOT NULL`,
      [modelId, tier],
    );
    return (rows[0]?.at as Date | null) ?? null;
  }

  async insert(
    tx: pg.PoolClient,
    r: { id: string; modelId: string; tier: string | null; trigger: 'manual' | 'auto'; reason: string; reasons: string[]; forced: boolean; productionVersionId: string | null; datasetId: string },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO retrain_requests (id, model_id, tier, trigger, reason, reasons, forced, production_version_id, dataset_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.id, r.modelId, r.tier, r.trigger, r.reason, r.reasons, r.forced, r.productionVersionId, r.datasetId],
    );
  }

  async get(id: string, q: Queryable = this.pool, lock = false): Promise<RetrainRequestRow | null> {
    const { rows } = await q.query(`${SELECT} WHERE r.id = $1${lock ? ' FOR UPDATE OF r' : ''}`, [id]);
    return rows[0] ? toRequest(rows[0]) : null;
  }

  /** Newest first, keyset-paginated by (created_at, id). */
  async list(modelId: string, limit: number, before?: { createdAt: Date; id: string }): Promise<RetrainRequestRow[]> {
    const { rows } = await this.pool.query(
      `${SELECT} WHERE r.model_id = $1 AND ($2::timestamptz IS NULL OR (r.created_at, r.id) < ($2::timestamptz, $3::uuid))
       ORDER BY r.created_at DESC, r.id DESC LIMIT $4`,
      [modelId, before?.createdAt ?? null, before?.id ?? null, limit],
    );
    return rows.map(toRequest);
  }

  /** Registers the candidate version of a succeeded request, with its lineage; null when the name is taken. */
  async insertCandidate(
    tx: pg.PoolClient,
    v: { modelId: string; name: string; metrics: Record<string, number> | null; artifactUri: string | null; description: string | null; retrainRequestId: string; datasetId: string },
  ): Promise<{ id: string } | null> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO model_versions (model_id, name, metrics, artifact_uri, description, retrain_request_id, dataset_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (model_id, name) DO NOTHING RETURNING id`,
      [v.modelId, v.name, v.metrics === null ? null : JSON.stringify(v.metrics), v.artifactUri, v.description, v.retrainRequestId, v.datasetId],
    );
    return rows[0] ?? null;
  }

  async complete(
    tx: pg.PoolClient,
    id: string,
    c: { status: 'succeeded' | 'failed'; result: Record<string, unknown>; failureReason: string | null; candidateVersionId: string | null; gate: GateUpdate | null },
  ): Promise<void> {
    await tx.query(
      `UPDATE retrain_requests SET status = $2, result = $3, result_received_at = now(), completed_at = now(), updated_at = now(),
         failure_reason = $4, candidate_version_id = $5, gate_status = $6, gate_reason = $7, gate = $8, gate_evaluated_at = CASE WHEN $6::text IS NULL THEN NULL ELSE now() END
       WHERE id = $1`,
      [id, c.status, JSON.stringify(c.result), c.failureReason, c.candidateVersionId, c.gate?.status ?? null, c.gate?.reason ?? null, c.gate ? JSON.stringify(c.gate.detail) : null],
    );
  }

  /** Older candidates of the model still in the gate give way to a newer one. */
  async supersede(tx: pg.PoolClient, modelId: string, exceptId: string): Promise<void> {
    await tx.query(
      `UPDATE retrain_requests SET gate_status = 'superseded', gate_reason = 'a newer candidate arrived', gate_evaluated_at = now(), updated_at = now()
       WHERE model_id = $1 AND id <> $2 AND gate_status IN ('awaiting_live', 'kept')`,
      [modelId, exceptId],
    );
  }

  async updateGate(id: string, gate: GateUpdate): Promise<void> {
    await this.pool.query(
      `UPDATE retrain_requests SET gate_status = $2, gate_reason = $3, gate = $4, gate_evaluated_at = now(), updated_at = now() WHERE id = $1`,
      [id, gate.status, gate.reason, JSON.stringify(gate.detail)],
    );
  }

  /** The latest promotion or rollback of a model. */
  async latestVersionEvent(modelId: string): Promise<{ action: string; versionId: string; createdAt: Date } | null> {
    const { rows } = await this.pool.query(
      'SELECT action, version_id, created_at FROM version_events WHERE model_id = $1 ORDER BY id DESC LIMIT 1',
      [modelId],
    );
    return rows[0] ? { action: rows[0].action, versionId: rows[0].version_id, createdAt: rows[0].created_at } : null;
  }

  /** The newest request of the model whose candidate is still before the gate (awaiting live outcomes, or kept). */
  async inGate(modelId: string): Promise<RetrainRequestRow | null> {
    const { rows } = await this.pool.query(
      `${SELECT} WHERE r.model_id = $1 AND r.gate_status IN ('awaiting_live', 'kept') AND r.candidate_version_id IS NOT NULL ORDER BY r.completed_at DESC LIMIT 1`,
      [modelId],
    );
    return rows[0] ? toRequest(rows[0]) : null;
  }
}

export interface GateUpdate {
  status: GateStatus;
  reason: string;
  detail: Record<string, unknown>;
}
