import type pg from 'pg';
import type { Task } from '../../domain/model-spec.js';

export interface ModelRow {
  id: string;
  name: string;
  task: Task;
  labels: string[];
  positiveLabel: string | null;
}

/**
 * The registry lookups of the ingestion path, in plain SQL on the pool: they run on every cache refresh
 * under load, where Prisma's query compilation would add latency for nothing.
 */
export class CatalogRepository {
  constructor(private readonly pool: pg.Pool) {}

  async model(name: string): Promise<ModelRow | null> {
    const { rows } = await this.pool.query<{ id: string; name: string; task: Task; labels: string[]; positive_label: string | null }>({
      name: 'hindsight_catalog_model',
      text: 'SELECT id, name, task::text AS task, labels, positive_label FROM models WHERE name = $1',
      values: [name],
    });
    const row = rows[0];
    return row ? { id: row.id, name: row.name, task: row.task, labels: row.labels, positiveLabel: row.positive_label } : null;
  }

  async versionId(modelId: string, name: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ id: string }>({
      name: 'hindsight_catalog_version',
      text: 'SELECT id FROM model_versions WHERE model_id = $1 AND name = $2',
      values: [modelId, name],
    });
    return rows[0]?.id ?? null;
  }

  async versionNames(ids: string[]): Promise<Map<string, string>> {
    const { rows } = await this.pool.query<{ id: string; name: string }>('SELECT id, name FROM model_versions WHERE id = ANY($1::uuid[])', [ids]);
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}
