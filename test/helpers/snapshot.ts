import type pg from 'pg';

/** A digest of everything ingestion can touch, to prove that a refused request changed nothing. */
export async function snapshot(sql: pg.Pool): Promise<string> {
  const { rows } = await sql.query<{ digest: string }>(`
    SELECT md5(concat_ws('|',
      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM models t),
      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM model_versions t),
      (SELECT string_agg(t::text, ',' ORDER BY t.id) FROM prediction_keys t),
      (SELECT string_agg(t::text, ',' ORDER BY t.id, t.predicted_at) FROM predictions t),
      (SELECT string_agg(t::text, ',' ORDER BY t.prediction_id) FROM outcomes t))) AS digest`);
  return rows[0]!.digest;
}
