import type pg from 'pg';
import type { DetectorRecord, StreamEvent, StreamOutcome } from '../../domain/drift/stream.js';
import { plainArray, textArray } from '../pg-arrays.js';

/** How far a model's outcome stream was read: the last outcome consumed, in (recorded_at, prediction_id) order. */
export interface StreamCursor {
  recordedAt: Date;
  predictionId: string;
}

export interface StreamOutcomeRow extends StreamOutcome {
  versionId: string | null;
}

export interface StoredDetector extends DetectorRecord {
  id: string | null;
  versionId: string | null;
}

export interface StoredEvent extends StreamEvent {
  id: string;
  modelId: string;
  versionId: string | null;
  detector: string;
  alertedAt: Date | null;
}

const toDetector = (r: Record<string, unknown>): StoredDetector => ({
  id: r.id as string,
  versionId: (r.version_id as string | null) ?? null,
  detector: r.detector as DetectorRecord['detector'],
  state: r.state as DetectorRecord['state'],
  status: r.status as DetectorRecord['status'],
  samples: r.samples as number,
  totalSamples: Number(r.total_samples),
  runStartedAt: (r.run_started_at as Date | null) ?? null,
  statusSince: (r.status_since as Date | null) ?? null,
  lastOutcomeAt: (r.last_outcome_at as Date | null) ?? null,
  lastDriftAt: (r.last_drift_at as Date | null) ?? null,
  driftCount: r.drift_count as number,
});

const toEvent = (r: Record<string, unknown>): StoredEvent => ({
  id: String(r.id),
  modelId: r.model_id as string,
  versionId: (r.version_id as string | null) ?? null,
  detector: r.detector as string,
  kind: r.kind as StreamEvent['kind'],
  detectedAt: r.detected_at as Date,
  samples: r.samples as number,
  statistic: (r.statistic as number | null) ?? null,
  predictionId: r.prediction_id as string,
  alertedAt: (r.alerted_at as Date | null) ?? null,
});

/**
 * One step of a model's stream, inside a transaction that holds the model's stream lock (so replicas never
 * advance the same stream twice).
 *
 * Outcomes become visible in commit order, not in recorded_at order: a transaction that started earlier
 * (and so has an earlier recorded_at = its start time) may commit after a later one was read. Reading only
 * below the horizon — the start of the oldest transaction still running anywhere in the database, less
 * the millisecond recorded_at is rounded to — guarantees that nothing can still appear behind the cursor.
 */
export class StreamStep {
  constructor(
    private readonly client: pg.PoolClient,
    readonly modelId: string,
  ) {}

  /** The model's task; null when the model was deleted meanwhile. */
  async task(): Promise<string | null> {
    const { rows } = await this.client.query('SELECT task::text AS task FROM models WHERE id = $1', [this.modelId]);
    return (rows[0]?.task as string | undefined) ?? null;
  }

  async cursor(): Promise<StreamCursor | null> {
    await this.client.query('INSERT INTO drift_stream_cursors (model_id) VALUES ($1) ON CONFLICT DO NOTHING', [this.modelId]);
    const { rows } = await this.client.query('SELECT recorded_at, prediction_id FROM drift_stream_cursors WHERE model_id = $1', [this.modelId]);
    const r = rows[0];
    return r?.recorded_at ? { recordedAt: r.recorded_at as Date, predictionId: r.prediction_id as string } : null;
  }

  async horizon(): Promise<Date> {
    const { rows } = await this.client.query(
      `SELECT least(now(), (SELECT min(xact_start) FROM pg_stat_activity
         WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL)) - interval '1 millisecond' AS h`,
    );
    return rows[0]!.h as Date;
  }

  async outcomes(after: StreamCursor | null, horizon: Date, limit: number): Promise<StreamOutcomeRow[]> {
    const values: unknown[] = [this.modelId, horizon, limit];
    let position = '';
    if (after) {
      values.push(after.recordedAt, after.predictionId);
      position = 'AND (recorded_at, prediction_id) > ($4, $5)';
    }
    // The order of the (model_id, recorded_at, prediction_id) index, so each chunk is an index range scan.
    const { rows } = await this.client.query(
      `SELECT prediction_id, recorded_at, version_id, correct, absolute_error FROM outcomes
       WHERE model_id = $1 AND recorded_at < $2 ${position}
       ORDER BY recorded_at, prediction_id LIMIT $3`,
      values,
    );
    return rows.map((r) => ({
      predictionId: r.prediction_id as string,
      recordedAt: r.recorded_at as Date,
      versionId: (r.version_id as string | null) ?? null,
      correct: (r.correct as boolean | null) ?? null,
      absoluteError: (r.absolute_error as number | null) ?? null,
    }));
  }

  /** Whether outcomes exist at or above the horizon (still to be read once the transactions before them end). */
  async pendingAt(horizon: Date): Promise<boolean> {
    const { rows } = await this.client.query('SELECT EXISTS (SELECT 1 FROM outcomes WHERE model_id = $1 AND recorded_at >= $2) AS pending', [this.modelId, horizon]);
    return rows[0]!.pending as boolean;
  }

  async detectors(): Promise<StoredDetector[]> {
    return (await this.client.query('SELECT * FROM drift_detectors WHERE model_id = $1', [this.modelId])).rows.map(toDetector);
  }

  async save(detectors: StoredDetector[], events: (StreamEvent & { versionId: string | null; detector: string })[], cursor: StreamCursor, consumed: number): Promise<void> {
    for (const d of detectors) {
      const values = [d.state, d.status, d.samples, d.totalSamples, d.runStartedAt, d.statusSince, d.lastOutcomeAt, d.lastDriftAt, d.driftCount];
      if (d.id) {
        await this.client.query(
          `UPDATE drift_detectors SET state = $2, status = $3, samples = $4, total_samples = $5, run_started_at = $6, status_since = $7,
             last_outcome_at = $8, last_drift_at = $9, drift_count = $10, updated_at = now() WHERE id = $1`,
          [d.id, ...values],
        );
      } else {
        const { rows } = await this.client.query(
          `INSERT INTO drift_detectors (model_id, version_id, detector, state, status, samples, total_samples, run_started_at, status_since,
             last_outcome_at, last_drift_at, drift_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
          [this.modelId, d.versionId, d.detector, ...values],
        );
        d.id = rows[0]!.id as string;
      }
    }
    if (events.length > 0) {
      await this.client.query(
        `INSERT INTO drift_stream_events (model_id, version_id, detector, kind, detected_at, samples, statistic, prediction_id)
         SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::int[], $7::float8[], $8::text[])`,
        [
          this.modelId,
          plainArray(events.map((e) => e.versionId)),
          textArray(events.map((e) => e.detector)),
          textArray(events.map((e) => e.kind)),
          plainArray(events.map((e) => e.detectedAt.toISOString())),
          plainArray(events.map((e) => e.samples)),
          plainArray(events.map((e) => (e.statistic !== null && Number.isFinite(e.statistic) ? e.statistic : null))),
          textArray(events.map((e) => e.predictionId)),
        ],
      );
    }
    await this.client.query(
      `UPDATE drift_stream_cursors SET recorded_at = $2, prediction_id = $3, consumed = consumed + $4, updated_at = now() WHERE model_id = $1`,
      [this.modelId, cursor.recordedAt, cursor.predictionId, consumed],
    );
  }
}

export class DriftStreamRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Runs `fn` in a transaction holding the model's stream lock; commits what it saved. */
  async step<T>(modelId: string, fn: (step: StreamStep) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`hindsight_drift_stream:${modelId}`]);
      const result = await fn(new StreamStep(client, modelId));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async detectors(modelId: string): Promise<StoredDetector[]> {
    return (await this.pool.query('SELECT * FROM drift_detectors WHERE model_id = $1', [modelId])).rows.map(toDetector);
  }

  async events(modelId: string, options: { since?: Date; kind?: 'warning' | 'drift'; limit: number }): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM drift_stream_events WHERE model_id = $1 AND ($2::timestamptz IS NULL OR detected_at >= $2) AND ($3::text IS NULL OR kind = $3)
       ORDER BY detected_at DESC, id DESC LIMIT $4`,
      [modelId, options.since ?? null, options.kind ?? null, options.limit],
    );
    return rows.map(toEvent);
  }

  /** Drift events no alert was raised for yet, marked as alerted in the same statement (for the alerting job). */
  /** Drift events no alert was raised for yet, oldest first (one daily-learning run at a time reads them). */
  async unalerted(limit: number): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query(`SELECT * FROM drift_stream_events WHERE alerted_at IS NULL AND kind = 'drift' ORDER BY created_at, id LIMIT $1`, [limit]);
    return rows.map(toEvent).sort((a, b) => a.detectedAt.getTime() - b.detectedAt.getTime());
  }

  /** Marks events alerted, once their alert is stored. */
  async markAlerted(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.pool.query(`UPDATE drift_stream_events SET alerted_at = now() WHERE id = ANY($1::bigint[]) AND alerted_at IS NULL`, [ids]);
  }
}
