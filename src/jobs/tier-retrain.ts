import type { LearningRepository } from '../db/repositories/learning.js';
import { tierJobName } from '../domain/job-schedule.js';
import { parseDuration } from '../domain/window.js';
import type { RetrainService } from '../services/retrain-requests.js';
import type { JobDefinition } from './definition.js';

/**
 * `tier:<model>:<tier>`: the policy's tier schedules (`{name: "tier1", every: "1h"}`), for models whose
 * policy has autoTrigger on. Each slot starts a retrain request of that tier, unless one is open (the
 * trainer has it) or one was created less than half a period ago (by hand, say). The tier's period is its
 * own rate limit: the cooldown, which guards decision-driven retraining, does not hold it back.
 */
export async function tierJobs(repo: LearningRepository, retrain: RetrainService): Promise<JobDefinition[]> {
  const jobs: JobDefinition[] = [];
  for (const { modelId, model, policy } of await repo.scheduledTiers()) {
    for (const tier of policy.tiers) {
      const everyMs = parseDuration(tier.every);
      if (everyMs === null) continue;
      jobs.push({
        name: tierJobName(model, tier.name),
        description: `Retrain request for ${model}, tier ${tier.name}, every ${tier.every}`,
        schedule: { kind: 'interval', every: tier.every, everyMs },
        model,
        alertOnFailure: true,
        async run(ctx) {
          const last = await repo.lastRequestAt(modelId, tier.name);
          if (ctx.trigger === 'schedule' && last && Date.now() - last.getTime() < everyMs / 2) {
            return { result: { action: 'skipped', reason: `a request of tier ${tier.name} was created at ${last.toISOString()}, less than half of ${tier.every} ago` } };
          }
          const { request, created } = await retrain.trigger(
            model,
            { reason: `scheduled: tier ${tier.name} every ${tier.every}`, tier: tier.name, force: true },
            { trigger: 'auto', reasons: [`tier ${tier.name} is retrained every ${tier.every}`] },
          );
          return { result: { action: created ? 'requested' : 'already_open', retrainRequestId: request.id, status: request.status } };
        },
      });
    }
  }
  return jobs;
}
