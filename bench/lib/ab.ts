import type { BenchContext } from './context.js';

export interface Pair<T> {
  round: number;
  /** Which side ran first in this round (alternates, so drift within a round cancels out over rounds). */
  first: 'hindsight' | 'baseline';
  hindsight: T;
  baseline: T;
}

/**
 * Interleaved A/B rounds on the same database: H,B then B,H then H,B … so that machine noise, table growth
 * and background work (autovacuum, checkpoints) hit both sides alike. Every half starts after `settle()`.
 */
export async function abRounds<T>(
  ctx: BenchContext,
  label: string,
  rounds: number,
  run: { hindsight: (round: number) => Promise<T>; baseline: (round: number) => Promise<T> },
  describe: (result: T) => string,
): Promise<Pair<T>[]> {
  const pairs: Pair<T>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const first = round % 2 === 1 ? 'hindsight' : 'baseline';
    const order = first === 'hindsight' ? (['hindsight', 'baseline'] as const) : (['baseline', 'hindsight'] as const);
    const results: Partial<Record<'hindsight' | 'baseline', T>> = {};
    for (const side of order) {
      ctx.checkAborted();
      await ctx.settle();
      results[side] = await run[side](round);
      ctx.log(`${label} round ${round}/${rounds} ${side.padEnd(9)} ${describe(results[side]!)}`);
    }
    pairs.push({ round, first, hindsight: results.hindsight!, baseline: results.baseline! });
  }
  return pairs;
}
