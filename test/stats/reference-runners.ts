import { expect } from 'vitest';
import * as stats from '../../src/stats/index.js';
import { type Encoded, decodeNumber, expectClose, expectExact } from './tolerance.js';

export interface ReferenceCase {
  name: string;
  test: string;
  inputs: Record<string, Encoded>;
  options: Record<string, Encoded>;
  expected: Encoded;
}

type Obj = { [key: string]: Encoded };

/** Reference field name → field of our result. */
const FIELD: Record<string, string> = {
  pvalue: 'pValue',
  statistic_location: 'statisticLocation',
  statistic_sign: 'statisticSign',
  method_used: 'method',
  expected_freq: 'expectedFreq',
  p_pooled: 'pPooled',
  r2_raw: 'r2Raw',
  ss_res: 'ssRes',
  ss_tot: 'ssTot',
  mape_n: 'mapeN',
  roc_auc: 'rocAuc',
  log_loss: 'logLoss',
  macro_f1: 'macroF1',
  n_bins_used: 'nBins',
  bin_edges: 'binEdges',
  reference_percents: 'referencePercents',
  current_percents: 'currentPercents',
};

/** Fields compared exactly: integers, booleans, labels, method names. */
const EXACT = new Set([
  'statistic_sign', 'method_used', 'dof', 'tp', 'fp', 'tn', 'fn', 'mape_n', 'n_bins_used', 'labels',
  'categories', 'binning', 'drift',
]);

function compareValue(actual: unknown, expected: Encoded, field: string): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${field} is an array`).toBe(true);
    const arr = actual as unknown[];
    expect(arr.length, `${field}.length`).toBe(expected.length);
    expected.forEach((e, i) => compareValue(arr[i], e, `${field}[${i}]`));
  } else if (expected === null) {
    expect(actual, field).toBeNull();
  } else if (typeof expected === 'number' || (typeof expected === 'string' && /^-?(NaN|Infinity)$/.test(expected))) {
    expect(typeof actual, `${field} is a number`).toBe('number');
    expectClose(actual as number, expected, field);
  } else {
    expectExact(actual, expected, field);
  }
}

/** Compares every expected field (snake_case) with the result (camelCase), exact where required. */
export function compareResult(actual: object, expected: Obj, context: string): void {
  const rec = actual as Record<string, unknown>;
  for (const [key, exp] of Object.entries(expected)) {
    const field = FIELD[key] ?? key;
    expect(field in rec, `${context}: result has ${field} (for ${key})`).toBe(true);
    if (EXACT.has(key)) expectExact(rec[field], exp, `${context}.${key}`);
    else compareValue(rec[field], exp, `${context}.${key}`);
  }
}

const nums = (v: Encoded): number[] => (v as Encoded[]).map((x) => decodeNumber(x));
const cats = (v: Encoded): (number | string)[] => (v as Encoded[]).map((x) => (typeof x === 'string' ? x : (x as number)));

function variants(c: ReferenceCase): [string, Obj | null, Obj][] {
  const vs = (c.options.variants ?? {}) as Record<string, Obj>;
  const expected = c.expected as Record<string, Encoded>;
  return Object.keys(vs).map((k) => [k, expected[k] as Obj | null, vs[k] as Obj]);
}

function expectError(fn: () => unknown, expected: Obj, context: string): void {
  const err = expected.error as Obj;
  expect(err.type, `${context}: scipy error type`).toBe('ValueError');
  expect(fn, context).toThrow(stats.StatsInputError);
  expect(fn, context).toThrow(err.message as string);
}

export const runners: Record<string, (c: ReferenceCase) => void> = {
  ks_2samp(c) {
    for (const [key, exp, opts] of variants(c)) {
      const method = opts.method as stats.KsMethod;
      compareResult(stats.ksTwoSample(nums(c.inputs.x!), nums(c.inputs.y!), { method }), exp!, key);
    }
  },
  ttest_ind(c) {
    for (const [key, exp, opts] of variants(c)) {
      const fn = opts.equal_var ? stats.studentTTest : stats.welchTTest;
      compareResult(fn(nums(c.inputs.x!), nums(c.inputs.y!)), exp!, key);
    }
  },
  ttest_1samp(c) {
    compareResult(stats.oneSampleTTest(nums(c.inputs.x!), decodeNumber(c.inputs.popmean)), c.expected as Obj, 'ttest_1samp');
  },
  shapiro(c) {
    const r = stats.shapiroWilk(nums(c.inputs.x!));
    const exp = c.expected as Obj;
    // Float32 emulation: W and p must be the very doubles scipy returned.
    expect(r.statistic, 'statistic (bit-exact)').toBe(decodeNumber(exp.statistic!));
    expect(r.pValue, 'pvalue (bit-exact)').toBe(decodeNumber(exp.pvalue!));
  },
  chi2_contingency(c) {
    const table = (c.inputs.table as Encoded[]).map((row) => nums(row));
    for (const [key, exp, opts] of variants(c)) {
      const run = () => stats.chi2Contingency(table, { correction: opts.correction as boolean });
      if (exp && 'error' in exp) expectError(run, exp, key);
      else compareResult(run(), exp!, key);
    }
  },
  mannwhitneyu(c) {
    for (const [key, exp, opts] of variants(c)) {
      if (exp === null) continue; // scipy did not record this variant (exact with n > 25)
      const method = opts.method as stats.MannWhitneyMethod;
      const r = stats.mannWhitneyU(nums(c.inputs.x!), nums(c.inputs.y!), { method });
      compareResult(r, exp, key);
    }
  },
  proportions_ztest(c) {
    const i = c.inputs as Record<string, number>;
    compareResult(stats.proportionsZTest(i.x1!, i.n1!, i.x2!, i.n2!), c.expected as Obj, 'proportions_ztest');
  },
  skew(c) {
    for (const [key, , opts] of variants(c)) {
      expectClose(stats.skew(nums(c.inputs.x!), { bias: opts.bias as boolean }), (c.expected as Obj)[key], key);
    }
  },
  kurtosis(c) {
    for (const [key, , opts] of variants(c)) {
      const r = stats.kurtosis(nums(c.inputs.x!), { bias: opts.bias as boolean, fisher: c.options.fisher as boolean });
      expectClose(r, (c.expected as Obj)[key], key);
    }
  },
  percentile(c) {
    const r = stats.percentiles(nums(c.inputs.x!), nums(c.options.q!));
    compareValue(r, (c.expected as Obj).values!, 'values');
  },
  wasserstein_distance(c) {
    expectClose(stats.wassersteinDistance(nums(c.inputs.u!), nums(c.inputs.v!)), (c.expected as Obj).distance, 'distance');
  },
  jensenshannon(c) {
    const r = stats.jensenShannon(nums(c.inputs.p!), nums(c.inputs.q!), { base: c.options.base as number });
    expectClose(r, (c.expected as Obj).distance, 'distance');
  },
  jensenshannon_binned(c) {
    const featureType = c.options.feature_type as stats.FeatureType;
    const r = stats.jensenShannonBinned(cats(c.inputs.reference!), cats(c.inputs.current!), {
      featureType,
      base: c.options.base as number,
    });
    compareResult(r, c.expected as Obj, 'jensenshannon_binned');
  },
  psi(c) {
    const featureType = c.options.feature_type as stats.FeatureType;
    const r = stats.psi(cats(c.inputs.reference!), cats(c.inputs.current!), {
      featureType,
      threshold: c.options.threshold as number,
    });
    compareResult(r, c.expected as Obj, 'psi');
  },
  regression_metrics(c) {
    compareResult(stats.regressionMetrics(nums(c.inputs.y_true!), nums(c.inputs.y_pred!)), c.expected as Obj, 'regression');
  },
  classification_binary(c) {
    const r = stats.binaryClassificationMetrics(nums(c.inputs.y_true!), nums(c.inputs.y_score!), {
      threshold: c.options.threshold as number,
    });
    compareResult(r, c.expected as Obj, 'binary');
  },
  classification_multiclass(c) {
    const r = stats.multiclassClassificationMetrics(cats(c.inputs.y_true!), cats(c.inputs.y_pred!));
    compareResult(r, c.expected as Obj, 'multiclass');
  },
};
