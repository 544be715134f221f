import { WEEKLY_LEARNING } from '../domain/job-schedule.js';
import type { DailyLearningService } from '../services/daily-learning.js';
import type { ExperimentWatch } from '../services/experiment-watch.js';
import type { WeeklyLearningService } from '../services/weekly-learning.js';
import type { JobDefinition, JobSchedule } from './definition.js';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * `weekly-learning`: per model, the week's learning report (summary and links), the four-week trend of
 * feature importance and the retrain recommendation; then the conclusion of experiments whose end passed
 * (the daily job concludes them too; this one reports them).
 */
export function weeklyLearningJob(learning: WeeklyLearningService, daily: DailyLearningService, experiments: ExperimentWatch, schedule: JobSchedule): JobDefinition {
  return {
    name: WEEKLY_LEARNING,
    description: 'Per model: the learning report of the week, feature-importance trends over four weeks, the retrain recommendation; then conclusions of finished experiments.',
    schedule,
    catchUp: true,
    alertOnFailure: true,
    async run(ctx) {
      const models = await daily.models();
      const results = [];
      for (const model of models) {
        if (ctx.signal.aborted) break;
        try {
          results.push(await learning.run(model));
        } catch (error) {
          results.push({ model: model.name, status: 'failed' as const, failures: [{ step: 'model', error: message(error) }] });
        }
      }
      let concluded: Awaited<ReturnType<ExperimentWatch['concludeFinished']>> | null = null;
      let experimentError: string | null = null;
      try {
        concluded = await experiments.concludeFinished();
      } catch (error) {
        experimentError = message(error);
      }
      const failed = results.filter((r) => r.status === 'failed');
      const problems = [
        ...(results.length < models.length ? [`interrupted: the process is shutting down; ${models.length - results.length} of ${models.length} models were not visited`] : []),
        ...(failed.length > 0 ? [`${failed.length} of ${models.length} models failed (${failed.map((r) => `${r.model}: ${r.failures.map((f) => `${f.step}: ${f.error}`).join(', ')}`).join('; ')})`] : []),
        ...(experimentError ? [`concluding experiments: ${experimentError}`] : []),
      ];
      return {
        result: {
          models: models.length,
          visited: results.length,
          failed: failed.length,
          retrainRecommended: results.flatMap((r) => ('retrainRecommendation' in r && r.retrainRecommendation?.shouldRetrain ? [r.model] : [])),
          experiments: concluded,
          results,
        },
        error: problems.length > 0 ? problems.join('; ') : null,
      };
    },
  };
}
