import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/chromium.js';
import { ADMIN_KEY, createTestApp, type TestContext } from './helpers/app.js';
import { freePort, killOrphanPostgres, startServer, type ServerProcess } from './helpers/server-process.js';

/**
 * `npm run demo` end to end, as a newcomer runs it: the real server started as `npm start` starts it (embedded
 * PostgreSQL, generated admin key saved beside it, nothing configured), and the demo as a separate process that
 * finds the server (PORT) and the key file by itself. Plus the failures a newcomer meets first: Hindsight not
 * running, no key, a refused key, and a Hindsight (with DATABASE_URL) that refuses the loopback trainer.
 */

const ROOT = path.resolve(import.meta.dirname, '..');

function runDemo(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let root: string;
let pgDir: string;
let server: ServerProcess | undefined;
let port: number;
let base: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'hindsight-demo-'));
  pgDir = path.join(root, 'postgres');
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // As `npm start` on a fresh clone: no DATABASE_URL, no admin key, no HINDSIGHT_WEBHOOK_ALLOW_PRIVATE.
  server = startServer({ EMBEDDED_PG_DATA_DIR: pgDir, EMBEDDED_PG_PORT: String(await freePort()), PORT: String(port), LOG_LEVEL: 'info' });
  await server.waitFor(/Hindsight is ready/, 50_000);
}, 60_000);
afterAll(async () => {
  await server?.stop(5_000);
  killOrphanPostgres(pgDir);
  await rm(root, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('runs the loop end to end against `npm start`, says what happened at each step, and leaves working links to the report', async () => {
    const output = server!.stdout() + server!.stderr();
    expect(output).toContain('embedded development mode: webhooks may target loopback and private addresses');
    const keyFile = path.join(root, 'admin-key');
    expect(existsSync(keyFile)).toBe(true);

    // Only what a user of `PORT=… npm start` would also have: the port and the data directory.
    const { code, stdout, stderr } = await runDemo({ PORT: String(port), EMBEDDED_PG_DATA_DIR: pgDir, DEMO_OUTPUT_DIR: path.join(root, 'out') });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain(`Hindsight demo against ${base}`);
    expect(stdout).toMatch(/Registered model demo-churn-\d{8}-\d{6}-[a-z0-9]+ \(binary: churn \/ stay\) with v1 in production/);
    expect(stdout).toMatch(/Backfilled 4 weeks: 4,200 predictions of v1/);
    expect(stdout).toMatch(/week 4: +v1 accuracy \d+\.\d%; drift onset/);
    expect(stdout).toMatch(/Daily job: POST \/v1\/jobs\/daily-learning\/runs → run [0-9a-f-]{36} succeeded/);
    expect(stdout).toMatch(/drift report: (high|critical); \d of 4 features drifted: .*monthlySpend \(high\)/);
    expect(stdout).toMatch(/alert \[(warning|critical)\] /);
    expect(stdout).toMatch(/retrain request [0-9a-f-]{36} \(auto\): /);
    expect(stdout).toMatch(/Trainer received retrain.requested, webhook-id msg_[0-9a-f]+: signature verified/);
    expect(stdout).toMatch(/trained a decision stump: churn when monthlySpend > 9\d(\.\d+)?; training accuracy/);
    expect(stdout).toMatch(/v2 registered as a candidate; gate: awaiting_live/);
    expect(stdout).toMatch(/Shadow traffic: 300 live customers scored by v1 and v2/);
    expect(stdout).toMatch(/validation gate: promoted — /);
    expect(stdout).toContain('production version: v2');
    expect(stdout).toMatch(/Learning report \(\w+\): Accuracy \d+\.\d% over the last 30d/);
    expect(stdout).toContain(`API    ${base}/docs`);

    // The links it prints work: the saved page, and the two curl commands (with the key from the key file).
    const key = readFileSync(keyFile, 'utf8').trim();
    const saved = stdout.match(/page +file:\/\/(\S+)/)![1]!;
    expect(readFileSync(saved, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const htmlUrl = stdout.match(/HTML +curl -sH "Authorization: Bearer \$\(cat (\S+)\)" "([^"]+)"/)!;
    expect(path.resolve(ROOT, htmlUrl[1]!)).toBe(keyFile);
    const jsonUrl = stdout.match(/JSON +curl -sH "Authorization: Bearer [^"]+" "([^"]+)"/)![1]!;
    const page = await fetch(htmlUrl[2]!, { headers: { authorization: `Bearer ${key}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const report = await fetch(jsonUrl, { headers: { authorization: `Bearer ${key}` } });
    expect(report.status).toBe(200);
    const body = (await report.json()) as Record<string, any>;
    expect(body.model.productionVersion).toBe('v2');
    expect(body.versionChanges.map((c: { version: string }) => c.version)).toEqual(['v1', 'v2']);
    expect(body.retraining.requests[0]).toMatchObject({ trigger: 'auto', status: 'succeeded', candidate: { version: 'v2' } });

    // The saved copy opens in a browser with every chart and without a console error (its CSP is in a <meta>).
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const problems: string[] = [];
      tab.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`${m.type()}: ${m.text()}`));
      tab.on('pageerror', (e) => problems.push(e.message));
      await tab.goto(`file://${saved}`);
      for (const chart of ['performance', 'drift', 'drift-series', 'residuals', 'calibration']) {
        expect(await tab.locator(`svg[data-chart="${chart}"]`).count(), chart).toBe(1);
      }
      expect(await tab.locator('svg[data-chart="performance"] g.marker').count()).toBe(2);
      expect(await tab.locator('svg[data-chart="drift"] rect.bar.drifted').count()).toBeGreaterThanOrEqual(1);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('explains how to start Hindsight when it is not running', async () => {
    const { code, stderr } = await runDemo({ HINDSIGHT_URL: `http://127.0.0.1:${await freePort()}`, KEY: ADMIN_KEY });
    expect(code).toBe(1);
    expect(stderr).toMatch(/✗ The demo failed: Hindsight is not running at http:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED/);
    expect(stderr).toContain('start it in another terminal with `npm start`');
  });

  it('explains where the key comes from when there is none, and when it is refused', async () => {
    const none = await runDemo({ PORT: String(port), EMBEDDED_PG_DATA_DIR: path.join(root, 'elsewhere', 'postgres') });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/✗ The demo failed: no API key: KEY is not set and \S*elsewhere\/admin-key does not exist/);
    expect(none.stderr).toContain('`npm start` (embedded mode, no HINDSIGHT_ADMIN_KEY) writes the admin key');
    const refused = await runDemo({ HS: base, KEY: 'hs_00000000_00000000000000000000000000000000' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('✗ The demo failed: the API key from KEY was refused (401)');
  });

  it('explains how to restart Hindsight when it refuses the loopback trainer (with DATABASE_URL, the default)', async () => {
    let strict: TestContext | undefined;
    try {
      const strictPort = await freePort();
      strict = await createTestApp({ PORT: String(strictPort) });
      await strict.app.listen({ host: '127.0.0.1', port: strictPort });
      const { code, stdout, stderr } = await runDemo({ HINDSIGHT_URL: `http://127.0.0.1:${strictPort}`, KEY: ADMIN_KEY });
      expect(code, stdout).toBe(1);
      expect(stderr).toMatch(/Hindsight refused the local trainer's webhook URL http:\/\/127\.0\.0\.1:\d+\/hooks\/retrain/);
      expect(stderr).toContain('HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true npm start');
    } finally {
      await strict?.close();
    }
  });
});
