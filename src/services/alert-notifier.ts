import type { AlertEndpointRepository } from '../db/repositories/alert-endpoint.js';
import type { AlertHook, AlertSeverity } from '../db/repositories/alerts.js';
import { alertMessageBody } from '../webhooks/alert-message.js';
import { newMessageId } from '../webhooks/events.js';
import { type SecretBox, generateSecret, secretHint } from '../webhooks/secrets.js';

export interface AlertWebhookSettings {
  /** ALERT_WEBHOOK_URL; unset: no notifications (a stored endpoint is disabled). */
  url: string | undefined;
  /** ALERT_WEBHOOK_SECRET (whsec_…); unset: the stored secret is kept, or one is generated. */
  secret: string | undefined;
  /** Alerts below this severity are not sent. */
  minSeverity: AlertSeverity;
  publicUrl: string;
}

interface Log {
  info(message: string): void;
  warn(object: object, message: string): void;
}

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Sends alerts to the notification webhook through the outbox: a message is stored in the transaction
 * that opens, escalates or resolves an alert (never for a repeat, which only counts), and the delivery
 * worker signs (Standard Webhooks, ALERT_WEBHOOK_SECRET) and sends it with the retries of every webhook.
 */
export class AlertNotifier {
  private synced: Promise<void> | null = null;

  constructor(
    private readonly repo: AlertEndpointRepository,
    private readonly box: SecretBox,
    private readonly settings: AlertWebhookSettings,
    /** A message was stored: deliver it now rather than at the next scheduled round. */
    readonly wake: () => void,
    private readonly log: Log,
  ) {}

  /** Makes the stored endpoint match the configuration, once per process (again after a failure). */
  sync(): Promise<void> {
    this.synced ??= this.apply().catch((error: unknown) => {
      this.synced = null;
      throw error;
    });
    return this.synced;
  }

  private async apply(): Promise<void> {
    const stored = await this.repo.get();
    const { url, secret } = this.settings;
    if (!url) {
      if (stored?.status === 'active') {
        await this.repo.disable('ALERT_WEBHOOK_URL is no longer configured');
        this.log.info('alert notifications are off: the stored alert webhook was disabled (ALERT_WEBHOOK_URL is unset)');
      }
      return;
    }
    const current = stored ? this.box.open(stored.secret) : null;
    const wanted = secret ?? current ?? generateSecret();
    if (stored && stored.url === url && current === wanted) {
      if (stored.status !== 'active') this.log.warn({ reason: stored.disabledReason }, 'the alert webhook is disabled; change ALERT_WEBHOOK_URL or ALERT_WEBHOOK_SECRET to re-enable it');
      return;
    }
    await this.repo.save(url, this.box.seal(wanted), secretHint(wanted));
    if (!secret) this.log.warn({}, 'ALERT_WEBHOOK_SECRET is not set: alert notifications are signed with a generated secret; set one to verify them');
  }

  /** The transaction hook of AlertService: stores the notification of an alert that opened, escalated or resolved. */
  readonly hook: AlertHook = async (tx, alert, change) => {
    if (!this.settings.url || change === 'repeated') return;
    if (RANK[alert.peakSeverity] < RANK[this.settings.minSeverity]) return;
    const endpoint = await this.repo.get(tx);
    if (!endpoint || endpoint.status !== 'active') return;
    const event = change === 'opened' ? 'alert.opened' : change === 'escalated' ? 'alert.escalated' : 'alert.resolved';
    await this.repo.insertMessage(tx, {
      id: newMessageId(),
      endpointId: endpoint.id,
      modelId: alert.modelId,
      alertId: alert.id,
      eventType: event,
      body: alertMessageBody(event, alert, new Date(), this.settings.publicUrl),
    });
  };

  get enabled(): boolean {
    return this.settings.url !== undefined;
  }
}
