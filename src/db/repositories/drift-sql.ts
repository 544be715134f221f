import type { AnalyticsTask, Statement } from './analytics-sql.js';

/**
 * The SQL of drift reports, as pure builders. A window reads `predictions` through the (model_id,
 * predicted_at) index; above the sample limit it keeps the rows whose ids have the smallest md5 (the same
 * deterministic order as the analytics samples). Features travel as their JSON text and are parsed once in
 * the service: measured on 100,000 rows × 10 features, that is faster than extracting typed arrays per
 * feature in SQL (jsonb → text is cheap in PostgreSQL; per-key extraction and casts are not).
 */

export interface DriftWindowFilter {
  modelId: string;
  from: Date;
  to: Date;
  versionId?: string | undefined;
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function windowWhere(filter: DriftWindowFilter, p: Params): string {
  const where = [`model_id = ${p.add(filter.modelId)}::uuid`, `predicted_at >= ${p.add(filter.from)}::timestamptz`, `predicted_at < ${p.add(filter.to)}::timestamptz`];
  if (filter.versionId !== undefined) where.push(`version_id = ${p.add(filter.versionId)}::uuid`);
  return where.join(' AND ');
}

export const md5Order = (id: string) => `md5(${id}) COLLATE "C", ${id} COLLATE "C"`;

export function windowCountSql(filter: DriftWindowFilter): Statement {
  const p = new Params();
  return { text: `SELECT count(*)::int AS n FROM predictions WHERE ${windowWhere(filter, p)}`, values: p.values };
}

/**
 * The predictions of a window (all of them, or the `limit` first in md5 order): features as JSON text,
 * the model's outputs (and the class probabilities of a multiclass model).
 */
export function windowSampleSql(filter: DriftWindowFilter, task: AnalyticsTask, limit: number | null): Statement {
  const p = new Params();
  const where = windowWhere(filter, p);
  const columns = `features::text, predicted_label, predicted_value, p_positive, ${task === 'multiclass' ? 'probabilities::text' : 'NULL'}`;
  const order = limit === null ? '' : ` ORDER BY ${md5Order('id')} LIMIT ${p.add(limit)}::int`;
  return { text: `SELECT ${columns} FROM predictions WHERE ${where}${order}`, values: p.values };
}

/** The labeled predictions of a window: how many, and how many were correct (classification). */
export function labeledCountSql(filter: DriftWindowFilter, task: AnalyticsTask): Statement {
  const p = new Params();
  const where = windowWhere(filter, p);
  const column = task === 'regression' ? 'error' : 'correct';
  const correct = task === 'regression' ? 'NULL::int' : 'count(*) FILTER (WHERE correct)::int';
  return { text: `SELECT count(*)::int AS n, ${correct} AS correct FROM outcomes WHERE ${where} AND ${column} IS NOT NULL`, values: p.values };
}

/** The errors (predicted − actual) of a window's labeled predictions: all, or the `limit` first in md5 order. */
export function windowErrorsSql(filter: DriftWindowFilter, limit: number | null): Statement {
  const p = new Params();
  const where = windowWhere(filter, p);
  const order = limit === null ? '' : ` ORDER BY ${md5Order('prediction_id')} LIMIT ${p.add(limit)}::int`;
  return { text: `SELECT array_agg(error) AS errors FROM (SELECT error FROM outcomes WHERE ${where} AND error IS NOT NULL${order}) s`, values: p.values };
}

export function baselineSampleSql(baselineId: string, limit: number | null): Statement {
  const p = new Params();
  const order = limit === null ? '' : ` ORDER BY md5(ord::text) COLLATE "C", ord LIMIT ${p.add(limit)}::int`;
  return {
    text: `SELECT features::text, prediction_label, prediction_value, NULL, NULL FROM drift_baseline_rows WHERE baseline_id = ${p.add(baselineId)}::uuid${order}`,
    values: p.values,
  };
}

/** The baseline rows that have both a prediction and an actual, for concept drift against a training baseline. */
export function baselineLabeledCountSql(baselineId: string, task: AnalyticsTask): Statement {
  const both = task === 'regression' ? 'prediction_value IS NOT NULL AND actual_value IS NOT NULL' : 'prediction_label IS NOT NULL AND actual_label IS NOT NULL';
  const correct = task === 'regression' ? 'NULL::int' : 'count(*) FILTER (WHERE prediction_label = actual_label)::int';
  return { text: `SELECT count(*)::int AS n, ${correct} AS correct FROM drift_baseline_rows WHERE baseline_id = $1::uuid AND ${both}`, values: [baselineId] };
}

export function baselineErrorsSql(baselineId: string, limit: number | null): Statement {
  const p = new Params();
  const id = p.add(baselineId);
  const order = limit === null ? '' : ` ORDER BY md5(ord::text) COLLATE "C", ord LIMIT ${p.add(limit)}::int`;
  return {
    text: `SELECT array_agg(error) AS errors FROM (SELECT prediction_value - actual_value AS error FROM drift_baseline_rows
WHERE baseline_id = ${id}::uuid AND prediction_value IS NOT NULL AND actual_value IS NOT NULL${order}) s`,
    values: p.values,
  };
}

export function baselineCountSql(baselineId: string): Statement {
  return { text: 'SELECT count(*)::int AS n FROM drift_baseline_rows WHERE baseline_id = $1::uuid', values: [baselineId] };
}
