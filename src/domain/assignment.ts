import { createHash } from 'node:crypto';

/**
 * Deterministic assignment of experiment units to arms, with no state:
 *
 *   h = SHA-256(UTF-8(experimentId + ":" + unit));
 *   u = (the first 53 bits of h, big-endian) / 2^53, uniform in [0, 1) and exact as a double;
 *   arm = the first i with u < c_i, where c_i = w_0 + … + w_i are the cumulative normalised weights
 *   (the last one is 1 by definition).
 *
 * 53 bits (the first 8 bytes shifted right by 11) is what a double holds exactly, so PostgreSQL computes
 * the same u from the same bytes (see experimentUnitPointSql) and the results can check that each unit's
 * predictions came from the version it was assigned.
 */
export function unitPoint(experimentId: string, unit: string): number {
  const digest = createHash('sha256').update(`${experimentId}:${unit}`, 'utf8').digest();
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4);
  // high·2^21 + (low >>> 11) is the top 53 bits of the first 8 bytes.
  return (high * 2 ** 21 + (low >>> 11)) / 2 ** 53;
}

/** Weights scaled to sum to 1. */
export function normaliseWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** Cumulative sums of normalised weights; the last is forced to exactly 1 so every u in [0, 1) lands in an arm. */
export function cumulativeWeights(normalised: readonly number[]): number[] {
  let sum = 0;
  return normalised.map((w, i) => (i === normalised.length - 1 ? 1 : (sum += w)));
}

/** Index of the arm a point falls in. */
export function armOf(point: number, cumulative: readonly number[]): number {
  for (let i = 0; i < cumulative.length; i++) if (point < cumulative[i]!) return i;
  return cumulative.length - 1;
}

export function assignArm(experimentId: string, unit: string, cumulative: readonly number[]): { arm: number; point: number } {
  const point = unitPoint(experimentId, unit);
  return { arm: armOf(point, cumulative), point };
}
