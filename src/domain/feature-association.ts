import { chi2Contingency, correlationRatio, pearson, spearman } from '../stats/index.js';
import { type FeatureColumn, groupedCategories } from './feature-columns.js';
import type { Reasons } from './performance-metrics.js';

/**
 * How strongly each feature goes with the actual and with the residual. Numeric feature × numeric
 * variable: Pearson and Spearman correlation with their p-values (scipy's pearsonr/spearmanr), rows with
 * the feature missing left out. Categorical feature (MAX_CATEGORIES most frequent, the rest grouped,
 * missing as a category of its own) × numeric variable: the correlation ratio η. For a multiclass actual
 * (a label): η of the label vs a numeric feature, and Cramér's V (χ² test of independence, no Yates
 * correction) vs a categorical one. `strength` — |Spearman ρ|, η or V — orders the features.
 */
export interface Correlation {
  statistic: number;
  pValue: number | null;
}

export interface Association {
  n: number;
  pearson?: Correlation | null;
  spearman?: Correlation | null;
  correlationRatio?: number | null;
  cramersV?: Correlation | null;
}

export interface FeatureAssociation {
  feature: string;
  type: 'numeric' | 'categorical';
  present: number;
  missing: number;
  actual: Association;
  error: Association;
  /** Strength of the association with the actual, in [0, 1]; null when undefined. */
  strength: number | null;
  undefined: Reasons;
}

export interface AssociationRow {
  /** The actual: a number (regression value, binary 0/1 indicator) or a label (multiclass). */
  target: number | string | null;
  residual: number | null;
}

const MIN_ROWS = 3;

export function featureAssociations(rows: readonly AssociationRow[], columns: readonly FeatureColumn[]): FeatureAssociation[] {
  return columns
    .map((column) => {
      const reasons: Reasons = {};
      const actual = associate(column, rows.map((r) => r.target), 'actual', reasons);
      const error = associate(column, rows.map((r) => r.residual), 'error', reasons);
      return {
        feature: column.name,
        type: column.kind,
        present: column.present,
        missing: column.values.length - column.present,
        actual,
        error,
        strength: strengthOf(actual),
        undefined: reasons,
      };
    })
    .sort((a, b) => (b.strength ?? -1) - (a.strength ?? -1) || (a.feature < b.feature ? -1 : 1));
}

function strengthOf(a: Association): number | null {
  if (a.spearman !== undefined) return a.spearman === null ? (a.pearson ? Math.abs(a.pearson.statistic) : null) : Math.abs(a.spearman.statistic);
  if (a.correlationRatio !== undefined) return a.correlationRatio;
  return a.cramersV?.statistic ?? null;
}

function associate(column: FeatureColumn, variable: readonly (number | string | null)[], name: string, reasons: Reasons): Association {
  const categoricalVariable = variable.some((v) => typeof v === 'string');
  const feature = column.kind === 'categorical' ? groupedCategories(column.values) : column.values;
  const pairs: [number | string, number | string][] = [];
  feature.forEach((f, i) => {
    const v = variable[i];
    if (f !== null && v !== null && v !== undefined) pairs.push([f, v]);
  });
  const n = pairs.length;
  const xs = pairs.map((p) => p[0]);
  const ys = pairs.map((p) => p[1]);
  if (n < MIN_ROWS) {
    const reason = `needs at least ${MIN_ROWS} rows with both the feature and the ${name}, got ${n}`;
    if (column.kind === 'numeric' && !categoricalVariable) {
      reasons[`${name}.pearson`] = reasons[`${name}.spearman`] = reason;
      return { n, pearson: null, spearman: null };
    }
    const key = column.kind === 'categorical' && categoricalVariable ? 'cramersV' : 'correlationRatio';
    reasons[`${name}.${key}`] = reason;
    return { n, [key]: null };
  }
  if (column.kind === 'numeric' && !categoricalVariable) {
    return { n, pearson: correlation(pearson(xs as number[], ys as number[]), `${name}.pearson`, reasons), spearman: correlation(spearman(xs as number[], ys as number[]), `${name}.spearman`, reasons) };
  }
  if (column.kind === 'numeric') return { n, correlationRatio: correlationRatio(ys as string[], xs as number[]) };
  if (!categoricalVariable) return { n, correlationRatio: correlationRatio(xs as string[], ys as number[]) };
  return { n, cramersV: cramersV(xs.map(String), ys.map(String), `${name}.cramersV`, reasons) };
}

function correlation(result: { statistic: number; pValue: number }, key: string, reasons: Reasons): Correlation | null {
  if (Number.isNaN(result.statistic)) {
    reasons[key] = 'the feature or the variable is constant over these rows';
    return null;
  }
  return { statistic: result.statistic, pValue: Number.isNaN(result.pValue) ? null : result.pValue };
}

function cramersV(a: string[], b: string[], key: string, reasons: Reasons): Correlation | null {
  const rowsOf = [...new Set(a)].sort();
  const colsOf = [...new Set(b)].sort();
  if (rowsOf.length < 2 || colsOf.length < 2) {
    reasons[key] = 'needs at least 2 categories of the feature and 2 labels';
    return null;
  }
  const r = new Map(rowsOf.map((v, i) => [v, i]));
  const c = new Map(colsOf.map((v, i) => [v, i]));
  const table = rowsOf.map(() => new Array<number>(colsOf.length).fill(0));
  a.forEach((v, i) => table[r.get(v)!]![c.get(b[i]!)!]!++);
  const chi2 = chi2Contingency(table, { correction: false });
  const k = Math.min(rowsOf.length, colsOf.length) - 1;
  return { statistic: Math.min(1, Math.sqrt(chi2.statistic / (a.length * k))), pValue: chi2.pValue };
}
