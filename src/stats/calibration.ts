import { StatsInputError } from './errors.js';
import { assertSameLength, type NumericInput, toFiniteArray } from './validate.js';

export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability in the bin; null when the bin is empty. */
  meanPredicted: number | null;
  /** Share of positives in the bin; null when the bin is empty. */
  fractionPositive: number | null;
}

export interface CalibrationResult {
  ece: number;
  bins: CalibrationBin[];
}

/**
 * Expected calibration error over equal-width bins on [0, 1]: bin i holds [i/B, (i+1)/B), the last
 * bin is closed so p = 1 counts. ECE = Σ (count/n)·|fractionPositive − meanPredicted| over non-empty
 * bins. Membership is decided against the same edges the bins report, so a score exactly on an edge
 * lands in the bin that starts there.
 */
export function expectedCalibrationError(
  yTrue01: NumericInput,
  pPositive: NumericInput,
  options: { bins?: number } = {},
): CalibrationResult {
  const y = toFiniteArray(yTrue01, 'yTrue');
  const p = toFiniteArray(pPositive, 'pPositive');
  assertSameLength(y, p, 'yTrue and pPositive');
  const nBins = options.bins ?? 10;
  if (!Number.isInteger(nBins) || nBins < 1) throw new StatsInputError(`bins must be a positive integer, got ${nBins}`);
  const edges = Array.from({ length: nBins + 1 }, (_, i) => i / nBins);
  const count = new Float64Array(nBins);
  const sumP = new Float64Array(nBins);
  const sumY = new Float64Array(nBins);
  for (let i = 0; i < y.length; i++) {
    const yi = y[i] as number;
    const pi = p[i] as number;
    if (yi !== 0 && yi !== 1) throw new StatsInputError(`yTrue must hold 0 or 1 (index ${i} is ${yi})`);
    if (!(pi >= 0 && pi <= 1)) throw new StatsInputError(`pPositive must hold probabilities in [0, 1] (index ${i} is ${pi})`);
    let b = Math.min(Math.floor(pi * nBins), nBins - 1);
    if (pi < (edges[b] as number)) b--;
    else if (b + 1 < nBins && pi >= (edges[b + 1] as number)) b++;
    count[b] = (count[b] as number) + 1;
    sumP[b] = (sumP[b] as number) + pi;
    sumY[b] = (sumY[b] as number) + yi;
  }
  const n = y.length;
  let ece = 0;
  const bins: CalibrationBin[] = [];
  for (let b = 0; b < nBins; b++) {
    const c = count[b] as number;
    const meanPredicted = c > 0 ? (sumP[b] as number) / c : null;
    const fractionPositive = c > 0 ? (sumY[b] as number) / c : null;
    if (meanPredicted !== null && fractionPositive !== null) ece += (c / n) * Math.abs(fractionPositive - meanPredicted);
    bins.push({ lower: edges[b] as number, upper: edges[b + 1] as number, count: c, meanPredicted, fractionPositive });
  }
  return { ece, bins };
}
