import type pg from 'pg';
import { isDatabaseUnavailable } from './client.js';

/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Runs `work` in one transaction on one pooled connection: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    if (isDatabaseUnavailable(error)) broken = error as Error;
    throw error;
  } finally {
    // A connection that failed mid-transaction is discarded rather than returned to the pool.
    client.release(broken);
  }
}

/** A transaction-scoped advisory lock on a text key (released at COMMIT or ROLLBACK). */
export async function lockKey(tx: pg.PoolClient, key: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
}
