import type pg from 'pg';

export type RunTrigger = 'schedule' | 'manual';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

export interface JobRunRow {
  id: string;
  job: string;
  slot: Date;
  trigger: RunTrigger;
  status: RunStatus;
  replicaId: string;
  requestedBy: string | null;
  startedAt: Date;
  heartbeatAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  result: Record<string, unknown> | null;
  error: string | null;
}

const toRun = (r: Record<string, unknown>): JobRunRow => ({
  id: r.id as string,
  job: r.job as string,
  slot: r.slot as Date,
  trigger: r.trigger as RunTrigger,
  status: r.status as RunStatus,
  replicaId: r.replica_id as string,
  requestedBy: r.requested_by as string | null,
  startedAt: r.started_at as Date,
  heartbeatAt: r.heartbeat_at as Date,
  finishedAt: r.finished_at as Date | null,
  durationMs: r.duration_ms as number | null,
  result: r.result as Record<string, unknown> | null,
  error: r.error as string | null,
});

/** The outcome of trying to start a slot: this replica runs it, another replica had it, or a run of the job is still going. */
export type Claim = { kind: 'won'; run: JobRunRow } | { kind: 'taken'; run: JobRunRow } | { kind: 'busy'; running: JobRunRow };

const ELAPSED_MS = `GREATEST(0, round(extract(epoch FROM (now() - started_at)) * 1000))::int`;

/**
 * The scheduler's run ledger. A run starts with one INSERT of a `running` row: the unique (job, slot) lets
 * exactly one replica win a slot, and the partial unique index on running rows refuses a second run of
 * the same job while one is going. Both are constraints checked by PostgreSQL, so the outcome is the
 * same however many replicas race, and whatever their clocks say (they all name a slot by its scheduled time).
 */
export class JobRunsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async claim(input: { job: string; slot: Date; trigger: RunTrigger; replicaId: string; requestedBy: string | null }): Promise<Claim> {
    // A few rounds at most: a conflicting row can finish between the INSERT and the look that explains it.
    for (let round = 0; ; round++) {
      const { rows } = await this.pool.query(
        `INSERT INTO job_runs (job, slot, trigger, status, replica_id, requested_by) VALUES ($1, $2, $3, 'running', $4, $5)
         ON CONFLICT DO NOTHING RETURNING *`,
        [input.job, input.slot, input.trigger, input.replicaId, input.requestedBy],
      );
      if (rows[0]) return { kind: 'won', run: toRun(rows[0]) };
      const { rows: others } = await this.pool.query(`SELECT * FROM job_runs WHERE job = $1 AND (slot = $2 OR status = 'running') ORDER BY (slot = $2) DESC LIMIT 1`, [
        input.job,
        input.slot,
      ]);
      const other = others[0] ? toRun(others[0]) : null;
      if (other && other.slot.getTime() === input.slot.getTime()) return { kind: 'taken', run: other };
      if (other) return { kind: 'busy', running: other };
      if (round >= 3) throw new Error(`could not claim ${input.job} at ${input.slot.toISOString()}`);
    }
  }

  /** Records a slot skipped because the previous run was still going; null when another replica recorded the slot first. */
  async skip(input: { job: string; slot: Date; trigger: RunTrigger; replicaId: string; error: string }): Promise<JobRunRow | null> {
    const { rows } = await this.pool.query(
      `INSERT INTO job_runs (job, slot, trigger, status, replica_id, finished_at, duration_ms, error) VALUES ($1, $2, $3, 'skipped', $4, now(), 0, $5)
       ON CONFLICT (job, slot) DO NOTHING RETURNING *`,
      [input.job, input.slot, input.trigger, input.replicaId, input.error],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** Refreshes a running run's heartbeat; false when the run is no longer running (it was marked abandoned). */
  async heartbeat(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`UPDATE job_runs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`, [id]);
    return (rowCount ?? 0) > 0;
  }

  async finish(id: string, status: 'succeeded' | 'failed', result: Record<string, unknown> | null, error: string | null): Promise<JobRunRow | null> {
    const { rows } = await this.pool.query(
      `UPDATE job_runs SET status = $2, result = $3, error = $4, finished_at = now(), heartbeat_at = now(), duration_ms = ${ELAPSED_MS}
       WHERE id = $1 RETURNING *`,
      [id, status, result === null ? null : JSON.stringify(result), error],
    );
    return rows[0] ? toRun(rows[0]) : null;
  }

  /**
   * Marks running runs whose heartbeat is older than the lease as failed: their process died (killed, out
   * of memory, the machine lost). Every job when `job` is omitted. Returns the runs marked.
   */
  async markAbandoned(leaseMs: number, job?: string): Promise<JobRunRow[]> {
    const { rows } = await this.pool.query(
      `UPDATE job_runs SET status = 'failed', finished_at = heartbeat_at,
         duration_ms = GREATEST(0, round(extract(epoch FROM (heartbeat_at - started_at)) * 1000))::int,
         error = 'abandoned: no heartbeat from replica ' || replica_id || ' since ' || to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
           || ' (lease ' || ($1::float8 / 1000) || ' s); its process stopped during the run'
       WHERE status = 'running' AND heartbeat_at < now() - $1::float8 * interval '1 millisecond' AND ($2::text IS NULL OR job = $2)
       RETURNING *`,
      [leaseMs, job ?? null],
    );
    return rows.map(toRun);
  }

  async get(job: string, id: string): Promise<JobRunRow | null> {
    const { rows } = await this.pool.query(`SELECT * FROM job_runs WHERE job = $1 AND id = $2`, [job, id]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  async running(job: string): Promise<JobRunRow | null> {
    const { rows } = await this.pool.query(`SELECT * FROM job_runs WHERE job = $1 AND status = 'running'`, [job]);
    return rows[0] ? toRun(rows[0]) : null;
  }

  /** Newest first (started_at, id). */
  async list(job: string, filter: { status?: RunStatus; trigger?: RunTrigger; before?: { startedAt: Date; id: string }; limit: number }): Promise<JobRunRow[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM job_runs WHERE job = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR trigger = $3)
         AND ($4::timestamptz IS NULL OR (started_at, id) < ($4, $5::uuid))
       ORDER BY started_at DESC, id DESC LIMIT $6`,
      [job, filter.status ?? null, filter.trigger ?? null, filter.before?.startedAt ?? null, filter.before?.id ?? null, filter.limit],
    );
    return rows.map(toRun);
  }

  /** Each job's latest run (any status) and its running run, for GET /v1/jobs. */
  async latest(jobs: string[]): Promise<Map<string, { last: JobRunRow | null; running: JobRunRow | null }>> {
    const { rows } = await this.pool.query(
      `SELECT j.job, to_jsonb(l) AS last, to_jsonb(r) AS running FROM unnest($1::text[]) AS j(job)
       LEFT JOIN LATERAL (SELECT * FROM job_runs WHERE job = j.job ORDER BY started_at DESC, id DESC LIMIT 1) l ON true
       LEFT JOIN LATERAL (SELECT * FROM job_runs WHERE job = j.job AND status = 'running') r ON true`,
      [jobs],
    );
    const fromJson = (j: Record<string, unknown> | null): JobRunRow | null => {
      if (!j) return null;
      const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
      return toRun({ ...j, slot: date(j.slot), started_at: date(j.started_at), heartbeat_at: date(j.heartbeat_at), finished_at: date(j.finished_at) });
    };
    return new Map(rows.map((r) => [r.job as string, { last: fromJson(r.last), running: fromJson(r.running) }]));
  }

  /** Whether a slot is in the ledger (catch-up after a restart). */
  async has(job: string, slot: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM job_runs WHERE job = $1 AND slot = $2`, [job, slot]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Retention: runs older than `retentionMs`, and — sooner, after `idleMs` — the runs of `idleJobs` that did
   * nothing (skipped, or succeeded with `result.idle = true`): a webhook round every few seconds would
   * otherwise bury the history. Returns how many rows went.
   */
  async prune(retentionMs: number, idleJobs: string[], idleMs: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM job_runs WHERE status <> 'running' AND (
         started_at < now() - $1::float8 * interval '1 millisecond'
         OR (job = ANY($2::text[]) AND started_at < now() - $3::float8 * interval '1 millisecond'
             AND (status = 'skipped' OR (status = 'succeeded' AND result @> '{"idle": true}'))))`,
      [retentionMs, idleJobs, idleMs],
    );
    return rowCount ?? 0;
  }
}
