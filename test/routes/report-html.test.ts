import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, call, type TestContext } from '../helpers/app.js';
import { getJson, ingest } from '../helpers/analytics.js';
import { launchChromium } from '../helpers/chromium.js';
import { createModel } from '../helpers/fixtures.js';
import { churnPredictions } from '../helpers/report-data.js';
import { createRetrainingApp } from '../helpers/retraining.js';
import { freePort } from '../helpers/server-process.js';

/**
 * The report page in headless Chromium, served by a real listening app: its charts render with the expected
 * marks, nothing is fetched but the page, no console error, no CSP violation, and user text stays text.
 */

// What the functions run inside the page see (the project's TypeScript has no DOM library).
declare const window: Record<string, unknown>;
declare const document: { addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string }) => void): void };
declare function getComputedStyle(element: unknown): { fill: string; backgroundColor: string };

const HOSTILE = '<img src=x onerror="window.pwned=1">';
let ctx: TestContext;
let browser: Browser;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ctx = await createRetrainingApp({}, { PORT: String(port), PUBLIC_URL: base });
  await ctx.app.listen({ host: '127.0.0.1', port });
  await createModel(ctx.app, { name: 'churn', task: 'binary', labels: ['churn', 'stay'], positiveLabel: 'churn' });
  await call(ctx.app, 'POST', '/v1/models/churn/versions', { name: 'v1', status: 'production', metrics: { accuracy: 0.8 } });
  const items = churnPredictions('churn', Date.now() - 60_000).map((item, i) =>
    i % 7 === 0 ? { ...item, features: { ...(item.features as object), [HOSTILE]: i % 2 } } : item,
  );
  await ingest(ctx.app, items);
  expect((await call(ctx.app, 'POST', '/v1/models/churn/drift-reports', { current: '2d', reference: '12d' })).statusCode).toBe(201);
  expect((await call(ctx.app, 'POST', '/v1/models/churn/drift-reports', { current: '3d', reference: '11d' })).statusCode).toBe(201);
  await call(ctx.app, 'POST', '/v1/models/churn/versions', { name: 'v2', metrics: { accuracy: 0.85 } });
  await call(ctx.app, 'POST', '/v1/models/churn/versions/v2/promote', { reason: `better ${HOSTILE}` });
  await call(ctx.app, 'POST', '/v1/models/churn/rollback', { reason: 'worse live </style><script>window.pwned=2</script>' });
  const churn = (await ctx.sql.query(`SELECT id FROM models WHERE name = 'churn'`)).rows[0].id as string;
  await ctx.app.services.alerts.raise({ type: 'drift.feature', severity: 'critical', modelId: churn, title: `tenure drifted ${HOSTILE}`, detail: '"quoted" & <b>bold</b>' });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await ctx.close();
});

describe('GET /v1/models/{model}/report.html in headless Chromium', () => {
  it('renders every chart, fetches nothing but itself, and logs no error or CSP violation', async () => {
    const report = await getJson(ctx.app, '/v1/models/churn/report');
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${ADMIN_KEY}` } });
    await context.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));

    const url = `${base}/v1/models/churn/report.html`;
    const response = await page.goto(url, { waitUntil: 'load' });
    expect(response!.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    const css = (await response!.text()).match(/<style>([\s\S]*?)<\/style>/)![1]!;
    const hash = createHash('sha256').update(css).digest('base64');
    expect(headers['content-security-policy']).toBe(`default-src 'none'; img-src data:; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);

    const count = (selector: string) => page.locator(selector).count();
    const size = async (selector: string) => (await page.locator(selector).boundingBox()) ?? { width: 0, height: 0 };
    for (const chart of ['performance', 'drift', 'drift-series', 'residuals', 'calibration']) {
      const box = await size(`svg[data-chart="${chart}"]`);
      expect(box.width, chart).toBeGreaterThan(200);
      expect(box.height, chart).toBeGreaterThan(100);
    }
    const nonEmpty = report.performance.history.buckets.filter((b: { sampleCount: number }) => b.sampleCount > 0).length;
    expect(nonEmpty).toBeGreaterThanOrEqual(7);
    expect(await count('svg[data-chart="performance"] circle.point')).toBe(nonEmpty);
    expect(await count('svg[data-chart="performance"] path.line')).toBe(1);
    expect(await count('svg[data-chart="performance"] g.marker')).toBe(3);
    expect(await count('svg[data-chart="performance"] g.marker.rolled-back')).toBe(1);
    expect(await count('svg[data-chart="drift"] rect.bar')).toBe(report.drift.latest.features.length);
    expect(await count('svg[data-chart="drift"] rect.bar.drifted')).toBe(report.drift.latest.features.filter((f: { drifted: boolean }) => f.drifted).length);
    expect(await count('svg[data-chart="drift"] g.threshold')).toBe(2);
    expect(await count('svg[data-chart="drift-series"] circle.severity-point')).toBe(2);
    expect(await count('svg[data-chart="residuals"] rect.bar')).toBe(20);
    const calibrated = report.calibration.bins.filter((b: { count: number }) => b.count > 0).length;
    expect(calibrated).toBeGreaterThanOrEqual(3);
    expect(await count('svg[data-chart="calibration"] circle.point')).toBe(calibrated);
    expect(await count('svg[data-chart="calibration"] line.diagonal')).toBe(1);
    // The bars have a size, and the stylesheet applied (its hash matched the policy).
    expect((await size('svg[data-chart="residuals"] rect.bar >> nth=10')).width).toBeGreaterThan(5);
    expect(await page.locator('svg[data-chart="drift"] rect.bar.drifted').first().evaluate((e) => getComputedStyle(e).fill)).toBe('rgb(197, 48, 48)');
    expect(await page.locator('span.status').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(197, 48, 48)');

    // User text is text: no element was injected, no script ran, the strings read as they were written.
    expect(await count('img')).toBe(0);
    expect(await count('script')).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const text = await page.locator('body').innerText();
    expect(text).toContain(`tenure drifted ${HOSTILE}`);
    expect(text).toContain('"quoted" & <b>bold</b>');
    expect(text).toContain('worse live </style><script>window.pwned=2</script>');
    expect(await page.locator(`svg[data-chart="drift"] text.name >> text=${HOSTILE.slice(0, 20)}`).count()).toBe(1);

    expect(requests).toEqual([url]);
    expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
    expect(problems).toEqual([]);
    if (process.env.REPORT_SCREENSHOT) await page.screenshot({ path: process.env.REPORT_SCREENSHOT, fullPage: true });
    await context.close();
  });

  it('shows a model without data as a page of empty states, still without errors', async () => {
    await createModel(ctx.app, { name: 'fresh', task: 'regression' });
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${ADMIN_KEY}` } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    const response = await page.goto(`${base}/v1/models/fresh/report.html?period=30d`);
    expect(response!.status()).toBe(200);
    expect(await page.locator('svg.chart').count()).toBe(0);
    expect(await page.locator('p.empty').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('h1').innerText()).toContain('Learning report: fresh');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('shows a new model with predictions but no outcomes yet as empty states that say why, without errors', async () => {
    await createModel(ctx.app, { name: 'unlabeled', task: 'binary', labels: ['churn', 'stay'], positiveLabel: 'churn' });
    await call(ctx.app, 'POST', '/v1/models/unlabeled/versions', { name: 'v1', status: 'production' });
    // Three days of predictions; no outcome has arrived.
    const items = churnPredictions('unlabeled', Date.now() - 60_000, { days: 3, perDay: 20, driftDays: 1 }).map(({ actual: _a, observedAt: _o, ...item }) => item);
    await ingest(ctx.app, items);
    const report = await getJson(ctx.app, '/v1/models/unlabeled/report');
    expect(report.summary.attention[0]).toBe('60 predictions but no outcomes in the period: record them with POST /v1/outcomes.');
    expect(report.performance.overall).toMatchObject({ predictionCount: 60, sampleCount: 0, metrics: null });
    expect(report.calibration).toMatchObject({ available: false });

    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${ADMIN_KEY}` } });
    await context.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(e.message));
    const response = await page.goto(`${base}/v1/models/unlabeled/report.html`);
    expect(response!.status()).toBe(200);
    // No labeled bucket, residual or probability: those charts give way to a sentence saying why.
    for (const chart of ['performance', 'residuals', 'calibration']) expect(await page.locator(`svg[data-chart="${chart}"]`).count(), chart).toBe(0);
    expect(await page.locator('#performance p.empty').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#calibration p.empty').innerText()).toBe('No labeled predictions in the period.');
    expect(await page.locator('#errors p.empty').first().innerText()).toBe('No residuals: no prediction of the period has its outcome yet.');
    // The drift report compared nothing (no reference window yet): not a finding of "none".
    expect(report.drift.latest).toMatchObject({ severity: 'none', reference: { rows: 0 }, current: { rows: 60 }, features: [] });
    expect(await page.locator('#drift-h').innerText()).toBe('Drift — not measured yet');
    expect(await page.locator('#drift').innerText()).toContain('no predictions in the reference window');
    expect(report.summary.headline).toBe('No labeled predictions over the last 7d; 1 version change. Worth a look.');
    expect(await page.locator('#attention').innerText()).toContain('60 predictions but no outcomes in the period');
    expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
