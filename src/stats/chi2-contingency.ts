import { chi2Sf } from './distributions.js';
import { StatsInputError } from './errors.js';
import { pairwiseSum } from './summation.js';

export interface Chi2ContingencyResult {
  statistic: number;
  pValue: number;
  dof: number;
  expectedFreq: number[][];
}

/**
 * Pearson χ² test of independence on an R×C table of counts (scipy.stats.chi2_contingency with
 * lambda_=None). Yates' correction applies only when dof = 1 and uses scipy's clipped form, so no cell
 * is moved past its expected value. dof = 0 returns statistic 0, p 1; a zero expected frequency is
 * rejected with scipy's message.
 */
export function chi2Contingency(
  table: readonly (readonly number[])[],
  options: { correction?: boolean } = {},
): Chi2ContingencyResult {
  const correction = options.correction ?? true;
  const rows = table.length;
  const cols = rows > 0 ? (table[0] as readonly number[]).length : 0;
  if (rows === 0 || cols === 0) throw new StatsInputError('No data; `observed` has size 0.');
  for (const row of table) {
    if (row.length !== cols) throw new StatsInputError('observed must be a rectangular table');
    for (const v of row) {
      if (!Number.isFinite(v)) throw new StatsInputError('All values in `observed` must be finite.');
      if (v < 0) throw new StatsInputError('All values in `observed` must be nonnegative.');
    }
  }
  const rowSums = table.map((row) => pairwiseSum(row));
  const colSums = Array.from({ length: cols }, (_, j) => pairwiseSum(table.map((row) => row[j] as number)));
  const total = pairwiseSum(rowSums);
  const expectedFreq = rowSums.map((r) => colSums.map((c) => (r * c) / total));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if ((expectedFreq[i] as number[])[j] === 0) {
        throw new StatsInputError(
          `The internally computed table of expected frequencies has a zero element at (${i}, ${j}).`,
        );
      }
    }
  }
  // size − Σ shape + ndim − 1 for a 2-D table.
  const dof = rows * cols - (rows + cols) + 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof, expectedFreq };

  const terms = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const e = (expectedFreq[i] as number[])[j] as number;
      let o = (table[i] as readonly number[])[j] as number;
      if (dof === 1 && correction) {
        const diff = e - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      const dlt = o - e;
      terms[i * cols + j] = (dlt * dlt) / e;
    }
  }
  const statistic = pairwiseSum(terms);
  return { statistic, pValue: chi2Sf(dof, statistic), dof, expectedFreq };
}
