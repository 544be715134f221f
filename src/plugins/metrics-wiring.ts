import type { ClaimedMessage, AttemptOutcome, FinishedAttempt } from '../db/repositories/webhooks.js';
import type { OutcomeIngestService } from '../services/outcome-ingest.js';
import type { PerformanceQuery, PerformanceService } from '../services/performance.js';
import type { PredictionIngestService } from '../services/prediction-ingest.js';
import type { DeliveryResult, HindsightMetrics, IngestKind } from './metrics-registry.js';

/**
 * How the composition root attaches the metrics to services without the services knowing: each function
 * returns the service with one method observed (the rest inherited, untouched). Metrics never fail or
 * delay the call they observe.
 */

const modelField = (body: unknown): string | undefined => {
  const model = (body as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model : undefined;
};

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A metric is never worth failing a request.
  }
}

/** Counts every prediction by model and result, and the size of each batch (a batch passes `checkShape`). */
export function countPredictions(service: PredictionIngestService, metrics: HindsightMetrics): PredictionIngestService {
  const observed = Object.create(service) as PredictionIngestService;
  observed.ingest = async (bodies, principal, prefixOf, checkShape) => {
    const batch = checkShape !== undefined;
    try {
      const results = await service.ingest(bodies, principal, prefixOf, checkShape);
      safely(() => metrics.ingestResults('prediction', bodies, results, (i) => { const r = results[i]; return r?.status === 'created' ? r.model : modelField(bodies[i]); }, batch));
      return results;
    } catch (error) {
      safely(() => metrics.ingestFailed('prediction', bodies, (i) => modelField(bodies[i]), batch));
      throw error;
    }
  };
  return observed;
}

/** Counts every outcome by model and result, and the size of each batch. */
export function countOutcomes(service: OutcomeIngestService, metrics: HindsightMetrics): OutcomeIngestService {
  const observed = Object.create(service) as OutcomeIngestService;
  observed.record = async (bodies, principal, prefixOf, checkShape) => {
    const batch = checkShape !== undefined;
    try {
      const results = await service.record(bodies, principal, prefixOf, checkShape);
      safely(() => metrics.ingestResults('outcome', bodies, results, (i) => { const r = results[i]; return r && r.status !== 'failed' ? r.outcome.model : modelField(bodies[i]); }, batch));
      return results;
    } catch (error) {
      safely(() => metrics.ingestFailed('outcome', bodies, (i) => modelField(bodies[i]), batch));
      throw error;
    }
  };
  return observed;
}

/**
 * Publishes the overall metrics of every `performance()` computed over a standard window (24h, 7d, 30d;
 * none given is 7d) without version or source filter: the API's and the daily job's alike.
 */
export function publishPerformance(service: PerformanceService, metrics: HindsightMetrics): PerformanceService {
  const observed = Object.create(service) as PerformanceService;
  observed.performance = async (modelName: string, query: PerformanceQuery) => {
    const result = await service.performance(modelName, query);
    const q = query as PerformanceQuery & { window?: string; from?: string; to?: string; last?: number };
    if (q.version === undefined && q.source === undefined && q.from === undefined && q.to === undefined && q.last === undefined) {
      safely(() => metrics.modelPerformance(modelName, q.window ?? '7d', result.sampleCount, result.metrics as Record<string, unknown> | null));
    }
    return result;
  };
  return observed;
}

type OnFinished = (message: ClaimedMessage, outcome: AttemptOutcome, finished: FinishedAttempt) => Promise<void>;

/** Counts every recorded webhook attempt by event type and result, then hands it on (alerts). */
export function countDeliveries(next: OnFinished, metrics: HindsightMetrics): OnFinished {
  return (message, outcome, finished) => {
    const result: DeliveryResult = outcome.next.kind === 'failed' && outcome.next.disableEndpoint ? 'disabled' : outcome.next.kind;
    safely(() => metrics.webhookDelivery(message.eventType, result, outcome.durationMs / 1000));
    return next(message, outcome, finished);
  };
}

export type { IngestKind };
