import { expect } from 'vitest';

/** Reference values: JSON numbers, or the strings "NaN" / "Infinity" / "-Infinity" for non-finite floats. */
export type Encoded = number | string | boolean | null | Encoded[] | { [key: string]: Encoded };

export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  throw new Error(`not an encoded number: ${JSON.stringify(v)}`);
}

export const REL_TOL = 1e-10;
export const ABS_TOL_NEAR_ZERO = 1e-12;

/**
 * True when `actual` matches the encoded `expected` float under the reference rules: NaN/±Infinity and
 * exact 0, 1 and −1 must be identical; otherwise relative 1e-10, or absolute 1e-12 for values near 0.
 */
export function closeTo(actual: number, expectedEncoded: unknown, rel = REL_TOL, abs = ABS_TOL_NEAR_ZERO): boolean {
  const expected = decodeNumber(expectedEncoded);
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected) || expected === 0 || Math.abs(expected) === 1) return actual === expected;
  if (!Number.isFinite(actual)) return false;
  const diff = Math.abs(actual - expected);
  return diff <= rel * Math.abs(expected) || diff <= abs;
}

/** Largest relative deviation seen per label, for `STATS_DEVIATIONS=1 npx vitest run test/stats`. */
export const deviations = new Map<string, { rel: number; field: string }>();
let deviationLabel = '';
export function setDeviationLabel(label: string): void {
  deviationLabel = label;
}

function recordDeviation(actual: number, expected: number, field: string): void {
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return;
  const rel = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  const prev = deviations.get(deviationLabel);
  if (!prev || rel > prev.rel) deviations.set(deviationLabel, { rel, field });
}

/** Asserts a float with the tolerance rules, naming the field on failure. */
export function expectClose(actual: number, expectedEncoded: unknown, field: string, rel = REL_TOL, abs = ABS_TOL_NEAR_ZERO): void {
  recordDeviation(actual, decodeNumber(expectedEncoded), field);
  if (!closeTo(actual, expectedEncoded, rel, abs)) {
    expect.fail(`${field}: expected ${JSON.stringify(expectedEncoded)}, got ${actual} (Δ=${Math.abs(actual - decodeNumber(expectedEncoded))})`);
  }
}

/** Exact match for integers, booleans, strings and labels. */
export function expectExact(actual: unknown, expected: unknown, field: string): void {
  expect(actual, field).toStrictEqual(expected);
}

export function expectCloseArray(actual: readonly number[], expected: readonly unknown[], field: string): void {
  expect(actual.length, `${field}.length`).toBe(expected.length);
  actual.forEach((v, i) => expectClose(v, expected[i], `${field}[${i}]`));
}
