/**
 * Uncertainty of a classification prediction, for active learning (Settles, "Active Learning Literature
 * Survey", 2009, §3.1): the higher, the more a label is worth.
 *
 * - least_confidence = 1 − max_k p_k
 * - margin           = 1 − (p_(1) − p_(2)), the two largest probabilities (p_(2) = 0 with a single one)
 * - entropy          = −Σ p_k ln p_k / ln K, normalised to [0, 1] by the maximum ln K, K = the model's
 *                      number of labels when it declares them, else the number of probabilities given
 *
 * What a prediction carries decides what can be scored:
 * - probabilities (any model): all three;
 * - binary, P(positive) derived from a confidence alone: all three, from p and 1 − p;
 * - multiclass with a confidence only: least_confidence = 1 − confidence; margin and entropy are unknown
 *   (the rest of the mass could be spread or concentrated), so under those strategies such predictions
 *   come after every scored one, ordered by their least confidence, with `uncertainty: null`;
 * - nothing at all: last, newest first, with `uncertainty: null`.
 * The SQL that ranks the queue (src/db/repositories/labeling-sql.ts) implements exactly this; this pure
 * version is its specification and test oracle.
 */
export const STRATEGIES = ['least_confidence', 'margin', 'entropy'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface UncertaintyInput {
  task: 'binary' | 'multiclass';
  /** The model's declared label count (0 when it accepts any label). */
  labelCount: number;
  probabilities: Record<string, number> | null;
  pPositive: number | null;
  confidence: number | null;
}

/** Rank group: 0 scored by the strategy, 1 only least confidence known, 2 nothing known. */
export interface Uncertainty {
  group: 0 | 1 | 2;
  score: number | null;
  /** The sort key inside the group (the score, or least confidence in group 1, 0 in group 2). */
  key: number;
}

export function uncertaintyOf(input: UncertaintyInput, strategy: Strategy): Uncertainty {
  const probabilities = distribution(input);
  if (probabilities) {
    const score = scoreOf(probabilities, strategy, input.labelCount);
    return { group: 0, score, key: score };
  }
  if (input.confidence !== null) {
    const lc = 1 - input.confidence;
    return strategy === 'least_confidence' ? { group: 0, score: lc, key: lc } : { group: 1, score: null, key: lc };
  }
  return { group: 2, score: null, key: 0 };
}

function distribution(input: UncertaintyInput): number[] | null {
  if (input.task === 'binary' && input.pPositive !== null) return [input.pPositive, 1 - input.pPositive];
  if (input.probabilities) return Object.values(input.probabilities);
  return null;
}

function scoreOf(p: number[], strategy: Strategy, labelCount: number): number {
  const sorted = [...p].sort((a, b) => b - a);
  const p1 = sorted[0] ?? 0;
  const p2 = sorted[1] ?? 0;
  switch (strategy) {
    case 'least_confidence':
      return 1 - p1;
    case 'margin':
      return 1 - (p1 - p2);
    case 'entropy': {
      const k = Math.max(labelCount, p.length, 2);
      const h = 0 - p.reduce((s, x) => (x > 0 ? s + x * Math.log(x) : s), 0);
      return h / Math.log(k);
    }
  }
}
