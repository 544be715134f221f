import { StatsInputError } from './errors.js';
import { rankWithTies } from './rank.js';
import { pairwiseSum } from './summation.js';
import { assertSameLength, type NumericInput, toFiniteArray } from './validate.js';

export interface BinaryClassificationMetrics {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** NaN when y_true holds a single class (scikit-learn raises there). */
  rocAuc: number;
  logLoss: number;
  brier: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

const LOG_LOSS_EPS = 1e-15;

function safeDiv(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function f1From(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** ROC AUC in its Mann–Whitney form with average ranks, identical to scikit-learn's trapezoidal AUC. */
export function rocAuc(yTrue01: ArrayLike<number>, scores: Float64Array): number {
  let nPos = 0;
  for (let i = 0; i < yTrue01.length; i++) if (yTrue01[i] === 1) nPos++;
  const nNeg = yTrue01.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  const { ranks } = rankWithTies(scores);
  const posRanks = new Float64Array(nPos);
  for (let i = 0, k = 0; i < yTrue01.length; i++) if (yTrue01[i] === 1) posRanks[k++] = ranks[i] as number;
  return (pairwiseSum(posRanks) - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Binary classification metrics from 0/1 labels and scores for class 1: hard label = score ≥ threshold
 * (0.5); precision/recall/F1 are 0 when undefined (scikit-learn's zero_division default); log loss clips
 * scores to [1e-15, 1 − 1e-15]; Brier is the mean squared error of the scores.
 */
export function binaryClassificationMetrics(
  yTrue: NumericInput,
  yScore: NumericInput,
  options: { threshold?: number } = {},
): BinaryClassificationMetrics {
  const y = toFiniteArray(yTrue, 'yTrue');
  const s = toFiniteArray(yScore, 'yScore');
  assertSameLength(y, s, 'yTrue and yScore');
  const threshold = options.threshold ?? 0.5;
  const n = y.length;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  const ll = new Float64Array(n);
  const br = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number;
    const si = s[i] as number;
    if (yi !== 0 && yi !== 1) throw new StatsInputError(`yTrue must hold 0 or 1 (index ${i} is ${yi})`);
    if (!(si >= 0 && si <= 1)) throw new StatsInputError(`yScore must hold probabilities in [0, 1] (index ${i} is ${si})`);
    const pred = si >= threshold ? 1 : 0;
    if (pred === 1) yi === 1 ? tp++ : fp++;
    else yi === 1 ? fn++ : tn++;
    const p = Math.min(Math.max(si, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    ll[i] = yi * Math.log(p) + (1 - yi) * Math.log(1 - p);
    const d = si - yi;
    br[i] = d * d;
  }
  const precision = safeDiv(tp, tp + fp);
  const recall = safeDiv(tp, tp + fn);
  return {
    n,
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1: f1From(precision, recall),
    rocAuc: rocAuc(y, s),
    logLoss: -(pairwiseSum(ll) / n),
    brier: pairwiseSum(br) / n,
    tp,
    fp,
    tn,
    fn,
  };
}

export type ClassLabel = number | string;

export interface MulticlassMetrics {
  n: number;
  accuracy: number;
  macroF1: number;
  labels: ClassLabel[];
  precision: number[];
  recall: number[];
  f1: number[];
  /** confusion[i][j] = rows with true label labels[i] predicted as labels[j]. */
  confusion: number[][];
}

function compareLabels(a: ClassLabel, b: ClassLabel): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * Multiclass accuracy and per-label precision/recall/F1 over the sorted union of labels (scikit-learn's
 * default), macro F1 averaging every label of the union (a label only ever predicted counts with F1 0).
 */
export function multiclassClassificationMetrics(
  yTrue: readonly ClassLabel[],
  yPred: readonly ClassLabel[],
): MulticlassMetrics {
  assertSameLength(yTrue, yPred, 'yTrue and yPred');
  if (yTrue.length === 0) throw new StatsInputError('yTrue must not be empty');
  const labels = [...new Set<ClassLabel>([...yTrue, ...yPred])].sort(compareLabels);
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i] as ClassLabel) as number;
    const p = index.get(yPred[i] as ClassLabel) as number;
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  }
  const precision: number[] = [];
  const recall: number[] = [];
  const f1: number[] = [];
  for (let c = 0; c < k; c++) {
    const tp = (confusion[c] as number[])[c] as number;
    let predicted = 0;
    let actual = 0;
    for (let r = 0; r < k; r++) {
      predicted += (confusion[r] as number[])[c] as number;
      actual += (confusion[c] as number[])[r] as number;
    }
    const pr = safeDiv(tp, predicted);
    const rc = safeDiv(tp, actual);
    precision.push(pr);
    recall.push(rc);
    f1.push(f1From(pr, rc));
  }
  return {
    n: yTrue.length,
    accuracy: correct / yTrue.length,
    macroF1: pairwiseSum(f1) / k,
    labels,
    precision,
    recall,
    f1,
    confusion,
  };
}
