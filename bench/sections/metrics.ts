import { runPerformanceSql } from '../../src/db/repositories/analytics.js';
import { residualSummarySql } from '../../src/db/repositories/analytics-sql.js';
import { abRounds } from '../lib/ab.js';
import { type AnalyticsModel, loadLabeledPredictions, registerBinaryModel, timed, timedGet } from '../lib/analytics-data.js';
import type { BenchContext } from '../lib/context.js';
import { figure } from '../lib/report.js';
import type { BenchSection } from './types.js';

const FROM = new Date('2025-01-01T00:00:00Z');
const TO = new Date('2025-01-31T00:00:00Z');
const rowsFor = (ctx: BenchContext) => (ctx.options.quick ? 200_000 : 1_000_000);

interface Round {
  ms: number;
}

/**
 * DESIGN §9: performance metrics over a window of 1,000,000 labeled predictions of a binary model in at most 1.5×
 * the time of the same SQL run directly. Hindsight: GET …/performance?from&to through the real server (HTTP,
 * auth, validation, the statements, the metrics, the response). Baseline: runPerformanceSql, which runs exactly
 * the endpoint's statements (performanceStatements) concurrently, from the harness' own pg pool.
 * For information, GET …/errors on the same window against residualSummarySql run directly.
 */
export const metricsSection: BenchSection = {
  id: 'metrics',
  title: 'Performance metrics over 1,000,000 labeled predictions — GET …/performance vs the same SQL run directly',

  estimateSeconds: (ctx) => (ctx.options.quick ? 15 : 45) + ctx.options.rounds * 2 * (ctx.options.quick ? 1.5 : 4),

  async run(ctx) {
    const n = rowsFor(ctx);
    const model: AnalyticsModel = await registerBinaryModel(ctx, 'metrics');
    ctx.log(`metrics: writing ${n.toLocaleString('en-US')} labeled predictions with generate_series`);
    const load = await timed(() =>
      loadLabeledPredictions(ctx, model, { n, from: FROM, to: TO, prefix: `m${ctx.runId}-`, features: `jsonb_build_object('x', g % 100, 'segment', CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END)` }),
    );
    const window = `from=${FROM.toISOString()}&to=${TO.toISOString()}`;
    const filter = { modelId: model.id, window: { kind: 'range' as const, from: FROM, to: TO } };
    const direct = () => runPerformanceSql(ctx.db.pool, filter, { by: 'none' }, { task: 'binary', positiveLabel: model.positiveLabel });

    // Warm both paths once (plans, caches), and check that they agree.
    const warm = (await timedGet(ctx, `/v1/models/${model.name}/performance?${window}`)).body as { sampleCount: number; metrics: { accuracy: number } };
    const raw = await direct();
    if (warm.sampleCount !== n) throw new Error(`GET …/performance counted ${warm.sampleCount} labeled predictions, expected ${n}`);
    if (Number(raw.summary[0]?.n) !== n) throw new Error(`the direct SQL counted ${String(raw.summary[0]?.n)} rows, expected ${n}`);

    const performance = await abRounds<Round>(
      ctx,
      'metrics',
      ctx.options.rounds,
      {
        hindsight: async () => ({ ms: (await timedGet(ctx, `/v1/models/${model.name}/performance?${window}`)).ms }),
        baseline: async () => ({ ms: (await timed(direct)).ms }),
      },
      (r) => `${r.ms.toFixed(0)} ms`,
    );

    await timedGet(ctx, `/v1/models/${model.name}/errors?${window}`);
    const residual = residualSummarySql(filter, 'binary');
    const errors = await abRounds<Round>(
      ctx,
      'errors',
      ctx.options.rounds,
      {
        hindsight: async () => ({ ms: (await timedGet(ctx, `/v1/models/${model.name}/errors?${window}`)).ms }),
        baseline: async () => ({ ms: (await timed(() => ctx.db.pool.query(residual.text, residual.values))).ms }),
      },
      (r) => `${r.ms.toFixed(0)} ms`,
    );

    const pairs = (rounds: typeof performance) => rounds.map((p) => ({ hindsight: p.hindsight.ms, baseline: p.baseline.ms }));
    return {
      id: this.id,
      title: this.title,
      setup:
        `${n.toLocaleString('en-US')} labeled predictions of a binary model over 30 days (one window), written with generate_series in ${(load.ms / 1000).toFixed(1)} s; ` +
        `${ctx.options.rounds} interleaved rounds, one request or one run of the statements each; medians of rounds.`,
      figures: [
        figure('GET …/performance', 'ms', pairs(performance), { on: 'ratio', op: '<=', value: 1.5 }),
        figure('GET …/errors (vs residualSummarySql alone)', 'ms', pairs(errors)),
      ],
      rounds: [...performance.map((p) => ({ endpoint: 'performance', ...p })), ...errors.map((p) => ({ endpoint: 'errors', ...p }))],
      notes: [
        `baseline: runPerformanceSql(pool, {modelId, window: [${FROM.toISOString()}, ${TO.toISOString()})}, {by: 'none'}, {task: 'binary'}) from the harness — the endpoint's own statements (summary, probability levels, prediction count), run concurrently as the service runs them.`,
        `accuracy over the window: ${warm.metrics.accuracy.toFixed(4)} (Hindsight), from ${n.toLocaleString('en-US')} rows in both paths.`,
        'the errors endpoint also draws its 50,000-row md5 feature sample (segments), runs Shapiro–Wilk on 5,000 residuals and tests the segments; the baseline is only its residual-distribution aggregate, so that ratio is not like for like.',
      ],
    };
  },
};
