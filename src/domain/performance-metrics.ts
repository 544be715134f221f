import { type ConfusionCell, binaryCounts, summarizeConfusion } from './classification-counts.js';
import type { Task } from './model-spec.js';

/**
 * A model's metrics from the aggregates SQL computes over one group of labeled predictions, with the
 * definitions of src/stats and the reference conventions. A metric that cannot be defined is null and
 * its reason is in `undefined` (metric name → reason): that shape is used by every analytics response.
 */
export type Reasons = Record<string, string>;

/** Binary models: counts and sums over the rows of one calibration bin (bin null: rows without P(positive)). */
export interface ProbabilityBin {
  bin: number | null;
  n: number;
  positives: number;
  tp: number;
  fp: number;
  fn: number;
  /** Σ P(positive). */
  sumP: number | null;
  /** Σ y·ln p + (1 − y)·ln(1 − p), p clipped to [1e-15, 1 − 1e-15]. */
  logLikelihood: number | null;
  /** Σ (p − y)². */
  brierSum: number | null;
  /** 2 × Σ of the positives' average ranks of P(positive) among all rows with one. */
  twiceRankSum: number | null;
}

export interface GroupAggregates {
  n: number;
  correct?: number;
  absSum?: number;
  sqSum?: number;
  errSum?: number;
  actualVarPop?: number;
  apeN?: number;
  apeSum?: number | null;
  /** Multiclass: (actual, predicted) counts. */
  confusion: ConfusionCell[];
  /** Binary: per calibration bin. */
  levels: ProbabilityBin[];
}

export interface ConfusionMatrix {
  labels: string[];
  matrix: number[][];
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number | null;
  fractionPositive: number | null;
}

export interface BinaryMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number | null;
  logLoss: number | null;
  brier: number | null;
  ece: number | null;
  reliability: ReliabilityBin[];
  probabilityCount: number;
  positiveLabel: string;
  confusionMatrix: ConfusionMatrix & { tp: number; fp: number; tn: number; fn: number };
}

export interface MulticlassMetrics {
  accuracy: number;
  macroF1: number;
  perLabel: { label: string; precision: number; recall: number; f1: number; support: number }[];
  confusionMatrix: ConfusionMatrix;
}

export interface RegressionMetrics {
  mae: number;
  rmse: number;
  r2: number | null;
  mape: number | null;
  mapeCount: number;
  meanError: number;
}

export type TaskMetrics = BinaryMetrics | MulticlassMetrics | RegressionMetrics;

export const CALIBRATION_BIN_COUNT = 10;

export function metricsOf(
  task: Task,
  a: GroupAggregates,
  model: { labels: string[]; positiveLabel: string | null },
): { metrics: TaskMetrics; undefined: Reasons } {
  if (task === 'regression') return regressionMetrics(a);
  if (task === 'binary') return binaryMetrics(a, model.labels, model.positiveLabel ?? model.labels[1] ?? '');
  return multiclassMetrics(a);
}

/**
 * Accuracy and the confusion matrix come from the stored `correct` (predicted label = actual label): the
 * client's predicted label is the hard label. AUC, log loss, Brier and ECE use P(positive) and are computed
 * over the predictions that have one (`probabilityCount`).
 */
export function binaryMetrics(a: GroupAggregates, labels: string[], positiveLabel: string): { metrics: BinaryMetrics; undefined: Reasons } {
  const reasons: Reasons = {};
  const negativeLabel = labels.find((l) => l !== positiveLabel) ?? 'negative';
  const total = (pick: (b: ProbabilityBin) => number | null, bins = a.levels) => bins.reduce((sum, b) => sum + (pick(b) ?? 0), 0);
  const [tp, fp, fn] = [total((b) => b.tp), total((b) => b.fp), total((b) => b.fn)];
  const tn = total((b) => b.n) - tp - fp - fn;
  const confusion = summarizeConfusion(
    [
      { actual: positiveLabel, predicted: positiveLabel, n: tp },
      { actual: negativeLabel, predicted: positiveLabel, n: fp },
      { actual: positiveLabel, predicted: negativeLabel, n: fn },
      { actual: negativeLabel, predicted: negativeLabel, n: tn },
    ],
    labels,
  );
  const counts = binaryCounts(confusion, positiveLabel);
  const withP = a.levels.filter((b) => b.bin !== null);
  const nProb = total((b) => b.n, withP);
  let rocAuc: number | null = null;
  let logLoss: number | null = null;
  let brier: number | null = null;
  let ece: number | null = null;
  const bins = reliabilityBins(withP);
  if (nProb === 0) {
    const reason = 'no labeled prediction in the window has P(positive): send confidence or probabilities with predictions';
    Object.assign(reasons, { rocAuc: reason, logLoss: reason, brier: reason, ece: reason });
  } else {
    logLoss = -total((b) => b.logLikelihood, withP) / nProb;
    brier = total((b) => b.brierSum, withP) / nProb;
    ece = bins.reduce((sum, b) => (b.count > 0 ? sum + (b.count / nProb) * Math.abs(b.fractionPositive! - b.meanPredicted!) : sum), 0);
    const positives = total((b) => b.positives, withP);
    const negatives = nProb - positives;
    if (positives === 0 || negatives === 0) {
      reasons.rocAuc = `only one class ("${positives === 0 ? negativeLabel : positiveLabel}") among the ${nProb} labeled predictions with P(positive): ROC AUC needs both`;
    } else {
      rocAuc = (total((b) => b.twiceRankSum, withP) / 2 - (positives * (positives + 1)) / 2) / (positives * negatives);
    }
  }
  return {
    metrics: {
      accuracy: confusion.accuracy,
      precision: counts.precision,
      recall: counts.recall,
      f1: counts.f1,
      rocAuc,
      logLoss,
      brier,
      ece,
      reliability: bins,
      probabilityCount: nProb,
      positiveLabel,
      confusionMatrix: { labels: confusion.labels, matrix: confusion.matrix, tp: counts.tp, fp: counts.fp, tn: counts.tn, fn: counts.fn },
    },
    undefined: reasons,
  };
}

function reliabilityBins(rows: ProbabilityBin[]): ReliabilityBin[] {
  return Array.from({ length: CALIBRATION_BIN_COUNT }, (_, i) => {
    const row = rows.find((r) => r.bin === i);
    const count = row?.n ?? 0;
    return {
      lower: i / CALIBRATION_BIN_COUNT,
      upper: (i + 1) / CALIBRATION_BIN_COUNT,
      count,
      meanPredicted: row && count > 0 ? row.sumP! / count : null,
      fractionPositive: row && count > 0 ? row.positives / count : null,
    };
  });
}

export function multiclassMetrics(a: GroupAggregates): { metrics: MulticlassMetrics; undefined: Reasons } {
  const c = summarizeConfusion(a.confusion);
  return {
    metrics: { accuracy: c.accuracy, macroF1: c.macroF1, perLabel: c.perLabel, confusionMatrix: { labels: c.labels, matrix: c.matrix } },
    undefined: {},
  };
}

/** MAE, RMSE, R² (scikit-learn: 1 or 0 when the actuals are constant), MAPE in percent over actual ≠ 0, mean error = bias. */
export function regressionMetrics(a: GroupAggregates): { metrics: RegressionMetrics; undefined: Reasons } {
  const reasons: Reasons = {};
  const n = a.n;
  const ssRes = a.sqSum ?? 0;
  const ssTot = (a.actualVarPop ?? 0) * n;
  let r2: number | null = null;
  if (n < 2) reasons.r2 = 'needs at least 2 labeled predictions';
  else r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  const apeN = a.apeN ?? 0;
  let mape: number | null = null;
  if (apeN === 0) reasons.mape = 'every actual value is 0: the percentage error is undefined';
  else mape = (a.apeSum ?? 0) / apeN;
  return {
    metrics: { mae: (a.absSum ?? 0) / n, rmse: Math.sqrt(ssRes / n), r2, mape, mapeCount: apeN, meanError: (a.errSum ?? 0) / n },
    undefined: reasons,
  };
}

/** The metric a trend is decided on, and whether a higher value is better. */
export function primaryMetric(task: Task): { name: 'accuracy' | 'mae'; higherIsBetter: boolean; valueOf: (m: TaskMetrics) => number } {
  return task === 'regression'
    ? { name: 'mae', higherIsBetter: false, valueOf: (m) => (m as RegressionMetrics).mae }
    : { name: 'accuracy', higherIsBetter: true, valueOf: (m) => (m as BinaryMetrics | MulticlassMetrics).accuracy };
}
