import { proportionsZTest, welchTTest } from '../../stats/index.js';
import { CONCEPT_ALPHA, type Severity, conceptSeverity } from './severity.js';

/** The labeled side of a window: correctness counts (classification) or the errors (regression). */
export type LabeledWindow =
  | { kind: 'classification'; n: number; correct: number }
  | { kind: 'regression'; n: number; absoluteErrors: number[]; errors: number[] };

export interface ConceptDrift {
  test: 'two-proportion-z' | 'welch-t';
  metric: 'accuracy' | 'mae';
  higherIsBetter: boolean;
  reference: { n: number; mean: number };
  current: { n: number; mean: number };
  change: number;
  changePercent: number | null;
  statistic: number | null;
  pValue: number | null;
  df: number | null;
  alpha: number;
  direction: 'degraded' | 'improved' | 'unchanged';
  drifted: boolean;
  severity: Severity;
  bias: { test: 'welch-t'; referenceMean: number; currentMean: number; statistic: number | null; pValue: number | null } | null;
}

/** Labeled predictions each window needs before concept drift is tested. */
export const MIN_LABELED = 2;

const finite = (x: number) => (Number.isFinite(x) ? x : null);
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Concept drift: has the relation between inputs and outcomes changed, as seen in the model's errors?
 * Classification: the pooled two-proportion z-test on correctness (accuracy); regression: Welch's t-test
 * on absolute errors (MAE), with the signed errors (bias) tested alongside.
 */
export function conceptDrift(reference: LabeledWindow | null, current: LabeledWindow | null): { concept: ConceptDrift | null; reason?: string } {
  const nRef = reference?.n ?? 0;
  const nCur = current?.n ?? 0;
  if (nRef < MIN_LABELED || nCur < MIN_LABELED) {
    return {
      concept: null,
      reason: `concept drift needs at least ${MIN_LABELED} labeled predictions (outcomes) in each window; the reference has ${nRef}, the current window ${nCur}`,
    };
  }
  const ref = reference!;
  const cur = current!;
  if (ref.kind === 'classification' && cur.kind === 'classification') {
    const t = proportionsZTest(ref.correct, ref.n, cur.correct, cur.n);
    return { concept: rate('two-proportion-z', 'accuracy', true, ref.n, t.p1, cur.n, t.p2, finite(t.z) === null ? null : -t.z, finite(t.pValue), null, null) };
  }
  if (ref.kind === 'regression' && cur.kind === 'regression') {
    const t = welchTTest(cur.absoluteErrors, ref.absoluteErrors);
    const b = welchTTest(cur.errors, ref.errors);
    const bias = { test: 'welch-t' as const, referenceMean: mean(ref.errors), currentMean: mean(cur.errors), statistic: finite(b.statistic), pValue: finite(b.pValue) };
    return { concept: rate('welch-t', 'mae', false, ref.n, mean(ref.absoluteErrors), cur.n, mean(cur.absoluteErrors), finite(t.statistic), finite(t.pValue), finite(t.df), bias) };
  }
  return { concept: null, reason: 'the reference and the current window hold outcomes of different kinds' };
}

function rate(
  test: ConceptDrift['test'],
  metric: ConceptDrift['metric'],
  higherIsBetter: boolean,
  nRef: number,
  refMean: number,
  nCur: number,
  curMean: number,
  statistic: number | null,
  pValue: number | null,
  df: number | null,
  bias: ConceptDrift['bias'],
): ConceptDrift {
  const change = curMean - refMean;
  const relative = refMean === 0 ? null : change / Math.abs(refMean);
  const significant = pValue !== null && pValue < CONCEPT_ALPHA;
  const worse = higherIsBetter ? change < 0 : change > 0;
  const direction = !significant || change === 0 ? 'unchanged' : worse ? 'degraded' : 'improved';
  // Degradation as a positive share of the reference metric; a metric rising from 0 (MAE 0) counts as fully degraded.
  const degradation = relative === null ? (change === 0 ? 0 : worse ? 1 : -1) : worse ? Math.abs(relative) : -Math.abs(relative);
  return {
    test,
    metric,
    higherIsBetter,
    reference: { n: nRef, mean: refMean },
    current: { n: nCur, mean: curMean },
    change,
    changePercent: relative === null ? null : 100 * relative,
    statistic,
    pValue,
    df,
    alpha: CONCEPT_ALPHA,
    direction,
    drifted: significant,
    severity: conceptSeverity({ pValue, degradation }),
    bias,
  };
}
