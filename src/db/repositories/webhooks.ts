import type pg from 'pg';
import { type Queryable, inTransaction } from '../transaction.js';
import {
  type AttemptOutcome,
  type AttemptRow,
  type ClaimedMessage,
  type EndpointKind,
  type EndpointRow,
  type FinishedAttempt,
  type MessageRow,
  type NewMessage,
  type VersionEventRow,
  toEndpoint,
} from './webhook-rows.js';

export type { AttemptOutcome, AttemptRow, ClaimedMessage, EndpointKind, EndpointRow, FinishedAttempt, MessageRow, NewMessage, VersionEventRow } from './webhook-rows.js';

const INTERRUPTED = 'interrupted: the process delivering it stopped before recording the outcome';

/** Webhook endpoints, the outbox and its delivery log. */
export class WebhooksRepository {
  constructor(private readonly pool: pg.Pool) {}

  transaction<T>(work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /**
   * The training webhook of a model. `lock` (inside a transaction that will reference it): FOR SHARE, so
   * that a concurrent DELETE of the webhook waits for the transaction instead of removing the row between
   * this read and the insert of a message that references it (a foreign-key violation, found by the fuzzer).
   */
  async training(modelId: string, q: Queryable = this.pool, lock = false): Promise<EndpointRow | null> {
    const { rows } = await q.query(`SELECT * FROM webhook_endpoints WHERE model_id = $1 AND kind = 'training'${lock ? ' FOR SHARE' : ''}`, [modelId]);
    return rows[0] ? toEndpoint(rows[0]) : null;
  }

  /**
   * Creates or updates the training webhook. A new or rotated secret replaces the stored one (on rotation
   * the old one stays valid until `previousExpiresAt`); saving re-enables a disabled webhook.
   */
  async saveTraining(
    modelId: string,
    input: { url: string; secret: string; secretPrefix: string; rotate: boolean; previousExpiresAt: Date },
  ): Promise<{ endpoint: EndpointRow; created: boolean }> {
    const { rows } = await this.pool.query(
      `INSERT INTO webhook_endpoints (model_id, kind, url, events, secret, secret_prefix)
       VALUES ($1, 'training', $2, ARRAY['retrain.requested'], $3, $4)
       ON CONFLICT (model_id) WHERE kind = 'training' DO UPDATE SET
         url = EXCLUDED.url, status = 'active', disabled_reason = NULL, disabled_at = NULL, updated_at = now(),
         previous_secret = CASE WHEN $5 THEN webhook_endpoints.secret ELSE webhook_endpoints.previous_secret END,
         previous_secret_expires_at = CASE WHEN $5 THEN $6 ELSE webhook_endpoints.previous_secret_expires_at END,
         secret = CASE WHEN $5 THEN EXCLUDED.secret ELSE webhook_endpoints.secret END,
         secret_prefix = CASE WHEN $5 THEN EXCLUDED.secret_prefix ELSE webhook_endpoints.secret_prefix END
       RETURNING *, (xmax = 0) AS created`,
      [modelId, input.url, input.secret, input.secretPrefix, input.rotate, input.previousExpiresAt],
    );
    return { endpoint: toEndpoint(rows[0]!), created: rows[0]!.created as boolean };
  }

  async createSubscription(modelId: string, input: { url: string; events: string[]; secret: string; secretPrefix: string }): Promise<EndpointRow> {
    const { rows } = await this.pool.query(
      `INSERT INTO webhook_endpoints (model_id, kind, url, events, secret, secret_prefix) VALUES ($1, 'subscription', $2, $3, $4, $5) RETURNING *`,
      [modelId, input.url, input.events, input.secret, input.secretPrefix],
    );
    return toEndpoint(rows[0]!);
  }

  async subscriptions(modelId: string): Promise<EndpointRow[]> {
    const { rows } = await this.pool.query(`SELECT * FROM webhook_endpoints WHERE model_id = $1 AND kind = 'subscription' ORDER BY created_at, id`, [modelId]);
    return rows.map(toEndpoint);
  }

  /**
   * Deletes an endpoint; its pending messages fail, and so do the retrain requests waiting on them.
   * Returns null when there was no such endpoint.
   */
  deleteEndpoint(modelId: string, kind: EndpointKind, id: string, reason: string): Promise<{ failedRequests: { id: string; modelId: string }[] } | null> {
    return this.transaction(async (tx) => {
      const { rowCount } = await tx.query('SELECT 1 FROM webhook_endpoints WHERE id = $1 AND model_id = $2 AND kind = $3 FOR UPDATE', [id, modelId, kind]);
      if (!rowCount) return null;
      const failed = await this.failPending(tx, id, reason);
      await tx.query('DELETE FROM webhook_endpoints WHERE id = $1', [id]);
      return { failedRequests: failed };
    });
  }

  async insertMessage(q: Queryable, m: NewMessage): Promise<void> {
    await q.query(
      `INSERT INTO webhook_messages (id, endpoint_id, model_id, event_type, body, retrain_request_id, source_event_id, alert_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [m.id, m.endpointId, m.modelId, m.eventType, m.body, m.retrainRequestId ?? null, m.sourceEventId ?? null, m.alertId ?? null],
    );
  }

  /**
   * Turns promotions and rollbacks not yet relayed (version_events) into messages for the active
   * subscriptions to them that existed at the time. Rows are locked (SKIP LOCKED) so that replicas relay
   * each event once; `build` makes the message of one event for one endpoint.
   */
  relayVersionEvents(build: (event: VersionEventRow, endpointId: string) => NewMessage, limit = 100): Promise<number> {
    return this.transaction(async (tx) => {
      const { rows } = await tx.query(
        `SELECT e.id::text AS id, e.model_id, m.name AS model, e.action, e.reason, e.created_at,
           v.name AS version, v.artifact_uri, f.name AS from_version
         FROM version_events e JOIN models m ON m.id = e.model_id JOIN model_versions v ON v.id = e.version_id
         LEFT JOIN model_versions f ON f.id = e.from_version_id
         WHERE e.relayed_at IS NULL ORDER BY e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED`,
        [limit],
      );
      let created = 0;
      for (const r of rows) {
        const event: VersionEventRow = {
          id: r.id,
          modelId: r.model_id,
          model: r.model,
          action: r.action,
          reason: r.reason,
          createdAt: r.created_at,
          version: r.version,
          artifactUri: r.artifact_uri,
          fromVersion: r.from_version,
        };
        const type = event.action === 'rollback' ? 'model.version.rolled_back' : 'model.version.promoted';
        const { rows: endpoints } = await tx.query<{ id: string }>(
          `SELECT id FROM webhook_endpoints WHERE model_id = $1 AND kind = 'subscription' AND status = 'active' AND $2 = ANY(events) AND created_at <= $3`,
          [event.modelId, type, event.createdAt],
        );
        for (const endpoint of endpoints) {
          const message = build(event, endpoint.id);
          const inserted = await tx.query(
            `INSERT INTO webhook_messages (id, endpoint_id, model_id, event_type, body, source_event_id) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (source_event_id, endpoint_id) WHERE source_event_id IS NOT NULL DO NOTHING`,
            [message.id, message.endpointId, message.modelId, message.eventType, message.body, event.id],
          );
          created += inserted.rowCount ?? 0;
        }
      }
      if (rows.length > 0) await tx.query('UPDATE version_events SET relayed_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      return created;
    });
  }

  /**
   * Claims due messages for one attempt each: the attempt counter goes up and the message is leased (its
   * next_attempt_at moves past the longest possible attempt), so that no other worker sends the same attempt.
   * A message whose previous claim was never finished (its worker died) gets that attempt logged as interrupted.
   */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
    const { rows } = await this.pool.query(
      `WITH due AS (
         SELECT id, claimed_at AS previous_claim FROM webhook_messages
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_messages m SET attempt_count = m.attempt_count + 1, claimed_at = now(),
           next_attempt_at = now() + $2::float8 * interval '1 millisecond'
         FROM due WHERE m.id = due.id
         RETURNING m.id, m.event_type, m.body, m.attempt_count, m.retrain_request_id, m.model_id, m.endpoint_id, due.previous_claim
       ), interrupted AS (
         INSERT INTO webhook_attempts (message_id, attempt, url, started_at, status_code, duration_ms, error)
         SELECT c.id, c.attempt_count - 1, COALESCE(e.url, ''), c.previous_claim, NULL, NULL, '${INTERRUPTED}'
         FROM claimed c LEFT JOIN webhook_endpoints e ON e.id = c.endpoint_id WHERE c.previous_claim IS NOT NULL
       )
       SELECT c.*, e.kind, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at, e.status AS endpoint_status
       FROM claimed c LEFT JOIN webhook_endpoints e ON e.id = c.endpoint_id`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({
      id: r.id,
      eventType: r.event_type,
      body: r.body,
      attempt: r.attempt_count,
      retrainRequestId: r.retrain_request_id,
      modelId: r.model_id,
      endpoint:
        r.endpoint_id && r.url
          ? {
              id: r.endpoint_id,
              kind: r.kind,
              url: r.url,
              secret: r.secret,
              previousSecret: r.previous_secret,
              previousSecretExpiresAt: r.previous_secret_expires_at,
              status: r.endpoint_status,
            }
          : null,
    }));
  }

  /** Logs an attempt and moves its message on, in one transaction with what follows from it. */
  finishAttempt(o: AttemptOutcome, endpointId: string | null): Promise<FinishedAttempt> {
    return this.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO webhook_attempts (message_id, attempt, url, started_at, status_code, duration_ms, error) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [o.messageId, o.attempt, o.url, o.startedAt, o.statusCode, o.durationMs, o.error],
      );
      const claim = [o.messageId, o.attempt];
      const where = `WHERE id = $1 AND attempt_count = $2 AND status = 'pending' RETURNING retrain_request_id`;
      let updated: pg.QueryResult<{ retrain_request_id: string | null }>;
      if (o.next.kind === 'succeeded') {
        updated = await tx.query(`UPDATE webhook_messages SET status = 'succeeded', completed_at = now(), claimed_at = NULL, last_error = NULL ${where}`, claim);
      } else if (o.next.kind === 'retry') {
        updated = await tx.query(
          `UPDATE webhook_messages SET next_attempt_at = now() + $3::float8 * interval '1 millisecond', claimed_at = NULL, last_error = $4 ${where}`,
          [...claim, o.next.delayMs, o.error],
        );
      } else {
        updated = await tx.query(`UPDATE webhook_messages SET status = 'failed', completed_at = now(), claimed_at = NULL, last_error = $3 ${where}`, [...claim, o.error]);
      }
      const result: FinishedAttempt = { recorded: (updated.rowCount ?? 0) > 0, failedRequests: [], endpointDisabled: false };
      const requestId = updated.rows[0]?.retrain_request_id ?? null;
      if (result.recorded && requestId && o.next.kind === 'succeeded') {
        await tx.query(`UPDATE retrain_requests SET status = 'delivered', delivered_at = now(), updated_at = now() WHERE id = $1 AND status = 'pending'`, [requestId]);
      }
      if (result.recorded && requestId && o.next.kind === 'failed') {
        result.failedRequests.push(...(await this.failRequests(tx, [requestId], o.next.reason)));
      }
      if (o.next.kind === 'failed' && o.next.disableEndpoint && endpointId) {
        const { rowCount } = await tx.query(
          `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, disabled_at = now(), updated_at = now() WHERE id = $1 AND status = 'active'`,
          [endpointId, o.next.disableEndpoint],
        );
        result.endpointDisabled = (rowCount ?? 0) > 0;
        result.failedRequests.push(...(await this.failPending(tx, endpointId, o.next.disableEndpoint)));
      }
      return result;
    });
  }

  /** Fails the pending messages of an endpoint and the pending retrain requests behind them. */
  private async failPending(tx: pg.PoolClient, endpointId: string, reason: string): Promise<{ id: string; modelId: string }[]> {
    const { rows } = await tx.query<{ retrain_request_id: string | null }>(
      `UPDATE webhook_messages SET status = 'failed', completed_at = now(), claimed_at = NULL, last_error = $2
       WHERE endpoint_id = $1 AND status = 'pending' RETURNING retrain_request_id`,
      [endpointId, reason],
    );
    const ids = rows.map((r) => r.retrain_request_id).filter((id): id is string => id !== null);
    return ids.length > 0 ? this.failRequests(tx, ids, reason) : [];
  }

  private async failRequests(tx: pg.PoolClient, ids: string[], reason: string): Promise<{ id: string; modelId: string }[]> {
    const { rows } = await tx.query<{ id: string; model_id: string }>(
      `UPDATE retrain_requests SET status = 'failed', failure_reason = $2, completed_at = now(), updated_at = now()
       WHERE id = ANY($1::uuid[]) AND status = 'pending' RETURNING id, model_id`,
      [ids, reason],
    );
    return rows.map((r) => ({ id: r.id, modelId: r.model_id }));
  }

  /** Stops delivering a retrain request's webhook (the trainer has already answered). */
  async cancelForRequest(q: Queryable, retrainRequestId: string, reason: string): Promise<void> {
    await q.query(
      `UPDATE webhook_messages SET status = 'cancelled', completed_at = now(), claimed_at = NULL, last_error = $2 WHERE retrain_request_id = $1 AND status = 'pending'`,
      [retrainRequestId, reason],
    );
  }

  async messagesOfRequests(ids: string[]): Promise<Map<string, MessageRow>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.pool.query(
      `SELECT id, event_type, retrain_request_id, status, attempt_count, next_attempt_at, last_error, created_at, completed_at
       FROM webhook_messages WHERE retrain_request_id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(
      rows.map((r) => [
        r.retrain_request_id as string,
        {
          id: r.id,
          eventType: r.event_type,
          retrainRequestId: r.retrain_request_id,
          status: r.status,
          attemptCount: r.attempt_count,
          nextAttemptAt: r.next_attempt_at,
          lastError: r.last_error,
          createdAt: r.created_at,
          completedAt: r.completed_at,
        },
      ]),
    );
  }

  async attempts(messageIds: string[]): Promise<Map<string, AttemptRow[]>> {
    const map = new Map<string, AttemptRow[]>();
    if (messageIds.length === 0) return map;
    const { rows } = await this.pool.query(
      `SELECT message_id, attempt, url, started_at, status_code, duration_ms, error FROM webhook_attempts WHERE message_id = ANY($1::text[]) ORDER BY message_id, id`,
      [messageIds],
    );
    for (const r of rows) {
      const list = map.get(r.message_id) ?? [];
      list.push({ messageId: r.message_id, attempt: r.attempt, url: r.url, startedAt: r.started_at, statusCode: r.status_code, durationMs: r.duration_ms, error: r.error });
      map.set(r.message_id, list);
    }
    return map;
  }
}
