import type { DriftStreamRepository, StoredDetector, StoredEvent, StreamCursor } from '../db/repositories/drift-stream.js';
import type { DdmState } from '../stats/index.js';
import { DDM_PARAMETERS, PAGE_HINKLEY_PARAMETERS, PH_SCALE_OUTCOMES, type PageHinkleyRun, type StreamEvent, detectorFor, initialDetector, observe } from '../domain/drift/stream.js';
import type { ModelSpec, Task } from '../domain/model-spec.js';

/** Outcomes read and fed per transaction. */
const CHUNK = 20_000;
/** A drift read waits this long for the stream to catch up, then answers with the state so far (upToDate: false). */
const READ_WAIT_MS = 1_000;
/** Retries while outcomes wait behind transactions that were still running (ms). */
const RETRY_DELAYS = [50, 100, 250, 500, 1000, 2000, 5000, 5000, 5000, 5000];

export interface StreamView {
  detector: 'ddm' | 'page-hinkley';
  version: string | null;
  status: 'stable' | 'warning' | 'drift';
  samples: number;
  totalSamples: number;
  since: string | null;
  statusSince: string | null;
  lastOutcomeAt: string | null;
  statistic: { name: string; value: number } | null;
  lastDrift: { detectedAt: string; samples: number } | null;
  driftCount: number;
  upToDate: boolean;
  parameters: Record<string, number | string>;
}

interface Logger {
  warn(obj: object, message: string): void;
}

interface Run {
  promise: Promise<{ pending: boolean }>;
}

/**
 * Advances the streaming concept-drift detectors (DDM, Page–Hinkley) of each model over its outcomes in
 * arrival order, incrementally from a stored position. Triggered after outcome ingestion (fire-and-forget,
 * coalesced per model: one run at a time, one more when outcomes arrived meanwhile) and on every drift read.
 */
export class DriftStreamService {
  private readonly runs = new Map<string, Run>();
  private readonly dirty = new Set<string>();
  private readonly retry = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  private stopped = false;

  constructor(
    private readonly repo: DriftStreamRepository,
    private readonly log: Logger,
  ) {}

  /** The ingestion hook: never throws, never waits. */
  notify(modelIds: Iterable<string>): void {
    for (const id of new Set(modelIds)) void this.advance(id).catch(() => {});
  }

  /** Brings the model's detectors up to date with every outcome committed so far; coalesced with a run in progress. */
  advance(modelId: string): Promise<{ pending: boolean }> {
    if (this.stopped) return Promise.resolve({ pending: false });
    const running = this.runs.get(modelId);
    if (running) {
      this.dirty.add(modelId);
      return running.promise;
    }
    const run: Run = { promise: this.loop(modelId) };
    this.runs.set(modelId, run);
    void run.promise.finally(() => this.runs.delete(modelId)).catch(() => {});
    return run.promise;
  }

  private async loop(modelId: string): Promise<{ pending: boolean }> {
    let result = { pending: false };
    do {
      this.dirty.delete(modelId);
      try {
        result = await this.catchUp(modelId);
      } catch (error) {
        this.log.warn({ err: error, modelId }, 'the drift stream detectors could not advance');
        result = { pending: true };
      }
    } while (this.dirty.has(modelId) && !this.stopped);
    this.scheduleRetry(modelId, result.pending);
    return result;
  }

  private scheduleRetry(modelId: string, pending: boolean): void {
    const previous = this.retry.get(modelId);
    if (previous) clearTimeout(previous.timer);
    this.retry.delete(modelId);
    if (!pending || this.stopped) return;
    const attempt = (previous?.attempt ?? -1) + 1;
    if (attempt >= RETRY_DELAYS.length) return; // the next outcome or read tries again
    const timer = setTimeout(() => void this.advance(modelId).catch(() => {}), RETRY_DELAYS[attempt]);
    timer.unref();
    this.retry.set(modelId, { timer, attempt });
  }

  /** Reads and feeds outcomes chunk by chunk, each chunk in its own transaction, until nothing committed is left. */
  private async catchUp(modelId: string): Promise<{ pending: boolean }> {
    for (;;) {
      const step = await this.repo.step(modelId, async (s) => {
        const task = await s.task();
        if (!task) return { done: true, pending: false };
        const cursor = await s.cursor();
        const horizon = await s.horizon();
        const outcomes = await s.outcomes(cursor, horizon, CHUNK);
        if (outcomes.length === 0) return { done: true, pending: await s.pendingAt(horizon) };
        const detectors = new Map((await s.detectors()).map((d) => [d.versionId, d]));
        const touched = new Set<StoredDetector>();
        const events: (StreamEvent & { versionId: string | null; detector: string })[] = [];
        for (const o of outcomes) {
          let d = detectors.get(o.versionId);
          if (!d) {
            d = { id: null, versionId: o.versionId, ...initialDetector(detectorFor(task as Task)) };
            detectors.set(o.versionId, d);
          }
          touched.add(d);
          const event = observe(d, o);
          if (event) events.push({ ...event, versionId: o.versionId, detector: d.detector });
        }
        const last = outcomes[outcomes.length - 1]!;
        const position: StreamCursor = { recordedAt: last.recordedAt, predictionId: last.predictionId };
        await s.save([...touched], events, position, outcomes.length);
        const done = outcomes.length < CHUNK;
        return { done, pending: done ? await s.pendingAt(horizon) : false };
      });
      if (step.done || this.stopped) return { pending: step.pending };
    }
  }

  /** The detector of a model version as the drift response shows it, after catching up (at most READ_WAIT_MS). */
  async view(model: ModelSpec, version: { id: string; name: string } | null): Promise<StreamView> {
    let upToDate = false;
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      this.advance(model.id).then((r) => ({ pending: r.pending })),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), READ_WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    upToDate = waited !== null && !waited.pending;
    const detectors = await this.repo.detectors(model.id);
    const detector = detectors.find((d) => d.versionId === (version?.id ?? null));
    const name = detectorFor(model.task);
    const lastEvent = detector?.lastDriftAt ? (await this.repo.events(model.id, { kind: 'drift', limit: 20 })).find((e) => e.versionId === detector.versionId) : undefined;
    return {
      detector: name,
      version: version?.name ?? null,
      status: detector?.status ?? 'stable',
      samples: detector?.samples ?? 0,
      totalSamples: detector?.totalSamples ?? 0,
      since: detector?.runStartedAt?.toISOString() ?? null,
      statusSince: detector?.statusSince?.toISOString() ?? null,
      lastOutcomeAt: detector?.lastOutcomeAt?.toISOString() ?? null,
      statistic: detector ? statisticOf(detector) : null,
      lastDrift: lastEvent ? { detectedAt: lastEvent.detectedAt.toISOString(), samples: lastEvent.samples } : null,
      driftCount: detector?.driftCount ?? 0,
      upToDate,
      parameters: name === 'ddm' ? { ...DDM_PARAMETERS, input: 'error indicator (prediction ≠ actual)' } : { ...PAGE_HINKLEY_PARAMETERS, input: `absolute error ÷ mean absolute error of the run’s first ${PH_SCALE_OUTCOMES} outcomes` },
    };
  }

  /** Warnings and drifts signalled for a model, newest first. */
  events(modelId: string, options: { since?: Date; kind?: 'warning' | 'drift'; limit?: number } = {}): Promise<StoredEvent[]> {
    return this.repo.events(modelId, { ...options, limit: options.limit ?? 100 });
  }

  /** For the alerting job (issue 6): the drifts no alert was raised for yet, marked as alerted. */
  unalertedDrifts(limit = 100): Promise<StoredEvent[]> {
    return this.repo.unalerted(limit);
  }

  markAlerted(events: StoredEvent[]): Promise<void> {
    return this.repo.markAlerted(events.map((e) => e.id));
  }

  /** Stops scheduling work and waits for the runs in progress (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.retry.values()) clearTimeout(timer);
    this.retry.clear();
    await Promise.allSettled([...this.runs.values()].map((r) => r.promise));
  }
}

function statisticOf(d: StoredDetector): { name: string; value: number } | null {
  if (d.detector === 'ddm') return { name: 'error rate of the run', value: (d.state as DdmState).errorRate };
  const run = d.state as PageHinkleyRun;
  if (run.scale === null) return null;
  return { name: 'cumulative rise of the scaled error (drift above 50)', value: run.ph.sumIncrease - (run.ph.minIncrease ?? run.ph.sumIncrease) };
}
