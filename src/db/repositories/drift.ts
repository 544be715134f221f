import pg from 'pg';
import type { AnalyticsTask, Statement } from './analytics-sql.js';
import {
  type DriftWindowFilter,
  baselineCountSql,
  baselineErrorsSql,
  baselineLabeledCountSql,
  baselineSampleSql,
  labeledCountSql,
  windowCountSql,
  windowErrorsSql,
  windowSampleSql,
} from './drift-sql.js';

export type { DriftWindowFilter } from './drift-sql.js';

/** One row of a window sample: features as JSON text, predicted label, predicted value, P(positive), class probabilities as JSON text. */
export type SampleRow = [string, string | null, number | null, number | null, string | null];

export interface WindowRows {
  /** Rows in the window (or baseline): the population the sample is drawn from. */
  population: number;
  /** Rows handed to the caller (the sample). */
  read: number;
}

export interface LabeledRows {
  /** Labeled predictions in the window. */
  n: number;
  /** Classification: how many were correct. */
  correct: number | null;
  /** Regression: predicted − actual, all or the md5-ordered sample. */
  errors: number[] | null;
}

/** The reads behind a drift report: window (or baseline) samples, and the labeled rows for concept drift. */
export class DriftRepository {
  constructor(private readonly pool: pg.Pool) {}

  productionVersion(modelId: string): Promise<{ id: string; name: string } | null> {
    return productionVersionOf(this.pool, modelId);
  }

  private async first<T>(statement: Statement): Promise<T | undefined> {
    return (await this.pool.query(statement.text, statement.values)).rows[0] as T | undefined;
  }

  /**
   * Counts the window, then streams its sample to `onRow` as the rows arrive (on a connection of its own, so
   * that no result set is held: the caller turns each row into columns and drops it).
   */
  private async sample(count: Statement, sample: (limit: number | null) => Statement, limit: number, onRow: (row: SampleRow) => void): Promise<WindowRows> {
    const population = (await this.first<{ n: number }>(count))?.n ?? 0;
    if (population === 0) return { population, read: 0 };
    const statement = sample(population > limit ? limit : null);
    const client = await this.pool.connect();
    let read = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        let failure: unknown;
        // pg.Query supports rowMode at run time; its typings only declare it on pool/client queries.
        const config: pg.QueryArrayConfig = { text: statement.text, values: statement.values, rowMode: 'array' };
        const query = new pg.Query<SampleRow>(config as unknown as pg.QueryConfig);
        query.on('row', (row: SampleRow) => {
          if (failure !== undefined) return;
          try {
            onRow(row);
            read++;
          } catch (error) {
            failure = error; // keep draining: the connection goes back to the pool only once the query ended
          }
        });
        query.on('error', reject);
        query.on('end', () => (failure === undefined ? resolve() : reject(failure)));
        client.query(query);
      });
    } finally {
      client.release();
    }
    return { population, read };
  }

  windowRows(filter: DriftWindowFilter, task: AnalyticsTask, limit: number, onRow: (row: SampleRow) => void): Promise<WindowRows> {
    return this.sample(windowCountSql(filter), (l) => windowSampleSql(filter, task, l), limit, onRow);
  }

  baselineRows(baselineId: string, limit: number, onRow: (row: SampleRow) => void): Promise<WindowRows> {
    return this.sample(baselineCountSql(baselineId), (l) => baselineSampleSql(baselineId, l), limit, onRow);
  }

  async windowLabeled(filter: DriftWindowFilter, task: AnalyticsTask, limit: number): Promise<LabeledRows> {
    return this.labeled(labeledCountSql(filter, task), (l) => windowErrorsSql(filter, l), task, limit);
  }

  async baselineLabeled(baselineId: string, task: AnalyticsTask, limit: number): Promise<LabeledRows> {
    return this.labeled(baselineLabeledCountSql(baselineId, task), (l) => baselineErrorsSql(baselineId, l), task, limit);
  }

  private async labeled(count: Statement, errors: (limit: number | null) => Statement, task: AnalyticsTask, limit: number): Promise<LabeledRows> {
    const row = await this.first<{ n: number; correct: number | null }>(count);
    const n = row?.n ?? 0;
    if (task !== 'regression' || n === 0) return { n, correct: row?.correct ?? null, errors: task === 'regression' ? [] : null };
    const e = await this.first<{ errors: number[] | null }>(errors(n > limit ? limit : null));
    return { n, correct: null, errors: e?.errors ?? [] };
  }
}

/** The production version of a model, if any (drift compares it with its baseline and shows its stream detector). */
export async function productionVersionOf(pool: pg.Pool, modelId: string): Promise<{ id: string; name: string } | null> {
  const { rows } = await pool.query('SELECT v.id, v.name FROM models m JOIN model_versions v ON v.id = m.production_version_id WHERE m.id = $1', [modelId]);
  return rows[0] ? { id: rows[0].id as string, name: rows[0].name as string } : null;
}
