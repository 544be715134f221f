import {
  type DdmState,
  type DetectorStatus,
  type PageHinkleyState,
  ddmInitialState,
  ddmUpdate,
  pageHinkleyInitialState,
  pageHinkleyUpdate,
} from '../../stats/index.js';
import type { Task } from '../model-spec.js';

/**
 * Streaming concept-drift detection on a model version's outcomes, in the order they arrive:
 * - classification: DDM (Gama et al. 2004, river's defaults: 30 warm-up outcomes, warning at 2σ, drift at
 *   3σ) on the error indicator (the predicted label was wrong);
 * - regression: Page–Hinkley (river's defaults: 30 instances, δ 0.005, λ 50, α 1 − 1e-4), watching for a
 *   rise of the absolute error. λ is in units of the error itself, so the errors are divided by the mean
 *   absolute error of the first 30 outcomes of each run: λ = 50 then means "50 typical errors of excess",
 *   whatever the unit of the target.
 * After a drift the detector starts a new run (DDM and Page–Hinkley reset on the next outcome).
 */
export type StreamDetector = 'ddm' | 'page-hinkley';

export const DDM_PARAMETERS = { warmStart: 30, warningThreshold: 2, driftThreshold: 3 } as const;
export const PAGE_HINKLEY_PARAMETERS = { minInstances: 30, delta: 0.005, threshold: 50, alpha: 1 - 0.0001, mode: 'up' } as const;
/** Outcomes whose mean absolute error scales the Page–Hinkley input. */
export const PH_SCALE_OUTCOMES = 30;

export interface PageHinkleyRun {
  ph: PageHinkleyState;
  /** Mean absolute error of the run's first outcomes; null while they are being collected. */
  scale: number | null;
  /** Absolute errors collected before the scale is known. */
  pending: number[];
}

export interface DetectorRecord {
  detector: StreamDetector;
  state: DdmState | PageHinkleyRun;
  status: DetectorStatus;
  /** Outcomes in the current run (since the last reset). */
  samples: number;
  totalSamples: number;
  runStartedAt: Date | null;
  statusSince: Date | null;
  lastOutcomeAt: Date | null;
  lastDriftAt: Date | null;
  driftCount: number;
}

export interface StreamOutcome {
  predictionId: string;
  recordedAt: Date;
  correct: boolean | null;
  absoluteError: number | null;
}

export interface StreamEvent {
  kind: 'warning' | 'drift';
  detectedAt: Date;
  samples: number;
  /** DDM: the running error rate; Page–Hinkley: the cumulative rise (compared with λ). */
  statistic: number | null;
  predictionId: string;
}

export const detectorFor = (task: Task): StreamDetector => (task === 'regression' ? 'page-hinkley' : 'ddm');

export function initialDetector(detector: StreamDetector): DetectorRecord {
  return {
    detector,
    state: detector === 'ddm' ? ddmInitialState() : { ph: pageHinkleyInitialState(), scale: null, pending: [] },
    status: 'stable',
    samples: 0,
    totalSamples: 0,
    runStartedAt: null,
    statusSince: null,
    lastOutcomeAt: null,
    lastDriftAt: null,
    driftCount: 0,
  };
}

/** Feeds one outcome to a detector; returns the event it signalled, if any. The record is updated in place. */
export function observe(record: DetectorRecord, outcome: StreamOutcome): StreamEvent | undefined {
  const restart = record.status === 'drift' || record.samples === 0;
  let status: DetectorStatus;
  let statistic: number | null;
  if (record.detector === 'ddm') {
    if (outcome.correct === null) return undefined;
    const r = ddmUpdate(record.state as DdmState, !outcome.correct, DDM_PARAMETERS);
    record.state = r.state;
    record.samples = r.state.n;
    status = r.status;
    statistic = r.state.errorRate;
  } else {
    if (outcome.absoluteError === null || !Number.isFinite(outcome.absoluteError)) return undefined;
    const run = record.status === 'drift' ? { ph: pageHinkleyInitialState(), scale: null, pending: [] } : (record.state as PageHinkleyRun);
    const r = feedPageHinkley(run, outcome.absoluteError);
    record.state = r.run;
    record.samples = r.run.ph.n + r.run.pending.length;
    status = r.status;
    statistic = r.run.ph.sumIncrease - (r.run.ph.minIncrease ?? r.run.ph.sumIncrease);
  }
  if (restart) record.runStartedAt = outcome.recordedAt;
  record.totalSamples++;
  record.lastOutcomeAt = outcome.recordedAt;
  const previous = restart ? 'stable' : record.status;
  if (status !== record.status || record.statusSince === null) record.statusSince = outcome.recordedAt;
  record.status = status;
  if (status === 'drift') {
    record.lastDriftAt = outcome.recordedAt;
    record.driftCount++;
    return { kind: 'drift', detectedAt: outcome.recordedAt, samples: record.samples, statistic, predictionId: outcome.predictionId };
  }
  if (status === 'warning' && previous === 'stable') {
    return { kind: 'warning', detectedAt: outcome.recordedAt, samples: record.samples, statistic, predictionId: outcome.predictionId };
  }
  return undefined;
}

function feedPageHinkley(run: PageHinkleyRun, absoluteError: number): { run: PageHinkleyRun; status: DetectorStatus } {
  let ph = run.ph;
  if (run.scale === null) {
    const pending = [...run.pending, absoluteError];
    if (pending.length < PH_SCALE_OUTCOMES) return { run: { ph, scale: null, pending }, status: 'stable' };
    const mean = pending.reduce((s, x) => s + x, 0) / pending.length;
    const scale = mean > 0 ? mean : 1e-9;
    let status: DetectorStatus = 'stable';
    for (const x of pending) {
      const r = pageHinkleyUpdate(ph, x / scale, PAGE_HINKLEY_PARAMETERS);
      ph = r.state;
      status = r.status;
      if (status === 'drift') break;
    }
    return { run: { ph, scale, pending: [] }, status };
  }
  const r = pageHinkleyUpdate(ph, absoluteError / run.scale, PAGE_HINKLEY_PARAMETERS);
  return { run: { ph: r.state, scale: run.scale, pending: [] }, status: r.status };
}
