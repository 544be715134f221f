/** Number and time formatting for the report page (always English, UTC: a report reads the same everywhere). */

export const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(digits)}%`);

export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-3)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export const int = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toLocaleString('en-US'));

export const pValue = (p: number | null | undefined) => (p === null || p === undefined ? '—' : p === 0 ? '≈ 0' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4));

/** `2024-10-18 14:05 UTC` */
export const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—');

/** `Oct 18` or `Oct 18 14:00`, for axis ticks. */
export function tick(ms: number, withHour: boolean): string {
  const d = new Date(ms);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = `${month} ${d.getUTCDate()}`;
  return withHour ? `${day} ${String(d.getUTCHours()).padStart(2, '0')}:00` : day;
}

export function metricValue(name: 'accuracy' | 'mae', x: number | null | undefined): string {
  return name === 'accuracy' ? pct(x) : num(x);
}

/** Shortens a user-supplied label for a chart axis; the full text goes into the element's <title>. */
export const clip = (text: string, max = 24) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
