import { abRounds } from '../lib/ab.js';
import type { ServerHandle } from '../lib/children.js';
import type { BenchContext } from '../lib/context.js';
import { cpuSince, cpuSnapshot, perUnitMicros, type CpuUsage } from '../lib/cpu.js';
import { closedLoop, type LoadResult } from '../lib/http-load.js';
import { figure } from '../lib/report.js';
import type { BenchSection } from './types.js';

interface Half extends LoadResult {
  cpu: CpuUsage;
}

/**
 * DESIGN §9: single-prediction ingestion ≥ 0.8 × the throughput of a minimal Fastify route doing one pg
 * insert, with p99 ≤ 2 × its p99. Both servers are child processes on loopback with the same pool size and
 * log level; autocannon in the harness sends the same bodies (10 features, unique externalId) to both.
 */
export const singleIngestion: BenchSection = {
  id: 'single',
  title: 'Single-prediction ingestion — POST /v1/predictions vs a minimal Fastify route with one pg insert',

  estimateSeconds: ({ options: o }) => 2 * o.warmupSeconds + o.rounds * 2 * (o.singleSeconds + 1),

  async run(ctx) {
    const o = ctx.options;
    const [hindsight, baseline, workload] = await Promise.all([ctx.hindsight(), ctx.baseline(), ctx.workload()]);
    const auth = { authorization: `Bearer ${ctx.adminKey}` };

    for (const [server, headers] of [[hindsight, auth], [baseline, {}]] as const) {
      const response = await fetch(`${server.url}/v1/predictions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: workload.singleBody('probe'),
      });
      if (response.status !== 201) throw new Error(`${server.name}: POST /v1/predictions answered ${response.status}: ${await response.text()}`);
    }

    const load = async (server: ServerHandle, tag: string, seconds: number): Promise<Half> => {
      const before = cpuSnapshot(server.pid, ctx.db.postmasterPid);
      const result = await closedLoop({
        url: server.url,
        path: '/v1/predictions',
        headers: server === hindsight ? auth : {},
        connections: o.connections,
        seconds,
        body: () => workload.singleBody(tag),
        signal: ctx.signal,
      });
      const cpu = cpuSince(before, cpuSnapshot(server.pid, ctx.db.postmasterPid));
      ctx.checkAborted();
      if (result.non2xx > 0 || result.errors > 0 || result.ok === 0) {
        throw new Error(
          `${server.name}: ${result.ok} ok, ${result.non2xx} non-2xx, ${result.errors} errors (${result.timeouts} timeouts)` +
            (result.firstFailure ? `; first failure: ${result.firstFailure}` : '') +
            `\n${server.logTail(10)}`,
        );
      }
      return { ...result, cpu };
    };

    if (o.warmupSeconds > 0) {
      ctx.log(`single: warming up both servers (${o.warmupSeconds} s each)`);
      await load(hindsight, 'swh', o.warmupSeconds);
      await load(baseline, 'swb', o.warmupSeconds);
    }

    const pairs = await abRounds(
      ctx,
      'single',
      o.rounds,
      { hindsight: (r) => load(hindsight, `sh${r}`, o.singleSeconds), baseline: (r) => load(baseline, `sb${r}`, o.singleSeconds) },
      (h) => `${Math.round(h.rps).toLocaleString('en-US')} req/s  p50 ${h.latency.p50.toFixed(2)} ms  p99 ${h.latency.p99.toFixed(2)} ms`,
    );

    // What was acknowledged was stored (at most the requests in flight when a half stopped may be extra).
    const model = await ctx.model();
    const table = await ctx.plain();
    const acknowledged = (side: 'hindsight' | 'baseline') => pairs.reduce((sum, p) => sum + p[side].ok, 0);
    const { rows } = await ctx.db.pool.query<{ h: string; b: string }>(
      `SELECT (SELECT count(*) FROM predictions WHERE model_id = $1 AND external_id LIKE $2) AS h,
              (SELECT count(*) FROM ${table} WHERE external_id LIKE $3) AS b`,
      [model.id, `${ctx.runId}-sh%`, `${ctx.runId}-sb%`],
    );
    const stored = { hindsight: Number(rows[0]!.h), baseline: Number(rows[0]!.b) };
    for (const side of ['hindsight', 'baseline'] as const) {
      const missing = acknowledged(side) - stored[side];
      if (missing > 0) throw new Error(`${side}: ${missing} acknowledged predictions are not stored`);
    }

    const per = (pick: (h: Half) => number) => pairs.map((p) => ({ hindsight: pick(p.hindsight), baseline: pick(p.baseline) }));
    const cpu = (pick: (c: CpuUsage) => number | null) =>
      per((h) => perUnitMicros(pick(h.cpu), h.ok) ?? Number.NaN).every((p) => Number.isFinite(p.hindsight) && Number.isFinite(p.baseline))
        ? per((h) => perUnitMicros(pick(h.cpu), h.ok)!)
        : null;
    const serverCpu = cpu((c) => c.server);
    const pgCpu = cpu((c) => c.postgres);
    const figures = [
      figure('throughput', 'req/s', per((h) => h.rps), { on: 'ratio', op: '>=', value: 0.8 }),
      figure('latency p50', 'ms', per((h) => h.latency.p50)),
      figure('latency p90', 'ms', per((h) => h.latency.p90)),
      figure('latency p99', 'ms', per((h) => h.latency.p99), { on: 'ratio', op: '<=', value: 2 }),
      ...(serverCpu ? [figure('server CPU per request', 'µs', serverCpu)] : []),
      ...(pgCpu ? [figure('PostgreSQL CPU per request', 'µs', pgCpu)] : []),
      figure('load generator CPU per request', 'µs', per((h) => perUnitMicros(h.cpu.harness, h.ok) ?? Number.NaN)),
      figure('machine CPU busy', '% of all cores', per((h) => 100 * (h.cpu.machineBusyShare ?? Number.NaN))),
    ];
    return {
      id: this.id,
      title: this.title,
      setup:
        `${o.connections} connections, ${o.rounds} rounds × ${o.singleSeconds} s per side after ${o.warmupSeconds} s warm-up each, ` +
        `alternating order; pool ${o.poolSize}, LOG_LEVEL=${o.logLevel}; medians of rounds.`,
      figures,
      rounds: pairs,
      notes: [
        `stored rows: Hindsight ${stored.hindsight.toLocaleString('en-US')} (acknowledged ${acknowledged('hindsight').toLocaleString('en-US')}), ` +
          `baseline ${stored.baseline.toLocaleString('en-US')} (acknowledged ${acknowledged('baseline').toLocaleString('en-US')}); extra rows are requests in flight when a half stopped.`,
        `baseline: bench/servers/baseline.ts, one INSERT … VALUES into ${table} (predictions' columns and indexes, unpartitioned); no auth, validation or idempotency.`,
      ],
    };
  },

  profile: {
    sides: ['hindsight', 'baseline'],
    async load(ctx, server, side) {
      const workload = await ctx.workload(7);
      const result = await closedLoop({
        url: server.url,
        path: '/v1/predictions',
        headers: side === 'hindsight' ? { authorization: `Bearer ${ctx.adminKey}` } : {},
        connections: ctx.options.connections,
        seconds: ctx.options.singleSeconds,
        body: () => workload.singleBody(side === 'hindsight' ? 'sph' : 'spb'),
        signal: ctx.signal,
      });
      return { units: result.ok, unit: 'request' };
    },
  },
};
