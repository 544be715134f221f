import type { RunTrigger } from '../db/repositories/job-runs.js';

/** What a job gets for one run. */
export interface JobContext {
  runId: string;
  /** The scheduled fire time (a manual run: the time it was requested). */
  slot: Date;
  trigger: RunTrigger;
  /** Aborted when the process is shutting down and the grace period is over: stop between units of work. */
  signal: AbortSignal;
}

/** A run's JSON summary; `error` marks the run failed while keeping what it did (one model failed, the others not). */
export interface JobOutcome {
  result: Record<string, unknown>;
  error?: string | null;
}

export type JobSchedule =
  | { kind: 'cron'; expression: string; timezone: string }
  /** Slots at the multiples of the period since 1970-01-01T00:00Z (src/domain/job-schedule.ts). */
  | { kind: 'interval'; every: string; everyMs: number };

export interface JobDefinition {
  name: string;
  description: string;
  schedule: JobSchedule;
  run(ctx: JobContext): Promise<JobOutcome>;
  /** Cron jobs: at start, run the latest slot if no replica ran it (every replica was down at the time). */
  catchUp?: boolean;
  /** Runs that did nothing (skipped, or `result.idle`) are pruned after an hour instead of kept. */
  pruneIdle?: boolean;
  /** A failed scheduled run raises a `job.failed` alert, resolved by the next run that succeeds. */
  alertOnFailure?: boolean;
  /** The model of a tier job (model-restricted API keys see and run only their models' jobs). */
  model?: string;
}
