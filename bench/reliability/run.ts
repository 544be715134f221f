/**
 * `npm run reliability` — the fault tests of docs/reliability.md, against real processes on loopback:
 *
 *   outage    PostgreSQL crashed (pg_ctl stop -m immediate) and restarted under steady ingestion
 *   kill      Hindsight SIGKILLed in the middle of batches, three times
 *   webhooks  webhook receivers failing in every documented way, many deliveries at once, three workers
 *   cron      three processes with a 5-second cron for a minute, one SIGKILLed midway: one run per slot
 *   fuzz      requests generated from openapi.yaml for every operation: no 5xx, responses match the spec
 *
 * Each scenario checks its promises and reports its figures; the run prints a table per scenario and writes
 * bench/results/reliability.json. Exit status 0 when every check passed. RELIABILITY_SCENARIOS selects
 * (e.g. `outage,kill`); RELIABILITY_MAX_SECONDS bounds the whole run (default 900). A throwaway embedded
 * PostgreSQL is started (and removed) for the run; nothing leaves 127.0.0.1.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../lib/children.js';
import { installSignalHandlers, removeDirOnCleanup, runCleanups } from '../lib/cleanup.js';
import { cronKill } from './cron-kill.js';
import { databaseOutage } from './db-outage.js';
import { fuzzScenario } from './fuzz.js';
import { killMidBatch } from './kill-mid-batch.js';
import { Cluster } from './lib/cluster.js';
import { createContext, type Scenario, type ScenarioResult } from './lib/harness.js';
import { webhookFaults } from './webhook-faults.js';

const SCENARIOS: Scenario[] = [databaseOutage, killMidBatch, webhookFaults, cronKill, fuzzScenario];

const startedAt = Date.now();
const log = (message: string) => process.stderr.write(`[reliability ${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);

async function main(): Promise<number> {
  const wanted = (process.env.RELIABILITY_SCENARIOS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown RELIABILITY_SCENARIOS ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  const scenarios = SCENARIOS.filter((s) => wanted.length === 0 || wanted.includes(s.id));
  const maxSeconds = Number(process.env.RELIABILITY_MAX_SECONDS ?? 900);
  const limit = setTimeout(() => {
    log(`the run exceeded RELIABILITY_MAX_SECONDS=${maxSeconds}: stopping`);
    void runCleanups(log).finally(() => process.exit(1));
  }, maxSeconds * 1000);
  limit.unref();
  installSignalHandlers((signal) => {
    log(`${signal}: cleaning up`);
    void runCleanups(log).finally(() => process.exit(130));
  });

  const workdir = await mkdtemp(path.join(os.tmpdir(), 'hindsight-reliability-run-'));
  removeDirOnCleanup(workdir);
  const results: ScenarioResult[] = [];
  try {
    log('starting a throwaway PostgreSQL');
    const cluster = await Cluster.start();
    const ctx = createContext(cluster, workdir, log);
    for (const scenario of scenarios) {
      log(`scenario ${scenario.id}: ${scenario.title}`);
      const started = Date.now();
      let result: ScenarioResult;
      try {
        const outcome = await scenario.run(ctx);
        result = { ...outcome, seconds: Math.round((Date.now() - started) / 100) / 10, passed: outcome.checks.every((c) => c.ok) };
      } catch (error) {
        result = {
          id: scenario.id,
          title: scenario.title,
          seconds: Math.round((Date.now() - started) / 100) / 10,
          figures: {},
          checks: [{ name: 'the scenario ran to the end', ok: false, detail: error instanceof Error ? (error.stack ?? error.message) : String(error) }],
          passed: false,
        };
      }
      results.push(result);
      process.stdout.write(render(result) + '\n');
    }
  } finally {
    clearTimeout(limit);
    log('cleaning up');
    await runCleanups(log);
  }
  const file = path.join(process.env.BENCH_RESULTS_DIR ?? path.join(REPO_ROOT, 'bench/results'), 'reliability.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ startedAt: new Date(startedAt).toISOString(), seconds: Math.round((Date.now() - startedAt) / 1000), machine: machine(), scenarios: results }, null, 2) + '\n');
  const passed = results.every((r) => r.passed);
  process.stdout.write(`\n${passed ? 'ALL PASSED' : 'FAILED'}: ${results.filter((r) => r.passed).length} of ${results.length} scenarios; results in ${path.relative(process.cwd(), file)}\n`);
  return passed ? 0 : 1;
}

/** A scenario as the markdown that docs/reliability.md quotes. */
function render(result: ScenarioResult): string {
  const lines = [`\n### ${result.title} (\`${result.id}\`, ${result.seconds} s) — ${result.passed ? 'passed' : 'FAILED'}\n`, '| figure | value |', '| --- | --- |'];
  for (const [name, value] of Object.entries(result.figures)) lines.push(`| ${name} | ${typeof value === 'number' ? value.toLocaleString('en-US') : value} |`);
  lines.push('', ...result.checks.map((c) => `- ${c.ok ? '✔' : '✘'} ${c.name}${!c.ok && c.detail ? ` — ${c.detail}` : ''}`));
  return lines.join('\n');
}

function machine() {
  const cpus = os.cpus();
  return { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void runCleanups(log).finally(() => process.exit(1));
  },
);
