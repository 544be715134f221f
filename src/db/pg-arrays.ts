/**
 * PostgreSQL array literals for the bulk-insert parameters, built directly: node-postgres' generic array
 * serialisation quotes and escapes every element with two regular expressions, which shows up at
 * thousands of rows per request.
 */

/** Free text: every element quoted, backslashes and double quotes escaped. */
export function textArray(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    out += value === null || value === undefined ? 'NULL' : `"${value.replace(/["\\]/g, '\\$&')}"`;
  }
  return `${out}}`;
}

/**
 * Values whose text form never needs quoting: finite numbers, booleans, UUIDs, ISO-8601 timestamps and
 * enum labels (no spaces, commas, quotes, braces or backslashes).
 */
export function plainArray(values: readonly (string | number | boolean | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ',';
    out += value === null || value === undefined ? 'NULL' : typeof value === 'boolean' ? (value ? 't' : 'f') : String(value);
  }
  return `${out}}`;
}
