import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel, regressionModel } from '../helpers/fixtures.js';

/**
 * Drift scenarios through the API: a stable model, a shifted numeric feature, a new category, a changed
 * label distribution, a broken feature–target relation (classification and regression), identical windows.
 * Each model gets 600 reference predictions (September 1–29) and 300 current ones (September 29 – October 6).
 */
const DAY = 86_400_000;
const REF_FROM = Date.parse('2024-09-01T00:00:00Z');
const CUR_FROM = Date.parse('2024-09-29T00:00:00Z');
const CUR_TO = Date.parse('2024-10-06T00:00:00Z');
const WINDOWS = `referenceFrom=${iso(REF_FROM)}&referenceTo=${iso(CUR_FROM)}&currentFrom=${iso(CUR_FROM)}&currentTo=${iso(CUR_TO)}`;
const VENUES = ['TD Garden', 'MSG', 'United Center'];

interface Scenario {
  eloMean?: number;
  newVenue?: string;
  /** Predict LAL from this P(LAL) on (a serving bug moving the label distribution). */
  cutoff?: number;
  /** The outcome no longer depends on the features. */
  broken?: boolean;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function games(model: string, seed: number, current: Scenario = {}, reference: Scenario = {}) {
  const rnd = random(seed);
  const item = (at: number, s: Scenario) => {
    const homeElo = Math.round(rnd.normal(s.eloMean ?? 1500, 100) * 10) / 10;
    const p = Math.round(sigmoid(((homeElo - 1500) / 100) * 1.5) * 1000) / 1000;
    const venue = s.newVenue && rnd.next() < 0.3 ? s.newVenue : rnd.pick(VENUES);
    const actual = (s.broken ? rnd.next() < 0.5 : rnd.next() < sigmoid(((homeElo - 1500) / 100) * 3)) ? 'LAL' : 'BOS';
    return {
      model,
      features: { homeElo, restDays: rnd.int(0, 3), venue, isPlayoff: rnd.next() < 0.2 },
      prediction: p >= (s.cutoff ?? 0.5) ? 'LAL' : 'BOS',
      probabilities: { LAL: p, BOS: Math.round((1 - p) * 1000) / 1000 },
      predictedAt: iso(at),
      actual,
    };
  };
  return [
    ...Array.from({ length: 600 }, (_, i) => item(REF_FROM + i * ((CUR_FROM - REF_FROM) / 600), reference)),
    ...Array.from({ length: 300 }, (_, i) => item(CUR_FROM + i * ((CUR_TO - CUR_FROM) / 300), current)),
  ];
}

function trips(model: string, seed: number, currentFactor: number) {
  const rnd = random(seed);
  const item = (at: number, factor: number) => {
    const distanceKm = Math.round((1 + rnd.next() * 19) * 100) / 100;
    return {
      model,
      features: { distanceKm, rain: rnd.next() < 0.3 },
      prediction: Math.round(3 * distanceKm * 100) / 100,
      predictedAt: iso(at),
      actual: Math.round((3 * distanceKm * factor + rnd.normal(0, 2)) * 100) / 100,
    };
  };
  return [
    ...Array.from({ length: 600 }, (_, i) => item(REF_FROM + i * ((CUR_FROM - REF_FROM) / 600), 1)),
    ...Array.from({ length: 300 }, (_, i) => item(CUR_FROM + i * ((CUR_TO - CUR_FROM) / 300), currentFactor)),
  ];
}

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
  for (const name of ['stable', 'shift', 'newcat', 'labels', 'concept']) await createModel(ctx.app, binaryModel(name), 'v1');
  await createModel(ctx.app, regressionModel('eta'), 'v1');
  await ingest(ctx.app, [
    ...games('stable', 1),
    ...games('shift', 2, { eloMean: 1650 }),
    ...games('newcat', 3, { newVenue: 'Chase Center' }),
    ...games('labels', 4, { cutoff: 0.3 }),
    ...games('concept', 5, { broken: true }),
    ...trips('eta', 6, 1.4),
  ]);
}, 60_000);
afterAll(() => ctx.close());

const drift = (model: string, extra = '') => getJson(ctx.app, `/v1/models/${model}/drift?${WINDOWS}${extra}`);
const feature = (body: any, name: string) => body.features.find((f: any) => f.feature === name);

describe('GET /v1/models/{model}/drift: scenarios', () => {
  it('a stable model reports no drift of any kind', async () => {
    const body = await drift('stable');
    expect(body.reference).toMatchObject({ kind: 'window', rows: 600, labeled: 600 });
    expect(body.current).toMatchObject({ kind: 'window', rows: 300, labeled: 300 });
    expect(body.features.map((f: any) => [f.feature, f.type, f.method])).toEqual(
      expect.arrayContaining([
        ['homeElo', 'numeric', 'ks'],
        ['restDays', 'numeric', 'chi2'],
        ['venue', 'categorical', 'chi2'],
        ['isPlayoff', 'boolean', 'z'],
      ]),
    );
    for (const f of body.features) expect(f, f.feature).toMatchObject({ drifted: false, severity: 'none', status: 'tested' });
    expect(body.prediction.drifted).toBe(false);
    expect(body.concept).toMatchObject({ test: 'two-proportion-z', metric: 'accuracy', drifted: false, direction: 'unchanged', severity: 'none' });
    expect(body.summary).toMatchObject({ severity: 'none', driftedCount: 0, featureCount: 4, share: 0, kinds: [] });
    expect(body.summary.recommendation).toMatch(/No drift/);
    expect(body.severityRule).toEqual({ name: 'hindsight-drift-severity', version: '1' });
    expect(body.correction).toMatchObject({ method: 'benjamini-hochberg', featureTests: 4 });
    expect(body.undefined).toEqual({});
  });

  it('a shifted numeric feature is data drift with a high severity (and moves the outputs it drives)', async () => {
    const body = await drift('shift');
    const elo = feature(body, 'homeElo');
    expect(elo).toMatchObject({ method: 'ks', drifted: true, severity: 'high' });
    expect(elo.adjustedPValue).toBeLessThan(1e-10);
    expect(elo.effectSize.value).toBeGreaterThan(0.25);
    expect(elo.details).toMatchObject({ pValueMethod: 'exact', referenceCount: 600, currentCount: 300, missing: { reference: 0, current: 0 } });
    expect(elo.reasons[0]).toMatch(/^ks p = .* < 0\.05$/);
    for (const name of ['restDays', 'venue', 'isPlayoff']) expect(feature(body, name).drifted, name).toBe(false);
    expect(body.features[0].feature).toBe('homeElo');
    expect(body.summary.kinds).toContain('data');
    expect(body.summary.driftedFeatures).toEqual(['homeElo']);
    expect(body.summary.share).toBe(0.25);
    expect(body.prediction.drifted).toBe(true);
    expect(body.prediction.meanShift.measure).toBe('mean');
    expect(body.prediction.meanShift.difference).toBeGreaterThan(0.1);
    expect(body.concept.direction).not.toBe('degraded');
    expect(body.summary.severity).toBe('high');
  });

  it('a new category is drift, named in unseenCategories (χ² is infinite, p = 0)', async () => {
    const body = await drift('newcat');
    const venue = feature(body, 'venue');
    expect(venue).toMatchObject({ type: 'categorical', method: 'chi2', statistic: null, pValue: 0, drifted: true, severity: 'high' });
    expect(venue.details.statisticNote).toMatch(/infinite/);
    expect(venue.details.unseenCategories).toEqual([{ value: 'Chase Center', count: expect.any(Number), currentShare: expect.any(Number) }]);
    expect(venue.details.unseenShare).toBeGreaterThan(0.2);
    expect(venue.details.binning.categories).toContain('Chase Center');
    expect(body.summary.driftedFeatures).toEqual(['venue']);
    expect(body.summary.severity).toBe('high');
  });

  it('a changed label distribution is prediction drift, while the features are stable', async () => {
    const body = await drift('labels');
    expect(body.summary.driftedCount).toBe(0);
    const label = body.prediction.outputs.find((o: any) => o.output === 'label');
    expect(label).toMatchObject({ type: 'categorical', method: 'z', drifted: true });
    expect(label.shift).toMatchObject({ measure: 'share of "LAL" predictions' });
    expect(label.shift.current - label.shift.reference).toBeGreaterThan(0.15);
    expect(body.prediction.outputs.find((o: any) => o.output === 'pPositive')).toMatchObject({ method: 'ks', drifted: false });
    expect(body.prediction.drifted).toBe(true);
    expect(['medium', 'high']).toContain(body.prediction.severity);
    expect(body.summary.kinds).toEqual(expect.arrayContaining(['prediction']));
    expect(['medium', 'high', 'critical']).toContain(body.summary.severity);
  });

  it('a broken feature–target relation is concept drift, which weighs most: critical', async () => {
    const body = await drift('concept');
    expect(body.summary.driftedCount).toBe(0);
    expect(body.prediction.drifted).toBe(false);
    const c = body.concept;
    expect(c).toMatchObject({ test: 'two-proportion-z', metric: 'accuracy', higherIsBetter: true, direction: 'degraded', drifted: true, alpha: 0.05 });
    expect(c.reference.n).toBe(600);
    expect(c.current.n).toBe(300);
    expect(c.reference.mean - c.current.mean).toBeGreaterThan(0.15);
    expect(c.changePercent).toBeLessThan(-20);
    expect(c.statistic).toBeLessThan(0);
    expect(c.pValue).toBeLessThan(1e-4);
    expect(c.severity).toBe('critical');
    expect(body.summary.severity).toBe('critical');
    expect(body.summary.kinds).toContain('concept');
    expect(body.summary.recommendation).toMatch(/accuracy got worse/);
  });

  it('regression: Welch’s t-test on absolute errors finds the degraded MAE, and the bias', async () => {
    const body = await drift('eta');
    expect(body.features.map((f: any) => f.feature).sort()).toEqual(['distanceKm', 'rain']);
    expect(body.summary.driftedCount).toBe(0);
    const c = body.concept;
    expect(c).toMatchObject({ test: 'welch-t', metric: 'mae', higherIsBetter: false, direction: 'degraded', drifted: true, severity: 'critical' });
    expect(c.current.mean).toBeGreaterThan(c.reference.mean * 2);
    expect(c.df).toBeGreaterThan(100);
    expect(c.bias.currentMean).toBeLessThan(-5);
    expect(c.bias.pValue).toBeLessThan(1e-10);
    expect(body.prediction.outputs.map((o: any) => o.output)).toEqual(['value']);
    expect(body.prediction.outputs[0].shift.measure).toBe('mean');
  });

  it('identical windows never report drift', async () => {
    for (const model of ['stable', 'shift', 'newcat', 'labels', 'concept', 'eta']) {
      const range = `referenceFrom=${iso(REF_FROM)}&referenceTo=${iso(CUR_TO)}&currentFrom=${iso(REF_FROM)}&currentTo=${iso(CUR_TO)}`;
      for (const method of ['', '&method=psi', '&method=jensenshannon', '&method=chi2']) {
        const body = await getJson(ctx.app, `/v1/models/${model}/drift?${range}${method}`);
        expect(body.summary.severity, `${model}${method}`).toBe('none');
        for (const f of [...body.features, ...body.prediction.outputs]) {
          expect(f.drifted, `${model}${method} ${f.feature ?? f.output}`).toBe(false);
          if (f.pValue !== null) expect(f.pValue).toBe(1);
          else expect(f.statistic).toBe(0);
        }
        expect(body.concept.drifted).toBe(false);
        expect(body.concept.change).toBe(0);
      }
    }
  });
});

describe('GET …/drift: methods, correction, windows', () => {
  it('method= forces one test for every feature where it applies, and says why where not', async () => {
    const body = await drift('shift', '&method=ks');
    expect(feature(body, 'homeElo')).toMatchObject({ method: 'ks', details: { methodChosenBy: 'request' } });
    expect(feature(body, 'restDays').method).toBe('ks');
    const venue = feature(body, 'venue');
    expect(venue.method).toBe('chi2');
    expect(venue.details.methodNote).toMatch(/ks needs a numeric feature/);
    const psi = await drift('shift', '&method=psi&threshold=0.5');
    expect(feature(psi, 'homeElo')).toMatchObject({ method: 'psi', threshold: 0.5 });
    expect(feature(psi, 'homeElo').details.epsilon.rule).toMatch(/1e-4/);
  });

  it('Holm instead of Benjamini–Hochberg', async () => {
    const bh = await drift('stable');
    const holm = await drift('stable', '&correction=holm');
    expect(holm.correction.method).toBe('holm');
    for (const f of holm.features) {
      const same = feature(bh, f.feature);
      expect(f.pValue).toBe(same.pValue);
      expect(f.adjustedPValue).toBeGreaterThanOrEqual(same.adjustedPValue);
    }
  });

  it('a large reference switches to Wasserstein and Jensen–Shannon (Evidently’s rule)', async () => {
    const body = await getJson(ctx.app, `/v1/models/shift/drift?referenceFrom=${iso(REF_FROM)}&referenceTo=${iso(CUR_TO)}&currentFrom=${iso(CUR_FROM)}&currentTo=${iso(CUR_TO)}&method=wasserstein`);
    expect(feature(body, 'homeElo').details).toMatchObject({ methodChosenBy: 'request', binning: null });
    expect(feature(body, 'homeElo').details.distance).toBeGreaterThan(0);
  });

  it('relative windows: current ends now, the reference ends where it starts; defaults 7d and 30d', async () => {
    const body = await getJson(ctx.app, '/v1/models/stable/drift?reference=14d&current=2d');
    const to = Date.parse(body.current.to);
    expect(Math.abs(to - Date.now())).toBeLessThan(60_000);
    expect(to - Date.parse(body.current.from)).toBe(2 * DAY);
    expect(body.reference.to).toBe(body.current.from);
    expect(Date.parse(body.reference.to) - Date.parse(body.reference.from)).toBe(14 * DAY);
    const defaults = await getJson(ctx.app, '/v1/models/stable/drift');
    expect(Date.parse(defaults.current.to) - Date.parse(defaults.current.from)).toBe(7 * DAY);
    expect(Date.parse(defaults.reference.to) - Date.parse(defaults.reference.from)).toBe(30 * DAY);
    expect(defaults.reference.rows).toBe(0);
    expect(defaults.summary.severity).toBe('none');
    expect(defaults.summary.recommendation).toMatch(/Not enough data/);
    expect(defaults.undefined.features).toMatch(/no predictions in the reference window/);
    expect(defaults.concept).toBeNull();
    expect(defaults.undefined.concept).toMatch(/at least 2 labeled predictions/);
  });

  it('version= filters both windows; the stream detector is the version’s', async () => {
    const body = await drift('concept', '&version=v1');
    expect(body.version).toBe('v1');
    expect(body.current.rows).toBe(300);
    expect(body.stream).toMatchObject({ detector: 'ddm', version: 'v1', totalSamples: 900, upToDate: true });
  });

  it('clear 400s name the parameter', async () => {
    const bad = async (query: string, path: string, message?: RegExp) => {
      const p = problem(await call(ctx.app, 'GET', `/v1/models/stable/drift?${query}`), 400);
      expect(p.errors?.map((e) => e.path), query).toContain(path);
      if (message) expect(p.errors!.find((e) => e.path === path)!.message).toMatch(message);
    };
    await bad('reference=lastmonth', '/query/reference', /duration.*or "baseline"/);
    await bad('current=0d', '/query/current', /duration/);
    await bad('currentFrom=2024-09-01T00:00:00Z', '/query/currentTo', /is required with currentFrom/);
    await bad('current=7d&currentFrom=2024-09-01T00:00:00Z&currentTo=2024-09-02T00:00:00Z', '/query/current', /cannot be combined/);
    await bad('referenceFrom=2024-09-02T00:00:00Z&referenceTo=2024-09-01T00:00:00Z', '/query/referenceFrom', /before referenceTo/);
    await bad('reference=baseline&referenceFrom=2024-09-01T00:00:00Z', '/query/referenceFrom', /cannot be combined with reference=baseline/);
    await bad('method=kl', '/query/method', /must be one of/);
    await bad('threshold=0.2', '/query/threshold', /needs `?method/);
    await bad('correction=bonferroni', '/query/correction');
    await bad('windw=7d', '/query/windw', /not an allowed property/);
  });

  it('422 for an unknown version or a missing baseline, 404 for an unknown model, 403 without the read scope', async () => {
    expect(problem(await call(ctx.app, 'GET', '/v1/models/stable/drift?version=v9'), 422).errors![0]!.path).toBe('/query/version');
    const p = problem(await call(ctx.app, 'GET', '/v1/models/stable/drift?reference=baseline'), 422);
    expect(p.errors![0]).toMatchObject({ path: '/query/reference', message: expect.stringMatching(/no baseline was uploaded for version "v1".*PUT \/v1\/models\/stable\/baseline\?version=v1/) });
    problem(await call(ctx.app, 'GET', '/v1/models/nope/drift'), 404);
    const key = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'ingest-only', scopes: ['ingest'] })).json().key as string;
    problem(await call(ctx.app, 'GET', '/v1/models/stable/drift', undefined, key), 403);
    const reader = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'reader', scopes: ['read'] })).json().key as string;
    expect((await call(ctx.app, 'GET', `/v1/models/stable/drift?${WINDOWS}`, undefined, reader)).statusCode).toBe(200);
  });
});
