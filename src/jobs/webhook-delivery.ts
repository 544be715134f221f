import { WEBHOOK_DELIVERY } from '../domain/job-schedule.js';
import type { DeliveryWorker } from '../webhooks/worker.js';
import type { JobDefinition, JobSchedule } from './definition.js';

/**
 * `webhook-delivery`: the outbox's scheduled rounds — retries that came due, promotion events to relay —
 * until nothing due is left. New messages do not wait for it: the replica that stores one wakes its worker.
 * Runs that found nothing to send are pruned from the ledger after an hour.
 */
export function webhookDeliveryJob(delivery: DeliveryWorker, schedule: JobSchedule): JobDefinition {
  return {
    name: WEBHOOK_DELIVERY,
    description: 'Sends the webhook outbox: due retries of retrain requests, promotion and rollback events, alert notifications.',
    schedule,
    pruneIdle: true,
    async run() {
      const done = await delivery.drain();
      return { result: { ...done, idle: done.attempted === 0 && done.relayed === 0 } };
    },
  };
}
