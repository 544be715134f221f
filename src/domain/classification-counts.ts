/**
 * Classification metrics from a confusion matrix of counts (what SQL aggregates deliver), with the
 * definitions of src/stats (scikit-learn's): labels are the sorted union of actual and predicted labels,
 * precision/recall/F1 are 0 when their denominator is 0, F1 = 2PR/(P+R), macro F1 averages every label
 * of the union. test/domain/classification-counts.test.ts checks them against src/stats on the rows.
 */

export interface ConfusionCell {
  actual: string;
  predicted: string;
  n: number;
}

export interface LabelMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Labeled predictions whose actual label is this one. */
  support: number;
}

export interface ConfusionSummary {
  n: number;
  correct: number;
  /** Sorted by code unit (JavaScript's default string order, as src/stats). */
  labels: string[];
  /** matrix[i][j]: actual labels[i] predicted as labels[j]. */
  matrix: number[][];
  perLabel: LabelMetrics[];
  accuracy: number;
  macroF1: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

export function summarizeConfusion(cells: readonly ConfusionCell[], extraLabels: readonly string[] = []): ConfusionSummary {
  const labels = [...new Set([...extraLabels, ...cells.flatMap((c) => [c.actual, c.predicted])])].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let n = 0;
  let correct = 0;
  for (const c of cells) {
    const row = matrix[index.get(c.actual)!]!;
    const j = index.get(c.predicted)!;
    row[j] = row[j]! + c.n;
    n += c.n;
    if (c.actual === c.predicted) correct += c.n;
  }
  const perLabel = labels.map((label, i) => {
    let predicted = 0;
    let actual = 0;
    for (let r = 0; r < k; r++) {
      predicted += matrix[r]![i]!;
      actual += matrix[i]![r]!;
    }
    const tp = matrix[i]![i]!;
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, actual);
    return { label, precision, recall, f1: f1Of(precision, recall), support: actual };
  });
  // Labels listed only through extraLabels (never actual nor predicted) do not count in the macro average.
  const present = perLabel.filter((l, i) => l.support > 0 || column(matrix, i) > 0);
  return {
    n,
    correct,
    labels,
    matrix,
    perLabel,
    accuracy: ratio(correct, n),
    macroF1: present.length === 0 ? 0 : present.reduce((s, l) => s + l.f1, 0) / present.length,
  };
}

function column(matrix: number[][], j: number): number {
  return matrix.reduce((s, row) => s + row[j]!, 0);
}

/** Binary precision, recall, F1 and the confusion counts with respect to the positive label. */
export function binaryCounts(summary: ConfusionSummary, positiveLabel: string) {
  const i = summary.labels.indexOf(positiveLabel);
  const tp = i < 0 ? 0 : summary.matrix[i]![i]!;
  const predictedPositive = i < 0 ? 0 : column(summary.matrix, i);
  const actualPositive = i < 0 ? 0 : summary.matrix[i]!.reduce((s, v) => s + v, 0);
  const fp = predictedPositive - tp;
  const fn = actualPositive - tp;
  const tn = summary.n - tp - fp - fn;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return { tp, fp, tn, fn, precision, recall, f1: f1Of(precision, recall) };
}
