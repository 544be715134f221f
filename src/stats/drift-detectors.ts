import { StatsInputError } from './errors.js';

// Streaming concept-drift detectors as pure state machines: each update takes the previous state (plain
// JSON, so it can be stored in a database between observations) and returns a new one. Unset minima are
// null rather than Infinity because JSON cannot carry Infinity.

export type DetectorStatus = 'stable' | 'warning' | 'drift';

export interface DdmOptions {
  /** Observations before any signal (river's warm_start). */
  warmStart?: number;
  warningThreshold?: number;
  driftThreshold?: number;
}

export interface DdmState {
  n: number;
  /** Running error rate p_i. */
  errorRate: number;
  pMin: number | null;
  sMin: number | null;
  psMin: number | null;
  /** Status after the last update; a 'drift' resets the detector on the next update. */
  status: DetectorStatus;
}

export function ddmInitialState(): DdmState {
  return { n: 0, errorRate: 0, pMin: null, sMin: null, psMin: null, status: 'stable' };
}

/**
 * Drift Detection Method (Gama et al. 2004) exactly as river's `drift.binary.DDM`: p_i is the running
 * error rate, s_i = sqrt(p_i(1−p_i)/i); after the warm-up (n > 30) the minimum of p_i + s_i is tracked,
 * and p_i + s_i > p_min + 2·s_min signals a warning, > p_min + 3·s_min a drift. The comparisons are
 * strict as in river and scikit-multiflow: with ≥ an error-free stream (p = s = 0) would signal drift
 * on every sample. The state after a drift is reset by the next update.
 */
export function ddmUpdate(
  state: DdmState,
  isError: boolean,
  options: DdmOptions = {},
): { state: DdmState; status: DetectorStatus } {
  const warmStart = options.warmStart ?? 30;
  const warningThreshold = options.warningThreshold ?? 2;
  const driftThreshold = options.driftThreshold ?? 3;
  const prev = state.status === 'drift' ? ddmInitialState() : state;
  const n = prev.n + 1;
  const errorRate = prev.errorRate + ((isError ? 1 : 0) - prev.errorRate) / n;
  const s = Math.sqrt((errorRate * (1 - errorRate)) / n);
  let { pMin, sMin, psMin } = prev;
  let status: DetectorStatus = 'stable';
  if (n > warmStart) {
    if (psMin === null || errorRate + s <= psMin) {
      pMin = errorRate;
      sMin = s;
      psMin = errorRate + s;
    }
    const level = errorRate + s;
    if (level > (pMin as number) + driftThreshold * (sMin as number)) status = 'drift';
    else if (level > (pMin as number) + warningThreshold * (sMin as number)) status = 'warning';
  }
  return { state: { n, errorRate, pMin, sMin, psMin, status }, status };
}

export interface PageHinkleyOptions {
  minInstances?: number;
  delta?: number;
  /** λ, the detection threshold. */
  threshold?: number;
  /** Forgetting factor applied to the cumulative sums. */
  alpha?: number;
  mode?: 'up' | 'down' | 'both';
}

export interface PageHinkleyState {
  n: number;
  mean: number;
  sumIncrease: number;
  sumDecrease: number;
  minIncrease: number | null;
  maxDecrease: number;
  status: DetectorStatus;
}

export function pageHinkleyInitialState(): PageHinkleyState {
  // river starts _max_decrease at −1, not −∞; kept for identical behaviour.
  return { n: 0, mean: 0, sumIncrease: 0, sumDecrease: 0, minIncrease: null, maxDecrease: -1, status: 'stable' };
}

/**
 * Page–Hinkley test exactly as river's `drift.PageHinkley` with its defaults (min_instances 30,
 * delta 0.005, threshold λ = 50, alpha 1 − 0.0001, mode 'both'): cumulative deviations from the
 * running mean, faded by alpha, minus/plus delta; drift when the rise above the minimum (or the fall
 * below the maximum) exceeds λ. Page–Hinkley has no warning zone.
 */
export function pageHinkleyUpdate(
  state: PageHinkleyState,
  x: number,
  options: PageHinkleyOptions = {},
): { state: PageHinkleyState; status: DetectorStatus } {
  if (!Number.isFinite(x)) throw new StatsInputError(`Page–Hinkley needs finite observations, got ${x}`);
  const minInstances = options.minInstances ?? 30;
  const delta = options.delta ?? 0.005;
  const threshold = options.threshold ?? 50;
  const alpha = options.alpha ?? 1 - 0.0001;
  const mode = options.mode ?? 'both';
  const prev = state.status === 'drift' ? pageHinkleyInitialState() : state;
  const n = prev.n + 1;
  const mean = prev.mean + (x - prev.mean) / n;
  const dev = x - mean;
  const sumIncrease = alpha * prev.sumIncrease + dev - delta;
  const sumDecrease = alpha * prev.sumDecrease + dev + delta;
  const minIncrease = prev.minIncrease === null ? sumIncrease : Math.min(prev.minIncrease, sumIncrease);
  const maxDecrease = Math.max(prev.maxDecrease, sumDecrease);
  let status: DetectorStatus = 'stable';
  if (n >= minInstances) {
    const up = sumIncrease - minIncrease > threshold;
    const down = maxDecrease - sumDecrease > threshold;
    if ((mode !== 'down' && up) || (mode !== 'up' && down)) status = 'drift';
  }
  return { state: { n, mean, sumIncrease, sumDecrease, minIncrease, maxDecrease, status }, status };
}
