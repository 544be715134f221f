import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';
import { freePort, startServer, waitForStatus, type ServerProcess } from '../helpers/server-process.js';

/**
 * The "done when": three real Hindsight processes on one database, each with the scheduler on and
 * a daily-learning cron of every 5 seconds, for one minute, record exactly one run per slot.
 */

const REPLICAS = 3;
const SLOT_MS = 5_000;
const WATCH_MS = 60_000;
const children: ServerProcess[] = [];
let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop(10_000)));
});

describe('three replicas on one database', () => {
  it('record exactly one daily-learning run per 5-second slot for a minute', { timeout: 180_000 }, async () => {
    const key = `replica-test-admin-key-${randomBytes(8).toString('hex')}`;
    const ports = await Promise.all(Array.from({ length: REPLICAS }, () => freePort()));
    for (const [i, port] of ports.entries()) {
      children.push(
        startServer({
          DATABASE_URL: databaseUrl,
          PORT: String(port),
          HINDSIGHT_ADMIN_KEY: key,
          LOG_LEVEL: 'info',
          SCHEDULER_ENABLED: 'true',
          DAILY_JOB_CRON: '*/5 * * * * *',
          HINDSIGHT_REPLICA_ID: `replica-${i + 1}`,
          DATABASE_POOL_SIZE: '5',
        }),
      );
    }
    await Promise.all(children.map((child) => child.waitFor(/scheduler started/, 90_000)));
    await Promise.all(ports.map((port) => waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 30_000)));

    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    const to = Date.now();
    // Stopping waits for the runs in progress: every slot fired before `to` is in the ledger afterwards.
    await Promise.all(children.map((child) => child.stop(20_000)));
    for (const child of children) expect(await child.exited, child.stderr()).toEqual({ code: 0, signal: null });

    const sql = new pg.Client({ connectionString: databaseUrl });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ slot: Date; status: string; replica_id: string; trigger: string; error: string | null }>(
        `SELECT slot, status, replica_id, trigger, error FROM job_runs WHERE job = 'daily-learning' ORDER BY slot`,
      );
      const { rows: duplicates } = await sql.query(`SELECT slot, count(*)::int AS n FROM job_runs WHERE job = 'daily-learning' GROUP BY slot HAVING count(*) > 1`);
      expect(duplicates).toEqual([]);
      expect(rows.every((r) => r.trigger === 'schedule')).toBe(true);
      // Every slot is a scheduled fire time: a multiple of 5 s, no milliseconds, whoever ran it.
      for (const r of rows) expect(r.slot.getTime() % SLOT_MS, r.slot.toISOString()).toBe(0);

      // The slots strictly inside the minute (the first and last boundary slots may or may not be there).
      const expected: number[] = [];
      for (let t = Math.floor(from / SLOT_MS) * SLOT_MS + SLOT_MS; t <= to - 1_000; t += SLOT_MS) expected.push(t);
      const inside = rows.map((r) => r.slot.getTime()).filter((t) => t >= expected[0]! && t <= expected[expected.length - 1]!);
      expect(expected.length).toBeGreaterThanOrEqual(11);
      expect(inside.map((t) => new Date(t).toISOString())).toEqual(expected.map((t) => new Date(t).toISOString()));

      const failed = rows.filter((r) => r.status === 'failed' || r.status === 'running');
      expect(failed, JSON.stringify(failed)).toEqual([]);
      const byReplica = Object.fromEntries(Array.from({ length: REPLICAS }, (_, i) => `replica-${i + 1}`).map((id) => [id, rows.filter((r) => r.replica_id === id).length]));
      const skipped = rows.filter((r) => r.status === 'skipped').length;
      console.log(`${rows.length} daily-learning runs over ${((to - from) / 1000).toFixed(1)} s (${expected.length} slots inside), ${skipped} skipped; by replica: ${JSON.stringify(byReplica)}`);
    } finally {
      await sql.end();
    }
  });
});
