import type { AttemptOutcome, ClaimedMessage, FinishedAttempt } from '../db/repositories/webhooks.js';
import type { AlertService } from './alerts.js';

/**
 * What the delivery worker's outcomes mean for people: a retrain request whose webhook could not be
 * delivered (critical: the model will not be retrained), a webhook disabled by a 410, a subscriber that
 * stopped accepting promotion events (warning: the serving side may serve an outdated version).
 */
export function deliveryAlerts(alerts: AlertService) {
  return async (message: ClaimedMessage, outcome: AttemptOutcome, finished: FinishedAttempt): Promise<void> => {
    const endpoint = message.endpoint;
    if (finished.endpointDisabled && endpoint) {
      await alerts.raise({
        type: 'webhook.disabled',
        severity: 'warning',
        modelId: message.modelId,
        title: endpoint.kind === 'training' ? 'Training webhook disabled' : endpoint.kind === 'alerts' ? 'Alert notification webhook disabled' : 'Subscription disabled',
        detail: `${endpoint.url}: the receiver answered 410 Gone, so it was disabled and its pending deliveries failed; ${endpoint.kind === 'alerts' ? 'change ALERT_WEBHOOK_URL or ALERT_WEBHOOK_SECRET and restart to re-enable it' : 'save it again to re-enable it'}`,
        dedupeKey: `webhook.disabled:${endpoint.id}`,
      });
    }
    for (const request of finished.failedRequests) {
      await alerts.raise({
        type: 'retrain.delivery_failed',
        severity: 'critical',
        modelId: request.modelId,
        title: 'Retrain request could not be delivered',
        detail: `retrain request ${request.id} failed: ${outcome.next.kind === 'failed' ? outcome.next.reason : 'delivery given up'}`,
      });
    }
    if (outcome.next.kind === 'failed' && finished.recorded && !finished.endpointDisabled && endpoint?.kind === 'subscription') {
      await alerts.raise({
        type: 'subscription.delivery_failed',
        severity: 'warning',
        modelId: message.modelId,
        title: `${message.eventType} could not be delivered`,
        detail: `${endpoint.url}: ${outcome.next.reason}`,
        dedupeKey: `subscription.delivery_failed:${endpoint.id}`,
      });
    }
  };
}
