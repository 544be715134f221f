import http from 'node:http';
import { abRounds } from '../lib/ab.js';
import type { ServerHandle } from '../lib/children.js';
import type { BenchContext } from '../lib/context.js';
import { cpuSince, cpuSnapshot, perUnitMicros, type CpuUsage } from '../lib/cpu.js';
import { post } from '../lib/http-load.js';
import { figure } from '../lib/report.js';
import { Samples } from '../lib/stats.js';
import type { Workload } from '../lib/workload.js';
import type { BenchSection } from './types.js';

interface Half {
  rows: number;
  requests: number;
  seconds: number;
  rowsPerSecond: number;
  /** Per request (one batch / one INSERT), ms. */
  latency: ReturnType<Samples['summary']>;
  cpu: CpuUsage;
}

/**
 * The same rows as Hindsight stores them, in one statement: constants for the model, arrays for the rest.
 * Hindsight stores a prediction as a row of `predictions` and a row of `prediction_keys` (which makes ids
 * and externalIds unique across time partitions, so that retries are recognised); the baseline writes both
 * (`keysTable`), and, for information, the predictions row alone.
 */
const unnestSql = (table: string, keysTable?: string) => `
${keysTable ? `WITH keys AS (INSERT INTO ${keysTable} (id, model_id, external_id, predicted_at) SELECT k.id, $2::uuid, k.external_id, now() FROM unnest($1::text[], $4::text[]) AS k(id, external_id))` : ''}
INSERT INTO ${table} (id, predicted_at, model_id, version_id, external_id, unit, features, predicted_label, predicted_value,
  confidence, probabilities, p_positive, labeled_at)
SELECT t.id, now(), $2::uuid, $3::uuid, t.external_id, NULL, t.features, t.predicted_label, NULL, t.confidence, NULL, t.p_positive, NULL
FROM unnest($1::text[], $4::text[], $5::jsonb[], $6::text[], $7::float8[], $8::float8[])
  AS t(id, external_id, features, predicted_label, confidence, p_positive)`;

/**
 * Runs `concurrency` workers that each send one unit of work after another until `seconds` have passed;
 * rows/s counts the rows of completed units over the time until the last one completed.
 */
async function saturate(
  ctx: BenchContext,
  serverPid: number | null,
  seconds: number,
  send: () => Promise<number>,
): Promise<Half> {
  const latency = new Samples();
  let rows = 0;
  const before = cpuSnapshot(serverPid, ctx.db.postmasterPid);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && !ctx.signal.aborted) {
      const t0 = performance.now();
      const stored = await send();
      latency.push(performance.now() - t0);
      rows += stored; // after the await: `rows += await …` would read `rows` before it and lose updates
    }
  };
  await Promise.all(Array.from({ length: ctx.options.batchConcurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSince(before, cpuSnapshot(serverPid, ctx.db.postmasterPid));
  ctx.checkAborted();
  return { rows, requests: latency.length, seconds: elapsed, rowsPerSecond: rows / elapsed, latency: latency.summary(), cpu };
}

function hindsightSender(ctx: BenchContext, server: ServerHandle, workload: Workload, agent: http.Agent, tag: string) {
  const size = ctx.options.batchSize;
  const headers = { authorization: `Bearer ${ctx.adminKey}` };
  return async () => {
    const response = await post(agent, `${server.url}/v1/predictions/batch`, headers, workload.batchBody(tag, size));
    if (response.status !== 201) throw new Error(`${server.name}: POST /v1/predictions/batch answered ${response.status}: ${response.body.slice(0, 500)}`);
    const created = (JSON.parse(response.body) as { created: number }).created;
    if (created !== size) throw new Error(`${server.name}: batch created ${created} of ${size} items`);
    return created;
  };
}

/**
 * DESIGN §9: batch ingestion (1,000 items per POST /v1/predictions/batch) ≥ 0.7 × the rows/s of a raw
 * `INSERT … SELECT FROM unnest(…)` of the same rows, sent by the harness through `pg` into the plain table.
 */
export const batchIngestion: BenchSection = {
  id: 'batch',
  title: 'Batch ingestion — POST /v1/predictions/batch vs a raw INSERT … SELECT FROM unnest(…) through pg',

  estimateSeconds: ({ options: o }) => 2 * Math.min(o.warmupSeconds, 2) + o.rounds * 2 * (o.batchSeconds + 1.5),

  async run(ctx) {
    const o = ctx.options;
    const [hindsight, workload, model, table, keysTable] = await Promise.all([ctx.hindsight(), ctx.workload(43), ctx.model(), ctx.plain(), ctx.plainKeys()]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.batchConcurrency });
    const raw = (tag: string, sql = unnestSql(table, keysTable)) => async () => {
      const c = workload.batchColumns(tag, o.batchSize);
      const result = await ctx.db.pool.query(sql, [c.id, model.id, model.versionId, c.externalId, c.features, c.predictedLabel, c.confidence, c.pPositive]);
      if (result.rowCount !== o.batchSize) throw new Error(`raw unnest insert stored ${result.rowCount} of ${o.batchSize} rows`);
      return o.batchSize;
    };
    try {
      const warmup = Math.min(o.warmupSeconds, 2);
      if (warmup > 0) {
        ctx.log(`batch: warming up both sides (${warmup} s each)`);
        await saturate(ctx, hindsight.pid, warmup, hindsightSender(ctx, hindsight, workload, agent, 'bwh'));
        await saturate(ctx, null, warmup, raw('bwb'));
      }
      const pairs = await abRounds(
        ctx,
        'batch',
        o.rounds,
        {
          hindsight: (r) => saturate(ctx, hindsight.pid, o.batchSeconds, hindsightSender(ctx, hindsight, workload, agent, `bh${r}`)),
          baseline: (r) => saturate(ctx, null, o.batchSeconds, raw(`bb${r}`)),
        },
        (h) => `${Math.round(h.rowsPerSecond).toLocaleString('en-US')} rows/s  (${h.requests} × ${o.batchSize}, p50 ${h.latency.p50.toFixed(1)} ms per batch)`,
      );

      // For information: the predictions row alone, without the key table that makes retries idempotent.
      await ctx.settle();
      const predictionsOnly = await saturate(ctx, null, o.batchSeconds, raw('bp', unnestSql(table)));
      const medianHindsight = [...pairs.map((p) => p.hindsight.rowsPerSecond)].sort((a, b) => a - b)[Math.floor(pairs.length / 2)]!;

      const { rows } = await ctx.db.pool.query<{ h: string; b: string }>(
        `SELECT (SELECT count(*) FROM predictions WHERE model_id = $1 AND external_id LIKE $2) AS h,
                (SELECT count(*) FROM ${table} WHERE external_id LIKE $3) AS b`,
        [model.id, `${ctx.runId}-bh%`, `${ctx.runId}-bb%`],
      );
      const stored = { hindsight: Number(rows[0]!.h), baseline: Number(rows[0]!.b) };
      const sent = (side: 'hindsight' | 'baseline') => pairs.reduce((sum, p) => sum + p[side].rows, 0);
      for (const side of ['hindsight', 'baseline'] as const) {
        if (stored[side] !== sent(side)) throw new Error(`${side}: ${sent(side)} rows acknowledged but ${stored[side]} stored`);
      }

      const per = (pick: (h: Half) => number | null) => pairs.map((p) => ({ hindsight: pick(p.hindsight) ?? Number.NaN, baseline: pick(p.baseline) }));
      const pgCpu = per((h) => perUnitMicros(h.cpu.postgres, h.rows));
      return {
        id: this.id,
        title: this.title,
        setup:
          `${o.batchSize} rows per request/statement, ${o.batchConcurrency} in flight, ${o.rounds} rounds × ${o.batchSeconds} s per side, ` +
          `alternating order; medians of rounds.`,
        figures: [
          figure('throughput', 'rows/s', per((h) => h.rowsPerSecond), { on: 'ratio', op: '>=', value: 0.7 }),
          figure('latency p50 per batch', 'ms', per((h) => h.latency.p50)),
          figure('latency p99 per batch', 'ms', per((h) => h.latency.p99)),
          figure('Hindsight CPU per row', 'µs', pairs.map((p) => ({ hindsight: perUnitMicros(p.hindsight.cpu.server, p.hindsight.rows) ?? Number.NaN, baseline: null }))),
          ...(pgCpu.every((p) => Number.isFinite(p.hindsight) && p.baseline !== null) ? [figure('PostgreSQL CPU per row', 'µs', pgCpu)] : []),
          figure('harness CPU per row (load/raw client)', 'µs', per((h) => perUnitMicros(h.cpu.harness, h.rows))),
          figure('machine CPU busy', '% of all cores', per((h) => 100 * (h.cpu.machineBusyShare ?? Number.NaN))),
        ],
        rounds: pairs,
        notes: [
          `stored rows match acknowledged rows: Hindsight ${stored.hindsight.toLocaleString('en-US')}, raw ${stored.baseline.toLocaleString('en-US')}.`,
          `baseline: the harness' own pg pool, one statement writing ${keysTable} and ${table} … SELECT FROM unnest($1::text[], …, $8::float8[]): the rows Hindsight stores, with the same columns.`,
          `for information: without the key table (${table} alone, no unique ids across partitions, no idempotent retries) the raw insert ran at ` +
            `${Math.round(predictionsOnly.rowsPerSecond).toLocaleString('en-US')} rows/s in one ${o.batchSeconds} s half; Hindsight's median is ${(medianHindsight / predictionsOnly.rowsPerSecond).toFixed(2)}× that.`,
        ],
      };
    } finally {
      agent.destroy();
    }
  },

  profile: {
    sides: ['hindsight'],
    async load(ctx, server) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: ctx.options.batchConcurrency });
      try {
        const half = await saturate(ctx, server.pid, ctx.options.batchSeconds, hindsightSender(ctx, server, await ctx.workload(8), agent, 'bp'));
        return { units: half.rows, unit: 'row' };
      } finally {
        agent.destroy();
      }
    },
  },
};
