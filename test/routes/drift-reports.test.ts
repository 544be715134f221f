import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { getJson, ingest, iso, random } from '../helpers/analytics.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

/** POST/GET …/drift-reports: compute and store, list with filters and pagination, get one. */
let ctx: TestContext;
const REF_FROM = Date.parse('2024-09-01T00:00:00Z');
const CUR_FROM = Date.parse('2024-09-29T00:00:00Z');
const CUR_TO = Date.parse('2024-10-06T00:00:00Z');
const STABLE = { referenceFrom: iso(REF_FROM), referenceTo: iso(CUR_FROM), currentFrom: iso(CUR_FROM), currentTo: iso(CUR_TO) };
// The same windows, but the "current" one is the reference's second half against the shifted week.
const SHIFTED = { referenceFrom: iso(REF_FROM), referenceTo: iso(CUR_FROM), currentFrom: iso(CUR_TO), currentTo: iso(CUR_TO + 7 * 86_400_000) };

beforeAll(async () => {
  ctx = await createTestApp();
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  const rnd = random(31);
  const item = (at: number, eloMean: number) => ({
    model: 'nba',
    features: { homeElo: Math.round(rnd.normal(eloMean, 100)), venue: rnd.pick(['TD Garden', 'MSG']) },
    prediction: rnd.next() < 0.5 ? 'LAL' : 'BOS',
    confidence: 0.7,
    predictedAt: iso(at),
    actual: rnd.next() < 0.5 ? 'LAL' : 'BOS',
  });
  await ingest(ctx.app, [
    ...Array.from({ length: 400 }, (_, i) => item(REF_FROM + i * 3_600_000, 1500)),
    ...Array.from({ length: 150 }, (_, i) => item(CUR_FROM + i * 3_600_000, 1500)),
    ...Array.from({ length: 150 }, (_, i) => item(CUR_TO + i * 3_600_000, 1700)),
  ]);
}, 60_000);
afterAll(() => ctx.close());

describe('drift reports', () => {
  const created: { id: string; severity: string; createdAt: string }[] = [];

  it('POST computes and stores a report (admin), GET returns it whole', async () => {
    for (const windows of [STABLE, SHIFTED, STABLE, SHIFTED, STABLE]) {
      const r = await call(ctx.app, 'POST', '/v1/models/nba/drift-reports', windows);
      expect(r.statusCode, r.body).toBe(201);
      const body = r.json();
      expect(body).toMatchObject({ id: expect.any(String), trigger: 'api', model: 'nba', severityRule: { name: 'hindsight-drift-severity', version: '1' } });
      created.push({ id: body.id, severity: body.summary.severity, createdAt: body.createdAt });
      const stored = await getJson(ctx.app, `/v1/models/nba/drift-reports/${body.id}`);
      expect(stored).toEqual(body);
    }
    expect(created.map((c) => c.severity)).toEqual(['none', 'high', 'none', 'high', 'none']);
    // The same report as GET …/drift would give (but for the time it took).
    const live = await getJson(ctx.app, `/v1/models/nba/drift?${new URLSearchParams(SHIFTED)}`);
    const stored = await getJson(ctx.app, `/v1/models/nba/drift-reports/${created[1]!.id}`);
    expect(stored.features).toEqual(live.features);
    expect(stored.summary).toEqual(live.summary);
    const empty = await call(ctx.app, 'POST', '/v1/models/nba/drift-reports');
    expect(empty.statusCode).toBe(201);
    expect(empty.json().summary.recommendation).toMatch(/Not enough data/);
    created.push({ id: empty.json().id, severity: 'none', createdAt: empty.json().createdAt });
  });

  it('GET lists newest first, filters by severity and creation time, and pages with a cursor', async () => {
    const all = await getJson(ctx.app, '/v1/models/nba/drift-reports');
    expect(all.items.map((i: any) => i.id)).toEqual([...created].reverse().map((c) => c.id));
    const item = all.items.find((i: any) => i.id === created[1]!.id);
    expect(item).toMatchObject({ trigger: 'api', severity: 'high', reference: { kind: 'window', from: STABLE.referenceFrom }, current: { from: SHIFTED.currentFrom } });
    expect(item.features.find((f: any) => f.feature === 'homeElo')).toMatchObject({ method: 'ks', drifted: true, severity: 'high', psi: expect.any(Number) });
    expect(item.summary.driftedFeatures).toEqual(['homeElo']);
    expect(item.concept).toMatchObject({ metric: 'accuracy' });
    expect(item.details).toBeUndefined();

    const high = await getJson(ctx.app, '/v1/models/nba/drift-reports?severity=medium');
    expect(high.items.map((i: any) => i.id)).toEqual([created[3]!.id, created[1]!.id]);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await getJson(ctx.app, `/v1/models/nba/drift-reports?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      pages.push(...page.items.map((i: any) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.items.map((i: any) => i.id));

    const future = await getJson(ctx.app, `/v1/models/nba/drift-reports?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.items).toEqual([]);
    const past = await getJson(ctx.app, `/v1/models/nba/drift-reports?to=${encodeURIComponent(new Date(Date.parse(created[0]!.createdAt) + 1).toISOString())}`);
    expect(past.items.map((i: any) => i.id)).toContain(created[0]!.id);
  });

  it('the service method stores a report without HTTP (the daily job), with trigger schedule', async () => {
    const report = await ctx.app.services.driftReports.create('nba', SHIFTED, 'schedule');
    expect(report).toMatchObject({ trigger: 'schedule', summary: { severity: 'high' } });
    const { rows } = await ctx.sql.query('SELECT trigger, severity, severity_rank, drifted_features, tested_features FROM drift_reports WHERE id = $1', [report.id]);
    expect(rows[0]).toEqual({ trigger: 'schedule', severity: 'high', severity_rank: 3, drifted_features: 1, tested_features: 2 });
    const modelId = (await ctx.sql.query(`SELECT id FROM models WHERE name = 'nba'`)).rows[0].id as string;
    expect(await ctx.app.services.driftReports.latestSeverity(modelId)).toEqual({ severity: 'high', reportId: report.id, createdAt: new Date(report.createdAt) });
  });

  it('errors: 400 for bad parameters (named), 404 for an unknown report, 403 for a read key posting', async () => {
    expect(problem(await call(ctx.app, 'POST', '/v1/models/nba/drift-reports', { reference: 'last week' }), 400).errors![0]!.path).toBe('/body/reference');
    expect(problem(await call(ctx.app, 'POST', '/v1/models/nba/drift-reports', { method: 'kl' }), 400).errors![0]!.path).toBe('/body/method');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nba/drift-reports?severity=huge'), 400).errors![0]!.path).toBe('/query/severity');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nba/drift-reports?cursor=nonsense'), 400).errors![0]!.path).toBe('/query/cursor');
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nba/drift-reports?from=2024-10-02T00:00:00Z&to=2024-10-01T00:00:00Z'), 400).errors![0]!.path).toBe('/query/from');
    problem(await call(ctx.app, 'GET', '/v1/models/nba/drift-reports/00000000-0000-4000-8000-000000000000'), 404);
    expect(problem(await call(ctx.app, 'GET', '/v1/models/nba/drift-reports/not-a-uuid'), 400).errors![0]!.path).toBe('/params/id');
    const reader = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'reader', scopes: ['read'] })).json().key as string;
    problem(await call(ctx.app, 'POST', '/v1/models/nba/drift-reports', STABLE, reader), 403);
    expect((await call(ctx.app, 'GET', '/v1/models/nba/drift-reports', undefined, reader)).statusCode).toBe(200);
  });
});
