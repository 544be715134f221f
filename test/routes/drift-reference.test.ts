import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTo, decodeNumber } from '../stats/tolerance.js';
import { createTestApp, type TestContext } from '../helpers/app.js';
import { getJson, ingest, iso } from '../helpers/analytics.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

/**
 * The Done-when of drift detection: the reference arrays of test/fixtures/stats-public.json (scipy 1.10 and
 * Evidently 0.4.x), sent through the HTTP API as predictions in two windows, come back from GET …/drift with
 * the reference statistic, p-value and binning within the reference tolerance.
 */
interface Case {
  name: string;
  test: string;
  inputs: Record<string, unknown[]>;
  options: Record<string, unknown>;
  expected: Record<string, any>;
}

const cases = (JSON.parse(readFileSync(new URL('../fixtures/stats-public.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;
const pick = (test: string) => cases.filter((c) => c.test === test);
const sides = (c: Case): [unknown[], unknown[]] => (c.test === 'ks_2samp' ? [c.inputs.x!, c.inputs.y!] : c.test === 'wasserstein_distance' ? [c.inputs.u!, c.inputs.v!] : [c.inputs.reference!, c.inputs.current!]);

const HOUR = 3_600_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');
/** Each distinct input pair gets its own pair of windows: reference [t, t + 1h), current [t + 1h, t + 2h). */
const slots = new Map<string, number>();
const slotOf = (c: Case) => slots.get(JSON.stringify(sides(c)))!;
const windowsOf = (c: Case) => {
  const t = T0 + slotOf(c) * 2 * HOUR;
  return `referenceFrom=${iso(t)}&referenceTo=${iso(t + HOUR)}&currentFrom=${iso(t + HOUR)}&currentTo=${iso(t + 2 * HOUR)}`;
};

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('ref'));
  const items: Record<string, unknown>[] = [];
  for (const c of [...pick('ks_2samp'), ...pick('wasserstein_distance'), ...pick('psi'), ...pick('jensenshannon_binned')]) {
    const key = JSON.stringify(sides(c));
    if (slots.has(key)) continue;
    const slot = slots.size;
    slots.set(key, slot);
    const [reference, current] = sides(c);
    const t = T0 + slot * 2 * HOUR;
    // Spread over the hour in steps that stay inside it for the largest sample (10,000 values).
    const add = (values: unknown[], start: number) =>
      values.forEach((x, i) => items.push({ model: 'ref', features: { x }, prediction: 'LAL', confidence: 0.6, predictedAt: iso(start + i * 300) }));
    add(reference, t);
    add(current, t + HOUR);
  }
  await ingest(ctx.app, items);
}, 120_000);
afterAll(() => ctx.close());

async function featureX(c: Case, method: string, extra = '') {
  const body = await getJson(ctx.app, `/v1/models/ref/drift?${windowsOf(c)}&method=${method}${extra}`);
  const [reference, current] = sides(c);
  expect(body.reference.rows, `${c.name}: reference rows`).toBe(reference.length);
  expect(body.current.rows, `${c.name}: current rows`).toBe(current.length);
  const x = body.features.find((f: { feature: string }) => f.feature === 'x');
  expect(x, `${c.name}: feature x`).toBeTruthy();
  expect(x.method, `${c.name}: method`).toBe(method);
  return x;
}

function expectClose(actual: unknown, expected: unknown, what: string) {
  expect(typeof actual, `${what}: ${String(actual)}`).toBe('number');
  expect(closeTo(actual as number, expected), `${what}: ${String(actual)} vs ${String(decodeNumber(expected))}`).toBe(true);
}

function expectBinning(binning: any, expected: Record<string, any>, name: string) {
  expect(binning.kind, `${name}: binning`).toBe(expected.binning);
  expect(binning.bins, `${name}: bins`).toBe(expected.n_bins_used);
  if (expected.bin_edges === null) expect(binning.edges).toBeNull();
  else expected.bin_edges.forEach((e: number, i: number) => expectClose(binning.edges[i], e, `${name}: edge ${i}`));
  expect(binning.categories, `${name}: categories`).toEqual(expected.categories);
  expected.reference_percents.forEach((p: number, i: number) => expectClose(binning.referencePercents[i], p, `${name}: reference % ${i}`));
  expected.current_percents.forEach((p: number, i: number) => expectClose(binning.currentPercents[i], p, `${name}: current % ${i}`));
}

describe('reference arrays through the HTTP API', () => {
  it.each(pick('ks_2samp').map((c) => [c.name, c] as const))('%s: KS statistic, p-value (scipy ks_2samp, method auto) and p-value method', async (_name, c) => {
    const x = await featureX(c, 'ks');
    const expected = c.expected.auto;
    expectClose(x.statistic, expected.statistic, `${c.name} statistic`);
    expectClose(x.pValue, expected.pvalue, `${c.name} p`);
    expect(x.details.pValueMethod).toBe(expected.method_used);
    expect(x.adjustedPValue, 'one test: the correction leaves p as it is').toBe(x.pValue);
    expect(x.drifted).toBe(expected.pvalue < 0.05);
  });

  it.each(pick('wasserstein_distance').map((c) => [c.name, c] as const))('%s: Wasserstein distance and its normalisation (Evidently)', async (_name, c) => {
    const x = await featureX(c, 'wasserstein');
    expectClose(x.details.distance, c.expected.distance, `${c.name} distance`);
    expect(x.statistic).toBeCloseTo(x.details.distance / x.details.normalizer, 12);
    expect(x.details.normalizer).toBe(Math.max(x.details.referenceStd, 0.001));
    expect(x.pValue).toBeNull();
    expect(x.threshold).toBe(0.1);
  });

  it.each(pick('psi').map((c) => [c.name, c] as const))('%s: PSI with Evidently 0.4.x binning and zero filling', async (_name, c) => {
    const x = await featureX(c, 'psi');
    expectClose(x.statistic, c.expected.psi, `${c.name} psi`);
    expect(x.drifted).toBe(c.expected.drift);
    expect(x.type).toBe(c.options.feature_type === 'cat' ? 'categorical' : 'numeric');
    expectBinning(x.details.binning, c.expected, c.name);
    expect(x.details.logBase).toBe('e');
    expect(x.effectSize).toEqual({ measure: 'psi', value: x.statistic });
  });

  it.each(pick('jensenshannon_binned').map((c) => [c.name, c] as const))('%s: Jensen–Shannon distance (base 2) over Evidently binning', async (_name, c) => {
    const x = await featureX(c, 'jensenshannon', '&logBase=2');
    expectClose(x.statistic, c.expected.distance, `${c.name} distance`);
    expect(x.details.logBase).toBe('2');
    expectBinning(x.details.binning, c.expected, c.name);
    // Evidently's natural log: the same distance scaled by √ln 2.
    const natural = await featureX(c, 'jensenshannon');
    expect(natural.statistic).toBeCloseTo(x.statistic * Math.sqrt(Math.LN2), 12);
  });

  it('picks the default method by Evidently’s rule (reference ≤ 1000 → KS for a continuous feature; larger → Wasserstein)', async () => {
    const small = pick('ks_2samp').find((c) => c.name === 'ks_2samp/medium_same_dist')!;
    const body = await getJson(ctx.app, `/v1/models/ref/drift?${windowsOf(small)}`);
    const x = body.features.find((f: { feature: string }) => f.feature === 'x');
    expect(x.method).toBe('ks');
    expect(x.details.methodChosenBy).toBe('evidently-default');
    expectClose(x.pValue, small.expected.auto.pvalue, 'default ks p');
    const large = pick('ks_2samp').find((c) => c.name === 'ks_2samp/large_small_shift')!;
    const big = (await getJson(ctx.app, `/v1/models/ref/drift?${windowsOf(large)}`)).features.find((f: { feature: string }) => f.feature === 'x');
    expect(big.method).toBe('wasserstein');
  });
});
