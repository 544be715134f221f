import type { GateStatus, RetrainRequestRow } from '../db/repositories/retrain.js';
import type { AttemptRow, MessageRow, WebhooksRepository } from '../db/repositories/webhooks.js';

export interface AttemptView {
  attempt: number;
  at: string;
  statusCode: number | null;
  durationMs: number | null;
  error: string | null;
}

export interface RetrainRequestView {
  id: string;
  model: string;
  tier: string | null;
  status: RetrainRequestRow['status'];
  trigger: 'manual' | 'auto';
  reason: string;
  reasons: string[];
  forced: boolean;
  productionVersion: string | null;
  dataset: { id: string; number: number; rows: number; sha256: string; url: string };
  callbackUrl: string;
  delivery: {
    webhookId: string;
    status: MessageRow['status'];
    attemptCount: number;
    nextAttemptAt: string | null;
    lastError: string | null;
    attempts: AttemptView[];
  } | null;
  result: Record<string, unknown> | null;
  resultReceivedAt: string | null;
  candidate: {
    version: string | null;
    gate: { status: GateStatus | null; reason: string | null; evaluatedAt: string | null; detail: Record<string, unknown> | null };
  } | null;
  failureReason: string | null;
  createdAt: string;
  deliveredAt: string | null;
  completedAt: string | null;
}

const attemptView = (a: AttemptRow): AttemptView => ({
  attempt: a.attempt,
  at: a.startedAt.toISOString(),
  statusCode: a.statusCode,
  durationMs: a.durationMs,
  error: a.error,
});

/** Requests as the API shows them, with their delivery and its every attempt (two queries for any number of requests). */
export async function viewRequests(rows: RetrainRequestRow[], webhooks: WebhooksRepository, publicUrl: string): Promise<RetrainRequestView[]> {
  const messages = await webhooks.messagesOfRequests(rows.map((r) => r.id));
  const attempts = await webhooks.attempts([...messages.values()].map((m) => m.id));
  return rows.map((r) => {
    const message = messages.get(r.id);
    return {
      id: r.id,
      model: r.model,
      tier: r.tier,
      status: r.status,
      trigger: r.trigger,
      reason: r.reason,
      reasons: r.reasons,
      forced: r.forced,
      productionVersion: r.productionVersion,
      dataset: { id: r.datasetId, number: r.dataset.number, rows: r.dataset.rows, sha256: r.dataset.sha256, url: `${publicUrl}/v1/datasets/${r.datasetId}/rows?format=jsonl` },
      callbackUrl: callbackUrl(publicUrl, r.id),
      delivery: message
        ? {
            webhookId: message.id,
            status: message.status,
            attemptCount: message.attemptCount,
            nextAttemptAt: message.status === 'pending' ? message.nextAttemptAt.toISOString() : null,
            lastError: message.lastError,
            attempts: (attempts.get(message.id) ?? []).map(attemptView),
          }
        : null,
      result: r.result,
      resultReceivedAt: r.resultReceivedAt?.toISOString() ?? null,
      candidate:
        r.candidateVersionId || r.candidateVersion
          ? {
              version: r.candidateVersion,
              gate: { status: r.gateStatus, reason: r.gateReason, evaluatedAt: r.gateEvaluatedAt?.toISOString() ?? null, detail: r.gate },
            }
          : null,
      failureReason: r.failureReason,
      createdAt: r.createdAt.toISOString(),
      deliveredAt: r.deliveredAt?.toISOString() ?? null,
      completedAt: r.completedAt?.toISOString() ?? null,
    };
  });
}

export const callbackUrl = (publicUrl: string, id: string) => `${publicUrl}/v1/retrain-requests/${id}/result`;
