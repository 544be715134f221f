import type { BenchContext } from './context.js';

/**
 * Large labeled windows for the analytics sections, written with raw SQL (generate_series) rather than through
 * the API: a million predictions through POST …/batch would take minutes and measure ingestion, not analytics.
 * The rows are exactly what ingestion stores (a prediction_keys row, a predictions row, an outcomes row per
 * labeled prediction) and are deterministic functions of their index.
 */

export interface AnalyticsModel {
  name: string;
  id: string;
  versionId: string;
  positiveLabel: string;
}

/** A binary model (labels no/yes) with a production version, registered through the API as a client would. */
export async function registerBinaryModel(ctx: BenchContext, suffix: string): Promise<AnalyticsModel> {
  const server = await ctx.hindsight();
  const name = `bench-${ctx.runId}-${suffix}`;
  const headers = { authorization: `Bearer ${ctx.adminKey}`, 'content-type': 'application/json' };
  const created = await fetch(`${server.url}/v1/models`, { method: 'POST', headers, body: JSON.stringify({ name, task: 'binary', labels: ['no', 'yes'] }) });
  if (created.status !== 201) throw new Error(`POST /v1/models answered ${created.status}: ${await created.text()}`);
  const version = await fetch(`${server.url}/v1/models/${name}/versions`, { method: 'POST', headers, body: JSON.stringify({ name: 'v1', status: 'production' }) });
  if (version.status !== 201) throw new Error(`POST /v1/models/${name}/versions answered ${version.status}: ${await version.text()}`);
  const { rows } = await ctx.db.pool.query<{ id: string; production_version_id: string; positive_label: string | null }>(
    'SELECT id, production_version_id, positive_label FROM models WHERE name = $1',
    [name],
  );
  return { name, id: rows[0]!.id, versionId: rows[0]!.production_version_id, positiveLabel: rows[0]!.positive_label ?? 'yes' };
}

/** A uniform pseudo-random number in [0, 1) from a row index and a salt (Knuth's multiplicative hash). */
export const u = (salt: number) => `((((g::bigint + ${salt}) * 2654435761) % 4294967296)::float8 / 4294967296)`;

/**
 * Writes `n` labeled predictions of a binary model spread evenly over [from, to), in chunks of 250,000 rows,
 * each chunk one statement writing prediction_keys, predictions and outcomes. `features` is the SQL of the
 * features object (g is the row index, `cur` whether the row lies in the second half of the range).
 */
export async function loadLabeledPredictions(
  ctx: BenchContext,
  model: AnalyticsModel,
  options: { n: number; from: Date; to: Date; prefix: string; features: string },
): Promise<void> {
  const { n, from, to, prefix } = options;
  const stepMs = (to.getTime() - from.getTime()) / n;
  await ctx.db.pool.query('SELECT hindsight_ensure_partitions($1::timestamptz[])', [[from, new Date(to.getTime() - 1)]]);
  const chunk = 250_000;
  const client = await ctx.db.pool.connect();
  // The rows are consistent by construction: skip the per-row foreign-key triggers of outcomes → predictions
  // where the role may (superuser; otherwise they run, only slower).
  const replica = await client.query('SET session_replication_role = replica').then(
    () => true,
    () => false,
  );
  try {
    for (let start = 1; start <= n; start += chunk) {
      ctx.checkAborted();
      const end = Math.min(n, start + chunk - 1);
      await client.query(
        `WITH src AS MATERIALIZED (
    SELECT g, $3 || g AS id, $4::timestamptz + ((g - 1) * $5::float8) * interval '1 millisecond' AS at, g > $2 / 2 AS cur,
      round((0.02 + 0.96 * ${u(1)})::numeric, 4)::float8 AS p, ${u(2)} AS r
    FROM generate_series($1::int, $6::int) g
  ), rows AS MATERIALIZED (
    SELECT src.*, CASE WHEN p >= 0.5 THEN 'yes' ELSE 'no' END AS predicted, CASE WHEN r < p THEN 'yes' ELSE 'no' END AS actual FROM src
  ), k AS (
    INSERT INTO prediction_keys (id, model_id, predicted_at) SELECT id, $7::uuid, at FROM rows
  ), p AS (
    INSERT INTO predictions (id, predicted_at, model_id, version_id, features, predicted_label, confidence, p_positive, labeled_at)
    SELECT id, at, $7::uuid, $8::uuid, ${options.features}, predicted, greatest(p, 1 - p), p, now() FROM rows
  )
  INSERT INTO outcomes (prediction_id, predicted_at, model_id, version_id, actual_label, predicted_label, p_positive, p_actual, correct,
    source, observed_at, label_delay_seconds)
  SELECT id, at, $7::uuid, $8::uuid, actual, predicted, p, CASE WHEN actual = 'yes' THEN p ELSE 1 - p END, predicted = actual,
    'ground_truth', at + (3600 + g % 7200) * interval '1 second', 3600 + g % 7200 FROM rows`,
        [start, n, prefix, from, stepMs, end, model.id, model.versionId],
      );
      ctx.log(`  loaded ${end.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} labeled predictions for ${model.name}`);
    }
  } finally {
    if (replica) await client.query('RESET session_replication_role').catch(() => {});
    client.release();
  }
  await ctx.db.pool.query('VACUUM (ANALYZE) predictions, outcomes, prediction_keys');
}

/** Milliseconds of one GET against the Hindsight server; fails on anything but 200. */
export async function timedGet(ctx: BenchContext, path: string): Promise<{ ms: number; body: unknown }> {
  const server = await ctx.hindsight();
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ctx.adminKey}` } });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  return { ms, body: JSON.parse(text) as unknown };
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}
