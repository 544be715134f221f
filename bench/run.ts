/**
 * `npm run bench` — Hindsight's performance against baselines measured in the same run, on the same database
 * (DESIGN §9). Each section runs its workload and its baseline in interleaved rounds and reports medians and
 * Hindsight/baseline ratios; the run prints a table per section and writes bench/results/latest.json.
 *
 * Uses DATABASE_URL's server when set (in a fresh database, dropped afterwards), otherwise a throwaway
 * embedded PostgreSQL. Every child process, the database and temporary files are removed at the end, on
 * failure and on Ctrl-C. Settings: bench/README.md (BENCH_QUICK=1 for a ~30 s smoke run).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './lib/children.js';
import { installSignalHandlers, removeDirOnCleanup, runCleanups } from './lib/cleanup.js';
import { BenchContext } from './lib/context.js';
import { openBenchDatabase } from './lib/database.js';
import { readOptions } from './lib/options.js';
import { renderProfile, summariseProfile, type ProfileSummary } from './lib/profile.js';
import { collectTargets, renderSection, renderSummary, writeReport, type RunReport, type SectionResult } from './lib/report.js';
import { SECTIONS, type BenchSection, type Side } from './sections/index.js';

const startedAt = new Date();
const seconds = () => ((Date.now() - startedAt.getTime()) / 1000).toFixed(1);
const log = (message: string) => process.stderr.write(`[bench ${seconds().padStart(6)} s] ${message}\n`);

async function main(): Promise<number> {
  const options = readOptions();
  const controller = new AbortController();
  let interrupted = false;
  installSignalHandlers((signal) => {
    interrupted = true;
    log(`${signal}: stopping the run and cleaning up`);
    controller.abort(signal);
  });
  const limit = setTimeout(() => {
    log(`the run exceeded BENCH_MAX_SECONDS=${options.maxSeconds}: aborting`);
    controller.abort('time limit');
  }, options.maxSeconds * 1000);
  limit.unref();

  const unknown = options.sections.filter((id) => !SECTIONS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown BENCH_SECTIONS ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.id).join(', ')}`);
  const sections = SECTIONS.filter((s) => options.sections.length === 0 || options.sections.includes(s.id));

  const runId = randomBytes(4).toString('hex');
  const workdir = await mkdtemp(path.join(os.tmpdir(), 'hindsight-bench-run-'));
  removeDirOnCleanup(workdir);

  const results: SectionResult[] = [];
  let report: RunReport | undefined;
  try {
    const db = await openBenchDatabase(runId, options.batchConcurrency + 2, log);
    log(`database: ${db.description}, PostgreSQL ${db.serverVersion}`);
    const ctx = new BenchContext(options, runId, db, workdir, controller.signal, log);
    const estimate = sections.reduce((sum, s) => sum + s.estimateSeconds(ctx), 0);
    log(`run ${runId}${options.quick ? ' (BENCH_QUICK)' : ''}: sections ${sections.map((s) => s.id).join(', ')}, about ${Math.round(estimate)} s of measurement`);

    for (const section of sections) {
      ctx.checkAborted();
      log(`section ${section.id}: ${section.title}`);
      const result = await section.run(ctx);
      results.push(result);
      process.stdout.write(renderSection(result) + '\n');
    }

    if (options.profile) {
      for (const section of sections) {
        for (const side of section.profile?.sides ?? []) {
          ctx.checkAborted();
          const summary = await profileOnce(ctx, section, side);
          if (!summary) continue;
          const result = results.find((r) => r.id === section.id);
          if (result) (result.profiles ??= {})[side] = summary;
          process.stdout.write(renderProfile(`${side} — ${section.title}`, summary) + '\n');
        }
      }
    }

    const targets = collectTargets(results);
    report = {
      startedAt: startedAt.toISOString(),
      seconds: Number(seconds()),
      machine: machine(),
      database: `${db.description}, PostgreSQL ${db.serverVersion}`,
      options: { ...options },
      sections: results,
      targets,
      allTargetsMet: targets.every((t) => t.met),
    };
    process.stdout.write(renderSummary(report) + '\n');
    const file = await writeReport(options.resultsDir, report);
    log(`results written to ${path.relative(process.cwd(), file)}`);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(interrupted ? 'interrupted' : `failed: ${message}`);
    if (results.length > 0 && !interrupted) {
      await writeReport(options.resultsDir, {
        startedAt: startedAt.toISOString(),
        seconds: Number(seconds()),
        machine: machine(),
        database: '',
        options: { ...options },
        sections: results,
        targets: collectTargets(results),
        allTargetsMet: false,
        error: message,
      }).catch(() => {});
    }
    return interrupted ? 130 : 1;
  } finally {
    clearTimeout(limit);
    log('cleaning up');
    await runCleanups(log);
  }
  return options.strict && !report.allTargetsMet ? 1 : 0;
}

/** Runs one side of a section once more against a separate server under `node --cpu-prof`, and summarises it. */
async function profileOnce(ctx: BenchContext, section: BenchSection, side: Side): Promise<ProfileSummary | undefined> {
  const dir = path.join(ctx.workdir, `profile-${section.id}-${side}`);
  const name = `${side}-profiled-${section.id}`;
  ctx.log(`profile: ${section.id}, ${side} under node --cpu-prof`);
  const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  const server = side === 'hindsight' ? await ctx.startHindsight(name, flags) : await ctx.startBaseline(name, flags);
  const micros = () => Number(process.hrtime.bigint() / 1000n);
  let window;
  let work;
  try {
    const fromUs = micros();
    work = await section.profile!.load(ctx, server, side);
    window = { fromUs, toUs: micros() };
  } finally {
    await server.stop();
  }
  const file = (await readdir(dir).catch(() => [] as string[])).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    ctx.log(`profile: ${name} wrote no .cpuprofile`);
    return undefined;
  }
  const kept = path.join(ctx.options.resultsDir, 'profiles', `${section.id}-${side}.cpuprofile`);
  await mkdir(path.dirname(kept), { recursive: true });
  await copyFile(path.join(dir, file), kept);
  return summariseProfile(kept, REPO_ROOT, window, work);
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    loadAverageAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    void runCleanups(log).finally(() => process.exit(1));
  },
);
