import type { JobRunRow, JobRunsRepository } from '../db/repositories/job-runs.js';
import type { LearningRepository } from '../db/repositories/learning.js';
import { ALERT_TYPES } from '../domain/learning-alerts.js';
import type { AlertService } from '../services/alerts.js';
import type { DailyLearningService } from '../services/daily-learning.js';
import type { ExperimentWatch } from '../services/experiment-watch.js';
import type { RetrainService } from '../services/retrain-requests.js';
import type { WeeklyLearningService } from '../services/weekly-learning.js';
import type { DeliveryWorker } from '../webhooks/worker.js';
import { dailyLearningJob } from './daily-learning.js';
import type { JobDefinition } from './definition.js';
import { Scheduler, type SchedulerLog } from './scheduler.js';
import { tierJobs } from './tier-retrain.js';
import { webhookDeliveryJob } from './webhook-delivery.js';
import { weeklyLearningJob } from './weekly-learning.js';

export interface JobSettings {
  dailyJobCron: string;
  weeklyJobCron: string;
  webhookDeliveryCron: string;
  timezone: string;
  jobLeaseMs: number;
  jobRunRetentionMs: number;
  replicaId: string;
}

export interface JobDeps {
  ledger: JobRunsRepository;
  learningRepo: LearningRepository;
  daily: DailyLearningService;
  weekly: WeeklyLearningService;
  experiments: ExperimentWatch;
  retrain: RetrainService;
  delivery: DeliveryWorker;
  alerts: AlertService;
  /** The model id of a tier job's model (its job.failed alert belongs to it). */
  modelId: (name: string) => Promise<string | null>;
  /** After every finished run (metrics). */
  observe?: (run: JobRunRow) => void;
  log: SchedulerLog;
  onStart?: () => Promise<void>;
  /** Seams for tests: how often replicas tick, the heartbeat. */
  tickCron?: string;
  heartbeatMs?: number;
}

/** The scheduler with Hindsight's jobs: daily and weekly learning, webhook delivery, and the policies' tier schedules. */
export function buildScheduler(settings: JobSettings, d: JobDeps): Scheduler {
  const cron = (expression: string) => ({ kind: 'cron' as const, expression, timezone: settings.timezone });
  const jobs: JobDefinition[] = [
    dailyLearningJob(d.daily, d.experiments, cron(settings.dailyJobCron)),
    weeklyLearningJob(d.weekly, d.daily, d.experiments, cron(settings.weeklyJobCron)),
    webhookDeliveryJob(d.delivery, cron(settings.webhookDeliveryCron)),
  ];
  return new Scheduler({
    ledger: d.ledger,
    log: d.log,
    replicaId: settings.replicaId,
    leaseMs: settings.jobLeaseMs,
    heartbeatMs: d.heartbeatMs,
    retentionMs: settings.jobRunRetentionMs,
    jobs,
    dynamic: () => tierJobs(d.learningRepo, d.retrain),
    tickCron: d.tickCron,
    onStart: d.onStart,
    onFinished: async (job, run) => {
      d.observe?.(run);
      if (!job.alertOnFailure) return;
      const key = `${ALERT_TYPES.jobFailed}:${job.name}`;
      if (run.status === 'failed' && run.trigger === 'schedule') {
        await d.alerts.raise({
          type: ALERT_TYPES.jobFailed,
          severity: 'warning',
          modelId: job.model ? await d.modelId(job.model) : null,
          title: `Job ${job.name} failed`,
          detail: `run ${run.id} (slot ${run.slot.toISOString()}, replica ${run.replicaId}): ${run.error ?? 'no error recorded'}`,
          dedupeKey: key,
        });
      } else if (run.status === 'succeeded') {
        await d.alerts.resolveCondition(key, `run ${run.id} of ${run.slot.toISOString()} succeeded`);
      }
    },
  });
}
