import type { Strategy } from '../../domain/uncertainty.js';

/**
 * The SQL of the labeling queue: unlabeled predictions (through the partial index on labeled_at IS NULL)
 * scored for uncertainty as src/domain/uncertainty.ts specifies, most uncertain first.
 *
 * A prediction's distribution: binary models use P(positive) (p, 1 − p); multiclass models the values of
 * `probabilities`. From it p1 ≥ p2 (the two largest), the entropy h = −Σ p ln p and the count k.
 * Rank group 0: scored by the strategy; 1: only the least confidence is known (multiclass with a
 * confidence alone, under margin or entropy), keyed by it; 2: nothing known. Order: group, key desc,
 * predicted_at desc, id desc.
 */
export interface QueueFilter {
  modelId: string;
  task: 'binary' | 'multiclass';
  labelCount: number;
  strategy: Strategy;
  from: Date;
  to: Date;
  versionId?: string | undefined;
}

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function distributionJoin(task: QueueFilter['task']): string {
  if (task === 'binary') {
    return `CROSS JOIN LATERAL (SELECT p.p_positive IS NOT NULL AS has,
      greatest(p.p_positive, 1 - p.p_positive) AS p1, least(p.p_positive, 1 - p.p_positive) AS p2,
      0 - ((CASE WHEN p.p_positive > 0 THEN p.p_positive * ln(p.p_positive) ELSE 0 END)
         + (CASE WHEN p.p_positive < 1 THEN (1 - p.p_positive) * ln(1 - p.p_positive) ELSE 0 END)) AS h,
      2 AS k) d`;
  }
  return `LEFT JOIN LATERAL (SELECT true AS has, max(v) AS p1, (array_agg(v ORDER BY v DESC))[2] AS p2,
      0 - sum(CASE WHEN v > 0 THEN v * ln(v) ELSE 0 END) AS h, count(*)::int AS k
    FROM (SELECT value::float8 AS v FROM jsonb_each(p.probabilities)) e) d ON p.probabilities IS NOT NULL`;
}

function scoreExpression(strategy: Strategy, p: Params, labelCount: number): string {
  switch (strategy) {
    case 'least_confidence':
      return '1 - d.p1';
    case 'margin':
      return '1 - (d.p1 - coalesce(d.p2, 0))';
    case 'entropy':
      return `d.h / ln(greatest(${p.add(labelCount)}::int, d.k, 2))`;
  }
}

/** SELECT list and FROM of scored unlabeled predictions (alias s), without claimed-ness. */
export function scoredPredictions(f: QueueFilter, p: Params, extraWhere: string[] = []): string {
  const score = scoreExpression(f.strategy, p, f.labelCount);
  const confidenceGroup = f.strategy === 'least_confidence' ? 0 : 1;
  const where = [`p.model_id = ${p.add(f.modelId)}::uuid`, 'p.labeled_at IS NULL', `p.predicted_at >= ${p.add(f.from)}::timestamptz`, `p.predicted_at < ${p.add(f.to)}::timestamptz`];
  if (f.versionId) where.push(`p.version_id = ${p.add(f.versionId)}::uuid`);
  where.push(...extraWhere);
  return `SELECT p.id, p.predicted_at, p.version_id, p.external_id, p.unit, p.features, p.predicted_label, p.confidence, p.probabilities,
      CASE WHEN d.has THEN 0 WHEN p.confidence IS NOT NULL THEN ${confidenceGroup} ELSE 2 END AS grp,
      CASE WHEN d.has THEN ${score} WHEN p.confidence IS NOT NULL AND ${confidenceGroup} = 0 THEN 1 - p.confidence END AS score,
      CASE WHEN d.has THEN ${score} WHEN p.confidence IS NOT NULL THEN 1 - p.confidence ELSE 0 END AS key
    FROM predictions p ${distributionJoin(f.task)}
    WHERE ${where.join(' AND ')}`;
}

export const LIVE_CLAIM = (alias: string) =>
  `EXISTS (SELECT 1 FROM labeling_claim_items c WHERE c.prediction_id = ${alias}.id AND c.expires_at > now())`;

export const QUEUE_ORDER = 'grp, key DESC, predicted_at DESC, id DESC';

/** After a cursor position (grp, key, predicted_at, id) in QUEUE_ORDER. */
export function afterPosition(p: Params, at: { grp: number; key: number; predictedAt: Date; id: string }): string {
  const g = p.add(at.grp);
  const k = p.add(at.key);
  return `(grp > ${g}::int OR (grp = ${g}::int AND (key < ${k}::float8 OR (key = ${k}::float8 AND (predicted_at, id) < (${p.add(at.predictedAt)}::timestamptz, ${p.add(at.id)}::text)))))`;
}
