import type pg from 'pg';
import { LIVE_CLAIM, Params, QUEUE_ORDER, type QueueFilter, afterPosition, scoredPredictions } from './labeling-sql.js';

export interface QueueRow {
  id: string;
  predictedAt: Date;
  versionId: string | null;
  externalId: string | null;
  unit: string | null;
  features: Record<string, unknown>;
  predictedLabel: string;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  grp: number;
  score: number | null;
  key: number;
}

export interface Claim {
  id: string;
  claimant: string;
  createdAt: Date;
  expiresAt: Date;
}

export type ClaimByIdsOutcome =
  | { status: 'claimed'; claim: Claim }
  | { status: 'missing'; ids: string[] }
  | { status: 'labeled'; ids: string[] }
  | { status: 'taken'; holders: { predictionId: string; claimant: string; expiresAt: Date }[] };

const toRow = (r: Record<string, any>): QueueRow => ({
  id: r.id,
  predictedAt: r.predicted_at,
  versionId: r.version_id,
  externalId: r.external_id,
  unit: r.unit,
  features: r.features,
  predictedLabel: r.predicted_label,
  confidence: r.confidence,
  probabilities: r.probabilities,
  grp: r.grp,
  score: r.score,
  key: r.key,
});

/** The labeling queue and its claims, in plain SQL (ranking expressions, SKIP LOCKED, ON CONFLICT). */
export class LabelingRepository {
  constructor(private readonly pool: pg.Pool) {}

  async queue(f: QueueFilter, limit: number, after?: { grp: number; key: number; predictedAt: Date; id: string }): Promise<QueueRow[]> {
    const p = new Params();
    const scored = scoredPredictions(f, p, [`NOT ${LIVE_CLAIM('p')}`]);
    const where = after ? `WHERE ${afterPosition(p, after)}` : '';
    const { rows } = await this.pool.query(`SELECT * FROM (${scored}) s ${where} ORDER BY ${QUEUE_ORDER} LIMIT ${p.add(limit)}::int`, p.values);
    return rows.map(toRow);
  }

  /** Unlabeled predictions in the window: free (in the queue) and currently claimed. */
  async sizes(f: Omit<QueueFilter, 'strategy'>): Promise<{ size: number; claimed: number }> {
    const p = new Params();
    const where = [`p.model_id = ${p.add(f.modelId)}::uuid`, 'p.labeled_at IS NULL', `p.predicted_at >= ${p.add(f.from)}::timestamptz`, `p.predicted_at < ${p.add(f.to)}::timestamptz`];
    if (f.versionId) where.push(`p.version_id = ${p.add(f.versionId)}::uuid`);
    const { rows } = await this.pool.query(
      `SELECT count(*) FILTER (WHERE NOT claimed)::int AS size, count(*) FILTER (WHERE claimed)::int AS claimed
       FROM (SELECT ${LIVE_CLAIM('p')} AS claimed FROM predictions p WHERE ${where.join(' AND ')}) x`,
      p.values,
    );
    return { size: rows[0]?.size ?? 0, claimed: rows[0]?.claimed ?? 0 };
  }

  /**
   * Claims the `count` most uncertain free predictions at once. Rows being claimed by a concurrent request
   * are skipped (FOR NO KEY UPDATE … SKIP LOCKED), and the unique prediction_id of labeling_claim_items,
   * taken over only from an expired claim, guarantees that no prediction is ever in two live claims.
   * Returns the claim and how many predictions it got (null claim when none).
   */
  async claimTop(f: QueueFilter, count: number, claimant: string, ttlSeconds: number): Promise<{ claim: Claim; taken: number } | null> {
    return this.transaction(async (client) => {
      const claim = await insertClaim(client, f.modelId, claimant, ttlSeconds);
      let taken = 0;
      for (let attempt = 0; attempt < 3 && taken < count; attempt++) {
        const p = new Params();
        const scored = scoredPredictions(f, p, [`NOT ${LIVE_CLAIM('p')}`]);
        const limit = p.add(count - taken);
        const claimId = p.add(claim.id);
        const { rows } = await client.query(
          `WITH picked AS (
             SELECT s.id, s.predicted_at FROM (${scored} ORDER BY ${QUEUE_ORDER} LIMIT ${limit}::int FOR NO KEY UPDATE OF p SKIP LOCKED) s
           ), taken AS (
             ${TAKE_ITEMS(`SELECT id, predicted_at FROM picked`, p.add(f.modelId), claimId)}
           )
           SELECT (SELECT count(*) FROM picked)::int AS picked, (SELECT count(*) FROM taken)::int AS taken`,
          p.values,
        );
        taken += rows[0].taken;
        if (rows[0].picked === rows[0].taken) break;
      }
      return taken > 0 ? { claim, taken } : null;
    }, (result) => result !== null);
  }

  /** Claims exactly these predictions, or nothing. */
  async claimIds(modelId: string, ids: string[], claimant: string, ttlSeconds: number): Promise<ClaimByIdsOutcome> {
    return this.transaction(async (client) => {
      const { rows: found } = await client.query(
        `SELECT k.id, k.predicted_at, p.labeled_at IS NOT NULL AS labeled FROM prediction_keys k
         JOIN predictions p ON p.id = k.id AND p.predicted_at = k.predicted_at
         WHERE k.id = ANY($1::text[]) AND k.model_id = $2::uuid FOR NO KEY UPDATE OF p`,
        [ids, modelId],
      );
      const byId = new Map(found.map((r) => [r.id as string, r]));
      const missing = ids.filter((id) => !byId.has(id));
      if (missing.length > 0) return { status: 'missing', ids: missing };
      const labeled = found.filter((r) => r.labeled).map((r) => r.id as string);
      if (labeled.length > 0) return { status: 'labeled', ids: labeled };
      const claim = await insertClaim(client, modelId, claimant, ttlSeconds);
      const { rows } = await client.query(
        `WITH picked AS (SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS x(id, predicted_at)),
         taken AS (${TAKE_ITEMS('SELECT id, predicted_at FROM picked', '$3', '$4')})
         SELECT prediction_id FROM taken`,
        [ids, ids.map((id) => byId.get(id).predicted_at), modelId, claim.id],
      );
      if (rows.length === ids.length) return { status: 'claimed', claim };
      const got = new Set(rows.map((r) => r.prediction_id as string));
      const { rows: holders } = await client.query(
        `SELECT c.prediction_id, l.claimant, c.expires_at FROM labeling_claim_items c JOIN labeling_claims l ON l.id = c.claim_id
         WHERE c.prediction_id = ANY($1::text[]) AND c.expires_at > now()`,
        [ids.filter((id) => !got.has(id))],
      );
      return { status: 'taken', holders: holders.map((h) => ({ predictionId: h.prediction_id, claimant: h.claimant, expiresAt: h.expires_at })) };
    }, (outcome) => outcome.status === 'claimed');
  }

  /** The predictions a claim holds, scored. */
  async claimItems(f: QueueFilter, claimId: string): Promise<QueueRow[]> {
    const p = new Params();
    const scored = scoredPredictions(f, p, [`EXISTS (SELECT 1 FROM labeling_claim_items c WHERE c.prediction_id = p.id AND c.claim_id = ${p.add(claimId)}::uuid)`]);
    const { rows } = await this.pool.query(`SELECT * FROM (${scored}) s ORDER BY ${QUEUE_ORDER}`, p.values);
    return rows.map(toRow);
  }

  /** Releases a claim's predictions; false when the model has no such claim. */
  async release(modelId: string, claimId: string): Promise<boolean> {
    return this.transaction(async (client) => {
      const { rowCount } = await client.query(
        `UPDATE labeling_claims SET released_at = coalesce(released_at, now()) WHERE id = $1::uuid AND model_id = $2::uuid`,
        [claimId, modelId],
      );
      if (!rowCount) return false;
      await client.query('DELETE FROM labeling_claim_items WHERE claim_id = $1::uuid', [claimId]);
      return true;
    });
  }

  /** Runs `work` in a transaction, committed unless `commit` says otherwise for its result. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>, commit: (result: T) => boolean = () => true): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query(commit(result) ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}

// A new claim takes over a prediction's row only from an expired claim: a live one keeps it.
const TAKE_ITEMS = (source: string, modelIdParam: string, claimIdParam: string) => `
  INSERT INTO labeling_claim_items (prediction_id, predicted_at, model_id, claim_id, expires_at)
  SELECT x.id, x.predicted_at, ${modelIdParam}::uuid, l.id, l.expires_at FROM (${source}) x, labeling_claims l WHERE l.id = ${claimIdParam}::uuid
  ON CONFLICT (prediction_id) DO UPDATE SET predicted_at = EXCLUDED.predicted_at, model_id = EXCLUDED.model_id,
    claim_id = EXCLUDED.claim_id, expires_at = EXCLUDED.expires_at
  WHERE labeling_claim_items.expires_at <= now()
  RETURNING prediction_id`;

async function insertClaim(client: pg.PoolClient, modelId: string, claimant: string, ttlSeconds: number): Promise<Claim> {
  const { rows } = await client.query(
    `INSERT INTO labeling_claims (model_id, claimant, expires_at) VALUES ($1::uuid, $2, now() + make_interval(secs => $3::float8))
     RETURNING id, claimant, created_at, expires_at`,
    [modelId, claimant, ttlSeconds],
  );
  return { id: rows[0].id, claimant: rows[0].claimant, createdAt: rows[0].created_at, expiresAt: rows[0].expires_at };
}
