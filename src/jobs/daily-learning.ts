import { DAILY_LEARNING } from '../domain/job-schedule.js';
import type { DailyLearningService } from '../services/daily-learning.js';
import type { ExperimentWatch } from '../services/experiment-watch.js';
import type { JobDefinition, JobSchedule } from './definition.js';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function attempt<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: message(error) };
  }
}

/**
 * `daily-learning`: every model's daily learning (DailyLearningService), one model after the other — one
 * model's failure is recorded in the result and the others go on — then the experiments: sample ratio
 * mismatches, and the conclusion of those whose end has passed. The run fails (keeping its result) when a
 * model or a step did.
 */
export function dailyLearningJob(learning: DailyLearningService, experiments: ExperimentWatch, schedule: JobSchedule): JobDefinition {
  return {
    name: DAILY_LEARNING,
    description:
      'Per model: performance snapshot, drift report, error analysis, validation gate and rollback check, retrain decision (and request when autoTrigger), alerts raised and resolved; then experiment checks.',
    schedule,
    catchUp: true,
    alertOnFailure: true,
    async run(ctx) {
      const streamDrifts = await learning.streamDrifts();
      const models = await learning.models();
      const results = [];
      for (const model of models) {
        if (ctx.signal.aborted) break;
        const outcome = await attempt(() => learning.run(model, { runId: ctx.runId, streamDrifts: streamDrifts.get(model.id) ?? [] }));
        results.push(outcome.ok ? outcome.value : { model: model.name, status: 'failed' as const, failures: [{ step: 'model', error: outcome.error }] });
      }
      const srm = await attempt(() => experiments.sampleRatioMismatches());
      const concluded = await attempt(() => experiments.concludeFinished());
      const failed = results.filter((r) => r.status === 'failed');
      const raised = results.flatMap((r) => ('alerts' in r && r.alerts ? r.alerts.raised : []));
      const resolved = results.flatMap((r) => ('alerts' in r && r.alerts ? r.alerts.resolved : []));
      const problems = [
        ...(results.length < models.length ? [`interrupted: the process is shutting down; ${models.length - results.length} of ${models.length} models were not visited`] : []),
        ...(failed.length > 0 ? [`${failed.length} of ${models.length} models failed (${failed.map((r) => `${r.model}: ${r.failures.map((f) => `${f.step}: ${f.error}`).join(', ')}`).join('; ')})`] : []),
        ...(srm.ok ? [] : [`sample ratio mismatch check: ${srm.error}`]),
        ...(concluded.ok ? (concluded.value.failures.length ? [`concluding experiments: ${concluded.value.failures.map((f) => `${f.experiment}: ${f.error}`).join('; ')}`] : []) : [`concluding experiments: ${concluded.error}`]),
      ];
      return {
        result: {
          models: models.length,
          visited: results.length,
          failed: failed.length,
          alerts: { raised: raised.filter((a) => a.change !== 'repeated').length, repeated: raised.filter((a) => a.change === 'repeated').length, resolved: resolved.length },
          retrainRequests: results.flatMap((r) => ('retrain' in r && r.retrain?.triggered ? [{ model: r.model, requestId: r.retrain.requestId }] : [])),
          experiments: { sampleRatioMismatches: srm.ok ? srm.value : null, concluded: concluded.ok ? concluded.value.concluded : null },
          results,
        },
        error: problems.length > 0 ? problems.join('; ') : null,
      };
    },
  };
}
