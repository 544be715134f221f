import { StatsInputError } from './errors.js';

export type NumericInput = ArrayLike<number>;

/**
 * Copies a sample into a Float64Array after checking it. NaN is refused everywhere: scipy either
 * propagates it silently or sorts it to an arbitrary end, and neither is a result a monitor should store.
 */
export function toFiniteArray(values: NumericInput, name: string, minLength = 1): Float64Array {
  const out = Float64Array.from(values);
  if (out.length < minLength) {
    throw new StatsInputError(
      minLength === 1 ? `${name} must not be empty` : `${name} must hold at least ${minLength} values`,
    );
  }
  for (let i = 0; i < out.length; i++) {
    const v = out[i] as number;
    if (!Number.isFinite(v)) throw new StatsInputError(`${name} must hold finite numbers (index ${i} is ${v})`);
  }
  return out;
}

export function assertSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, names: string): void {
  if (a.length !== b.length) throw new StatsInputError(`${names} must have the same length (${a.length} vs ${b.length})`);
}

/**
 * Checked, sorted copy of a sample. Typed-array sort without a comparator is numeric and runs in
 * native code, several times faster than Array#sort with one.
 */
export function toSortedArray(values: NumericInput, name: string, minLength = 1): Float64Array {
  return toFiniteArray(values, name, minLength).sort();
}
