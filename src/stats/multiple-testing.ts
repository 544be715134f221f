import { StatsInputError } from './errors.js';

function checkPValues(pValues: readonly number[]): void {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new StatsInputError(`p-values must lie in [0, 1] (index ${i} is ${p})`);
  });
}

/** Indices that sort p ascending (ties keep input order; the adjusted values do not depend on it). */
function ascendingOrder(pValues: readonly number[]): number[] {
  return pValues.map((_, i) => i).sort((a, b) => (pValues[a] as number) - (pValues[b] as number) || a - b);
}

/**
 * Holm–Bonferroni step-down adjusted p-values in input order, as statsmodels
 * multipletests(method='holm'): sorted p_(i)·(m − i) made monotone by a running maximum, capped at 1.
 */
export function holm(pValues: readonly number[]): number[] {
  checkPValues(pValues);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, i) => {
    running = Math.max(running, (pValues[idx] as number) * (m - i));
    adjusted[idx] = Math.min(running, 1);
  });
  return adjusted;
}

/**
 * Benjamini–Hochberg FDR adjusted p-values in input order, as statsmodels multipletests(method='fdr_bh'):
 * sorted p_(i)·m/(i+1) made monotone by a running minimum from the largest, capped at 1.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  checkPValues(pValues);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  let running = Infinity;
  for (let i = m - 1; i >= 0; i--) {
    const idx = order[i] as number;
    running = Math.min(running, (pValues[idx] as number) / ((i + 1) / m));
    adjusted[idx] = Math.min(running, 1);
  }
  return adjusted;
}
