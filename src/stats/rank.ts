import { type NumericInput, toFiniteArray } from './validate.js';

export interface Ranking {
  /** Average ranks (1-based), in input order. */
  ranks: Float64Array;
  /** Size of every group of tied values, in sorted order (length-1 groups included). */
  tieCounts: number[];
}

/** Average ranks plus tie-group sizes, from one sort of the indices. */
export function rankWithTies(values: Float64Array): Ranking {
  const n = values.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((p, q) => (values[p] as number) - (values[q] as number));
  const ranks = new Float64Array(n);
  const tieCounts: number[] = [];
  let i = 0;
  while (i < n) {
    let j = i;
    const v = values[order[i] as number] as number;
    while (j + 1 < n && values[order[j + 1] as number] === v) j++;
    // scipy: 0.5·(count[dense] + count[dense−1] + 1), i.e. the mean of the 1-based positions i+1 … j+1.
    const r = 0.5 * (j + 1 + i + 1);
    for (let k = i; k <= j; k++) ranks[order[k] as number] = r;
    tieCounts.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieCounts };
}

/** scipy.stats.rankdata(x) with method='average'. */
export function rankdata(values: NumericInput): number[] {
  return Array.from(rankWithTies(toFiniteArray(values, 'values')).ranks);
}
