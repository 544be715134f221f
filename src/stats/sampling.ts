import { StatsInputError } from './errors.js';

/** mulberry32: a 32-bit seeded PRNG, tiny and fast, with a full 2^32 period; fine for sampling. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32-bit FNV-1a hash, to turn a string seed (a model id, a date) into a mulberry32 seed. */
export function seedFromString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Picks k of the items reproducibly: the same (items, k, seed) always gives the same sample, on any
 * machine and Node version. A partial Fisher–Yates shuffle of the indices driven by mulberry32 draws k
 * distinct positions uniformly (O(n) memory for the index array, O(k) swaps); the picked items are
 * returned in their original order. k ≥ n returns a copy of all items.
 */
export function deterministicSample<T>(items: readonly T[], k: number, seed: number | string): T[] {
  if (!Number.isInteger(k) || k < 0) throw new StatsInputError(`k must be a non-negative integer, got ${k}`);
  const n = items.length;
  if (k >= n) return items.slice();
  const rand = mulberry32(typeof seed === 'string' ? seedFromString(seed) : seed);
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const tmp = idx[i] as number;
    idx[i] = idx[j] as number;
    idx[j] = tmp;
  }
  return Array.from(idx.subarray(0, k))
    .sort((a, b) => a - b)
    .map((i) => items[i] as T);
}
