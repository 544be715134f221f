import { benjaminiHochberg, holm, psi } from '../../stats/index.js';
import type { DriftFeatureType, ValueColumn } from './columns.js';
import { type ColumnDetails, type DriftMethod, type MethodResult, type Sample, categories, chooseMethod, runMethod, usesPValue } from './methods.js';
import { type FeatureStatus, type Severity, featureSeverity } from './severity.js';

export const CORRECTIONS = ['benjamini-hochberg', 'holm'] as const;
export type Correction = (typeof CORRECTIONS)[number];

export interface DriftOptions {
  method?: DriftMethod;
  threshold?: number;
  logBase?: 'e' | '2';
  correction: Correction;
}

/** Unseen and vanished categories listed at most. */
const MAX_LISTED_CATEGORIES = 20;

/** The drift of one feature (or model output) between the windows. */
export interface ColumnDrift {
  name: string;
  type: DriftFeatureType;
  status: FeatureStatus;
  method: DriftMethod | null;
  statistic: number | null;
  pValue: number | null;
  /** The p-value after the multiple-testing correction (p-value tests only). */
  adjustedPValue: number | null;
  threshold: number | null;
  drifted: boolean;
  severity: Severity;
  effectSize: { measure: 'psi'; value: number } | null;
  /** Why it counts as drifted (or why it could not be tested), in words. */
  reasons: string[];
  details: ColumnDetails;
  /** Internal: the test's own verdict before correction. */
  testDrifted: boolean;
  missingShift: number;
}

function sampleOf(column: ValueColumn, type: DriftFeatureType): Sample {
  if (type === 'numeric') {
    const numbers = column.sortedNumbers();
    return { type, numbers, count: numbers.length };
  }
  const texts = column.texts();
  return { type, texts, count: texts.length };
}

function distinctSorted(a: Float64Array): number {
  let n = a.length > 0 ? 1 : 0;
  for (let i = 1; i < a.length; i++) if (a[i] !== a[i - 1]) n++;
  return n;
}

function counts(texts: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of texts) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Compares one feature between the windows: type from the reference, the method by Evidently's rule (or the
 * forced one where it applies), PSI as the effect size, missing values, unseen categories. The p-value
 * verdict is final only after `correctAndRate` corrected the p-values of the whole family.
 */
/** A column before (or without) a test's result. */
function untested(name: string, type: DriftFeatureType, status: FeatureStatus, reasons: string[]) {
  return { name, type, status, method: null, statistic: null, pValue: null, adjustedPValue: null, threshold: null, drifted: false, severity: 'none' as const, effectSize: null, reasons };
}

export function compareColumn(name: string, reference: ValueColumn, current: ValueColumn, options: DriftOptions): ColumnDrift {
  const inReference = reference.present > 0;
  const inCurrent = current.present > 0;
  const type = inReference ? reference.inferType() : current.inferType();
  const mismatchRef = reference.mismatches(type);
  const mismatchCur = current.mismatches(type);
  const missing = {
    reference: share(reference.rows - reference.present + mismatchRef, reference.rows),
    current: share(current.rows - current.present + mismatchCur, current.rows),
  };
  const base: ColumnDrift = {
    ...untested(name, type, 'tested', []),
    details: {
      referenceCount: reference.present - mismatchRef,
      currentCount: current.present - mismatchCur,
      missing,
      ...(mismatchRef + mismatchCur > 0 ? { typeMismatches: { reference: mismatchRef, current: mismatchCur, note: 'values that are not numbers, counted as missing' } } : {}),
    },
    testDrifted: false,
    missingShift: 0,
  };
  if (!inReference || !inCurrent || (type === 'numeric' && (reference.numbers.length === 0 || current.numbers.length === 0))) {
    const absentFromCurrent = !inCurrent || (type === 'numeric' && current.numbers.length === 0);
    base.status = absentFromCurrent && inReference ? 'missing_in_current' : 'missing_in_reference';
    base.reasons.push(base.status === 'missing_in_current' ? 'present in the reference but missing from every row of the current window' : 'absent from the reference: new in the current window, nothing to compare with');
    return base;
  }

  const ref = sampleOf(reference, type);
  const cur = sampleOf(current, type);
  let refDistinct: number;
  let unionDistinct: number;
  if (type === 'numeric') {
    refDistinct = distinctSorted(ref.numbers!);
    unionDistinct = refDistinct;
  } else {
    const refCounts = counts(ref.texts!);
    const curCounts = counts(cur.texts!);
    refDistinct = refCounts.size;
    unionDistinct = new Set([...refCounts.keys(), ...curCounts.keys()]).size;
    const unseen = [...curCounts].filter(([k]) => !refCounts.has(k)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const vanished = [...refCounts].filter(([k]) => !curCounts.has(k)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    base.details.distinct = { reference: refDistinct, current: curCounts.size };
    base.details.unseenCategories = unseen.slice(0, MAX_LISTED_CATEGORIES).map(([value, n]) => ({ value, count: n, currentShare: n / cur.count }));
    base.details.unseenCategoryCount = unseen.length;
    base.details.unseenShare = unseen.reduce((s, [, n]) => s + n, 0) / cur.count;
    base.details.vanishedCategories = vanished.slice(0, MAX_LISTED_CATEGORIES).map(([value, n]) => ({ value, count: n, referenceShare: n / ref.count }));
  }
  if (type === 'numeric') base.details.distinct = { reference: refDistinct, current: distinctSorted(cur.numbers!) };

  // The union of values only matters to a forced z-test (at most two values).
  if (type === 'numeric' && options.method === 'z') unionDistinct = distinctSorted(Float64Array.from([...ref.numbers!, ...cur.numbers!]).sort());
  const chosen = chooseMethod(options.method, type, ref.count, refDistinct, unionDistinct);
  const forced = options.method !== undefined && chosen.method === options.method;
  const result: MethodResult = runMethod(chosen.method, ref, cur, { ...(forced && options.threshold !== undefined ? { threshold: options.threshold } : {}), ...(options.logBase ? { logBase: options.logBase } : {}) });
  const effect = result.method === 'psi' ? result.statistic! : psi(categories(ref), categories(cur), { featureType: type === 'numeric' ? 'num' : 'cat' }).psi;
  return {
    ...base,
    method: result.method,
    statistic: result.statistic,
    pValue: result.pValue,
    threshold: result.threshold,
    effectSize: { measure: 'psi', value: effect },
    details: { ...base.details, ...(chosen.note ? { methodNote: chosen.note } : {}), methodChosenBy: forced ? 'request' : 'evidently-default', ...result.details },
    testDrifted: result.drifted,
    missingShift: missing.current - missing.reference,
  };
}

/**
 * compareColumn, but a feature whose values a test cannot take (an edge case the statistics refuse) is reported
 * as not tested, with the reason, instead of failing the whole report.
 */
export function compareColumnSafely(name: string, reference: ValueColumn, current: ValueColumn, options: DriftOptions): ColumnDrift {
  try {
    return compareColumn(name, reference, current, options);
  } catch (error) {
    const type = reference.present > 0 ? reference.inferType() : current.inferType();
    return {
      ...untested(name, type, 'not_tested', [`could not be tested: ${(error as Error).message}`]),
      details: { referenceCount: reference.present, currentCount: current.present, missing: { reference: share(reference.rows - reference.present, reference.rows), current: share(current.rows - current.present, current.rows) } },
      testDrifted: false,
      missingShift: 0,
    };
  }
}

/**
 * Corrects the p-values of a family (the features, or the model outputs) for multiple testing, then decides
 * each member's drift and severity. Distances are compared with their threshold, uncorrected.
 */
export function correctAndRate(family: ColumnDrift[], correction: Correction): { tests: number } {
  const tested = family.filter((c) => c.status === 'tested' && c.method !== null && usesPValue(c.method) && c.pValue !== null);
  const adjusted = tested.length === 0 ? [] : correction === 'holm' ? holm(tested.map((c) => c.pValue!)) : benjaminiHochberg(tested.map((c) => c.pValue!));
  tested.forEach((c, i) => {
    c.adjustedPValue = adjusted[i]!;
    c.testDrifted = c.adjustedPValue < c.threshold!;
  });
  for (const c of family) {
    if (c.status === 'tested' && c.method !== null && usesPValue(c.method) && c.pValue === null) c.testDrifted = false;
    const shifted = Math.abs(c.missingShift) >= 0.1;
    c.drifted = c.status === 'missing_in_current' || c.status === 'missing_in_reference' || c.testDrifted || shifted;
    if (c.status === 'tested' && c.testDrifted) {
      c.reasons.push(
        usesPValue(c.method!)
          ? `${c.method} p = ${fmt(c.pValue!)} (${correction}-adjusted ${fmt(c.adjustedPValue!)}) < ${c.threshold}`
          : `${c.method} ${fmt(c.statistic!)} ≥ ${c.threshold}`,
      );
    }
    if (shifted) {
      const m = c.details.missing;
      c.reasons.push(`missing values went from ${pct(m.reference)} to ${pct(m.current)}`);
    }
    c.severity = featureSeverity({ status: c.status, testDrifted: c.testDrifted, psi: c.effectSize?.value ?? null, missingShift: c.missingShift });
  }
  return { tests: tested.length };
}

const fmt = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 0.001 && Math.abs(x) < 1000 ? String(Number(x.toPrecision(3))) : x.toExponential(2));
