import { invalidField } from '../errors.js';

/** Opaque cursors: base64url JSON of the last row's sort key. */
export const encodeCursor = (position: unknown[]): string => Buffer.from(JSON.stringify(position)).toString('base64url');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The position in a cursor, each value checked against the shape it must have (`uuid`: an id column,
 * `int`: an integer column): a forged cursor is a 400 naming /query/cursor, never a value PostgreSQL refuses
 * (a NUL, a malformed uuid, a date outside its range) and a 500.
 */
export function decodeCursor(cursor: string | undefined, shape: ('string' | 'date' | 'uuid' | 'int')[]): unknown[] | undefined {
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
    if (typeof value !== 'string' || value.includes('\u0000')) throw fail();
    switch (shape[i]) {
      case 'date': {
        const date = new Date(value);
        const year = date.getUTCFullYear();
        if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) throw fail();
        return date;
      }
      case 'uuid':
        if (!UUID.test(value)) throw fail();
        return value;
      case 'int':
        if (!/^-?\d{1,9}$/.test(value)) throw fail();
        return value;
      default:
        return value;
    }
  });
}

/** Takes one row more than the page to know whether there is a next page. */
export function page<T>(rows: T[], limit: number, positionOf: (row: T) => unknown[]): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null };
}
