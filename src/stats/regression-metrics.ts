import { pairwiseSum } from './summation.js';
import { assertSameLength, type NumericInput, toFiniteArray } from './validate.js';

export interface RegressionMetrics {
  n: number;
  mae: number;
  mse: number;
  rmse: number;
  /** scikit-learn r2_score: 1.0 (perfect) or 0.0 when y_true is constant. */
  r2: number;
  /** The plain 1 − SS_res/SS_tot (NaN or −Infinity when y_true is constant). */
  r2Raw: number;
  ssRes: number;
  ssTot: number;
  /** Mean absolute percentage error in percent over rows with y_true ≠ 0; NaN when there are none. */
  mape: number;
  mapeN: number;
  /** Mean of prediction − actual: the bias (positive = over-prediction). */
  meanError: number;
}

export function regressionMetrics(yTrue: NumericInput, yPred: NumericInput): RegressionMetrics {
  const t = toFiniteArray(yTrue, 'yTrue');
  const p = toFiniteArray(yPred, 'yPred');
  assertSameLength(t, p, 'yTrue and yPred');
  const n = t.length;
  const absErr = new Float64Array(n);
  const sqErr = new Float64Array(n);
  const signed = new Float64Array(n);
  let mapeN = 0;
  for (let i = 0; i < n; i++) {
    const e = (t[i] as number) - (p[i] as number);
    absErr[i] = Math.abs(e);
    sqErr[i] = e * e;
    signed[i] = -e;
    if (t[i] !== 0) mapeN++;
  }
  const ape = new Float64Array(mapeN);
  for (let i = 0, k = 0; i < n; i++) if (t[i] !== 0) ape[k++] = (absErr[i] as number) / Math.abs(t[i] as number);
  const mse = pairwiseSum(sqErr) / n;
  const ssRes = pairwiseSum(sqErr);
  const meanTrue = pairwiseSum(t) / n;
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = (t[i] as number) - meanTrue;
    dev[i] = d * d;
  }
  const ssTot = pairwiseSum(dev);
  const r2Raw = 1 - ssRes / ssTot;
  return {
    n,
    mae: pairwiseSum(absErr) / n,
    mse,
    rmse: Math.sqrt(mse),
    r2: ssTot === 0 ? (ssRes === 0 ? 1 : 0) : r2Raw,
    r2Raw,
    ssRes,
    ssTot,
    mape: mapeN === 0 ? NaN : (pairwiseSum(ape) / mapeN) * 100,
    mapeN,
    meanError: pairwiseSum(signed) / n,
  };
}
