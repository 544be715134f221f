import { type FieldError, ValidationError } from '../errors.js';

/**
 * Windows of predictions, shared by every analysis (performance, errors, features, drift, reports):
 * - `window=<n><unit>` (m, h, d, w; e.g. 24h, 7d, 30d): the half-open range [now − duration, now);
 * - `from` + `to` (RFC 3339): the half-open range [from, to);
 * - `last=N`: the N most recent labeled predictions by predicted_at (ties broken by id).
 * Exactly one form per request; none at all means the default (7d unless the caller says otherwise).
 */
export type ResolvedWindow = { kind: 'range'; from: Date; to: Date } | { kind: 'last'; n: number };

export interface WindowQuery {
  window?: string;
  from?: string;
  to?: string;
  last?: number;
}

export interface WindowOptions {
  now: Date;
  /** Used when no form is given; null makes a window required. Default '7d'. */
  defaultWindow?: string | null;
  /** Prefix of the error paths, default '/query'. */
  prefix?: string;
  /** Parameter names, for callers that take two windows (e.g. drift's reference and current). */
  names?: { window?: string; from?: string; to?: string; last?: string };
}

export const MAX_LAST = 1_000_000;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
export const MAX_DURATION_MS = 3660 * UNIT_MS.d;
const DURATION = /^([1-9][0-9]{0,6})(m|h|d|w)$/;

/** Milliseconds of a duration like `90m`, `24h`, `7d`, `2w`; null when the text is not one. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export function parseWindow(query: WindowQuery, options: WindowOptions): ResolvedWindow {
  const prefix = options.prefix ?? '/query';
  const names = { window: 'window', from: 'from', to: 'to', last: 'last', ...options.names };
  const path = (name: keyof typeof names) => `${prefix}/${names[name]}`;
  const fail = (errors: FieldError[]) => new ValidationError(errors);

  const formOf = (k: keyof WindowQuery) => (k === 'from' || k === 'to' ? 'range' : k);
  const given = (['window', 'from', 'to', 'last'] as const).filter((k) => query[k] !== undefined);
  const forms = new Set(given.map(formOf));
  if (forms.size > 1) {
    const label = (form: string) => (form === 'range' ? `${names.from}/${names.to}` : names[form as 'window' | 'last']);
    throw fail(
      given.map((k) => ({
        path: path(k),
        message: `cannot be combined with ${[...forms].filter((f) => f !== formOf(k)).map(label).join(' or ')}: give either ${names.window}, or ${names.from} + ${names.to}, or ${names.last}`,
      })),
    );
  }

  if (query.last !== undefined) {
    if (!Number.isInteger(query.last) || query.last < 1 || query.last > MAX_LAST) {
      throw fail([{ path: path('last'), message: `must be an integer from 1 to ${MAX_LAST}` }]);
    }
    return { kind: 'last', n: query.last };
  }

  if (query.from !== undefined || query.to !== undefined) {
    const errors: FieldError[] = [];
    const from = instant(query.from, path('from'), names.to, errors);
    const to = instant(query.to, path('to'), names.from, errors);
    if (errors.length > 0) throw fail(errors);
    if (from!.getTime() >= to!.getTime()) throw fail([{ path: path('from'), message: `must be before ${names.to}` }]);
    return { kind: 'range', from: from!, to: to! };
  }

  const text = query.window ?? (options.defaultWindow === undefined ? '7d' : options.defaultWindow);
  if (text === null) throw fail([{ path: path('window'), message: `is required (or ${names.from} + ${names.to}, or ${names.last})` }]);
  const ms = parseDuration(text);
  if (ms === null) throw fail([{ path: path('window'), message: 'must be a duration: a positive integer and a unit m, h, d or w (e.g. 24h, 7d, 30d)' }]);
  if (ms > MAX_DURATION_MS) throw fail([{ path: path('window'), message: 'must be at most 3660d' }]);
  const to = options.now;
  return { kind: 'range', from: new Date(to.getTime() - ms), to };
}

function instant(text: string | undefined, path: string, other: string, errors: FieldError[]): Date | undefined {
  if (text === undefined) {
    errors.push({ path, message: `is required with ${other}` });
    return undefined;
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    errors.push({ path, message: 'must be a valid RFC 3339 date-time' });
    return undefined;
  }
  return new Date(ms);
}

/** How a window is echoed in responses: the range, or the last N with the span they cover (null when empty). */
export type WindowEcho = { from: string; to: string } | { last: number; from: string | null; to: string | null };

export function echoWindow(window: ResolvedWindow, span?: { first: Date | null; last: Date | null }): WindowEcho {
  if (window.kind === 'range') return { from: window.from.toISOString(), to: window.to.toISOString() };
  return { last: window.n, from: span?.first?.toISOString() ?? null, to: span?.last?.toISOString() ?? null };
}

/**
 * The two windows of a drift comparison. Current: `current=<duration>` ending now (default 7d) or
 * `currentFrom` + `currentTo`. Reference: `reference=<duration>` ending where the current window starts
 * (default 30d), `referenceFrom` + `referenceTo`, or `reference=baseline` (the uploaded training baseline).
 * The windows may overlap (comparing a window with itself is allowed, and reports no drift).
 */
export interface DriftWindowQuery {
  reference?: string;
  current?: string;
  referenceFrom?: string;
  referenceTo?: string;
  currentFrom?: string;
  currentTo?: string;
}

export type DriftReference = { kind: 'range'; from: Date; to: Date } | { kind: 'baseline' };
export interface DriftWindows {
  reference: DriftReference;
  current: { kind: 'range'; from: Date; to: Date };
}

export const BASELINE_REFERENCE = 'baseline';

export function parseDriftWindows(query: DriftWindowQuery, options: { now: Date; prefix?: string }): DriftWindows {
  const prefix = options.prefix ?? '/query';
  const current = parseWindow(
    { window: query.current, from: query.currentFrom, to: query.currentTo },
    { now: options.now, prefix, defaultWindow: '7d', names: { window: 'current', from: 'currentFrom', to: 'currentTo' } },
  ) as DriftWindows['current'];
  if (query.reference === BASELINE_REFERENCE) {
    const extra = (['referenceFrom', 'referenceTo'] as const).filter((k) => query[k] !== undefined);
    if (extra.length > 0) {
      throw new ValidationError(extra.map((k) => ({ path: `${prefix}/${k}`, message: 'cannot be combined with reference=baseline' })));
    }
    return { reference: { kind: 'baseline' }, current };
  }
  try {
    const reference = parseWindow(
      { window: query.reference, from: query.referenceFrom, to: query.referenceTo },
      { now: current.from, prefix, defaultWindow: '30d', names: { window: 'reference', from: 'referenceFrom', to: 'referenceTo' } },
    ) as { kind: 'range'; from: Date; to: Date };
    return { reference, current };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const path = `${prefix}/reference`;
    throw new ValidationError((error.errors ?? []).map((e) => (e.path === path && e.message.startsWith('must be a duration') ? { path, message: `${e.message}, or "${BASELINE_REFERENCE}"` } : e)));
  }
}
