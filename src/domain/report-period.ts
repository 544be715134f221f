import type { BucketUnit } from './buckets.js';
import { ValidationError } from '../errors.js';
import { MAX_DURATION_MS, parseWindow } from './window.js';

/**
 * The period of a learning report: `period=<n>m|h|d|w` ending now (default 7d), or `from` + `to` — the
 * window forms of window.ts that describe a span of time. (`last=N` does not: alerts, version changes and
 * retrain requests "in the period" need a time range.) The history's buckets are sized to the period so a
 * chart has between a handful and a few hundred points: hours up to 2 days, days up to 60, weeks beyond.
 */
export interface ReportPeriodQuery {
  period?: string;
  from?: string;
  to?: string;
}

export interface ReportPeriod {
  from: Date;
  to: Date;
  /** How it was asked for: `7d`, or `from … to …`. */
  label: string;
  bucket: BucketUnit;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function bucketForSpan(ms: number): BucketUnit {
  if (ms <= 2 * DAY) return 'hour';
  if (ms <= 60 * DAY) return 'day';
  return 'week';
}

export function parseReportPeriod(query: ReportPeriodQuery, now: Date): ReportPeriod {
  const window = parseWindow({ window: query.period, from: query.from, to: query.to }, { now, defaultWindow: '7d', names: { window: 'period' } });
  // parseWindow only answers `last` when asked for it, which this query cannot do.
  if (window.kind !== 'range') throw new Error('a report period is a time range');
  // `period` is bounded by parseWindow; from + to likewise, so that the weekly history stays within its bucket limit.
  if (window.to.getTime() - window.from.getTime() > MAX_DURATION_MS) {
    throw new ValidationError([{ path: '/query/from', message: 'the period from `from` to `to` must be at most 3660d long' }]);
  }
  const label = query.from !== undefined ? `${window.from.toISOString()} – ${window.to.toISOString()}` : (query.period ?? '7d');
  return { from: window.from, to: window.to, label, bucket: bucketForSpan(window.to.getTime() - window.from.getTime()) };
}
