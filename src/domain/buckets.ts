import { invalidField } from '../errors.js';

/** UTC time buckets as PostgreSQL's date_trunc(unit, t, 'UTC') makes them (weeks start on Monday). */
export const BUCKET_UNITS = ['hour', 'day', 'week'] as const;
export type BucketUnit = (typeof BUCKET_UNITS)[number];
export const MAX_BUCKETS = 1000;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function truncateUtc(date: Date, unit: BucketUnit): Date {
  const t = date.getTime();
  if (unit === 'hour') return new Date(Math.floor(t / HOUR) * HOUR);
  const day = Math.floor(t / DAY) * DAY;
  if (unit === 'day') return new Date(day);
  const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * DAY);
}

export function bucketEnd(start: Date, unit: BucketUnit): Date {
  return new Date(start.getTime() + (unit === 'hour' ? HOUR : unit === 'day' ? DAY : 7 * DAY));
}

/** Number of buckets that intersect [from, to] (to exclusive unless `inclusive`). */
export function bucketCount(from: Date, to: Date, unit: BucketUnit, inclusive = false): number {
  const first = truncateUtc(from, unit).getTime();
  const width = bucketEnd(new Date(0), unit).getTime();
  const lastInstant = inclusive ? to.getTime() : to.getTime() - 1;
  return Math.max(0, Math.floor((lastInstant - first) / width) + 1);
}

/** Starts of the buckets that intersect the range, oldest first. */
export function bucketStarts(from: Date, to: Date, unit: BucketUnit, inclusive = false): Date[] {
  const count = bucketCount(from, to, unit, inclusive);
  const starts: Date[] = [];
  let start = truncateUtc(from, unit);
  for (let i = 0; i < count; i++) {
    starts.push(start);
    start = bucketEnd(start, unit);
  }
  return starts;
}

/** Refuses more than MAX_BUCKETS buckets (400 naming `bucket`). */
export function assertBucketCount(count: number, unit: BucketUnit, path = '/query/bucket'): void {
  if (count > MAX_BUCKETS) {
    throw invalidField(path, `a ${unit} bucket gives ${count} buckets over this window, more than ${MAX_BUCKETS}: use a larger bucket or a shorter window`);
  }
}
