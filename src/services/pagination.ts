import { invalidField } from '../errors.js';

/** Opaque cursors: base64url JSON of the last row's sort key. */
export const encodeCursor = (position: unknown[]): string => Buffer.from(JSON.stringify(position)).toString('base64url');

export function decodeCursor(cursor: string | undefined, shape: ('string' | 'date')[]): unknown[] | undefined {
  if (cursor === undefined) return undefined;
  const fail = () => invalidField('/query/cursor', 'is not a cursor returned by this endpoint');
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw fail();
  }
  if (!Array.isArray(values) || values.length !== shape.length) throw fail();
  return values.map((value, i) => {
    if (typeof value !== 'string') throw fail();
    if (shape[i] === 'date') {
      const date = new Date(value);
      if (Number.isNaN(date.getTime())) throw fail();
      return date;
    }
    return value;
  });
}

/** Takes one row more than the page to know whether there is a next page. */
export function page<T>(rows: T[], limit: number, positionOf: (row: T) => unknown[]): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null };
}
