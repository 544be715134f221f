/**
 * When a webhook is (re)sent: DESIGN §5's schedule, the one Svix uses. Entry i is the delay before attempt
 * i + 1, counted from the failure of attempt i: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight
 * attempts over about 27.6 hours. Retries are spread by ±20 % jitter so that a recovering receiver is not
 * hit by every sender at once; a Retry-After answer postpones the next attempt to at least that time
 * (capped), never earlier than the schedule says.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];
export const JITTER = 0.2;
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return null;
  return Math.max(0, at - now.getTime());
}

export interface DelayOptions {
  schedule?: readonly number[];
  jitter?: number;
  maxRetryAfterMs?: number;
  /** Uniform in [0, 1). */
  random?: () => number;
}

/**
 * The delay before the next attempt after `attempts` failed ones, or null when the schedule is exhausted.
 */
export function nextDelay(attempts: number, retryAfterMs: number | null, options: DelayOptions = {}): number | null {
  const schedule = options.schedule ?? RETRY_SCHEDULE_MS;
  if (attempts >= schedule.length) return null;
  const base = schedule[attempts]!;
  const jitter = options.jitter ?? JITTER;
  const random = options.random ?? Math.random;
  const jittered = Math.round(base * (1 + jitter * (2 * random() - 1)));
  const floor = retryAfterMs === null ? 0 : Math.min(retryAfterMs, options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS);
  return Math.max(jittered, floor);
}
