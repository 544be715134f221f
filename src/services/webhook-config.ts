import type { EndpointRow, WebhooksRepository } from '../db/repositories/webhooks.js';
import { NotFoundError, UnprocessableError } from '../errors.js';
import { VERSION_EVENTS } from '../webhooks/events.js';
import { type SecretBox, generateSecret, secretHint } from '../webhooks/secrets.js';
import { type TargetPolicy, checkWebhookUrl } from '../webhooks/ssrf.js';
import { activeSecrets } from '../webhooks/worker.js';
import type { ModelCatalog } from './catalog.js';

/** After a rotation, the previous secret keeps signing (and verifying) for this long. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

interface EndpointStatusView {
  url: string;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledAt: string | null;
  secretPrefix: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookView extends EndpointStatusView {
  model: string;
  events: string[];
  previousSecretExpiresAt: string | null;
  /** Only in the answer that created or rotated it. */
  secret?: string;
}

export interface SubscriptionView extends EndpointStatusView {
  id: string;
  model: string;
  events: string[];
  secret?: string;
}

/**
 * The training webhook of a model and the subscriptions of the serving side. URLs pass the SSRF check
 * when saved (422 naming /body/url); secrets are generated here, shown once, and kept sealed.
 */
export class WebhookConfigService {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly catalog: ModelCatalog,
    private readonly box: SecretBox,
    private readonly target: TargetPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async checkUrl(url: string): Promise<string> {
    const checked = await checkWebhookUrl(url, this.target);
    if (!checked.ok) throw new UnprocessableError([{ path: '/body/url', message: checked.reason }]);
    return checked.url;
  }

  async putTraining(modelName: string, input: { url: string; rotateSecret?: boolean }): Promise<{ view: WebhookView; created: boolean }> {
    const model = await this.catalog.get(modelName);
    const url = await this.checkUrl(input.url);
    const secret = generateSecret();
    const rotate = input.rotateSecret === true;
    const { endpoint, created } = await this.repo.saveTraining(model.id, {
      url,
      secret: this.box.seal(secret),
      secretPrefix: secretHint(secret),
      rotate,
      previousExpiresAt: new Date(this.now().getTime() + SECRET_OVERLAP_MS),
    });
    return { view: { ...webhookView(model.name, endpoint), ...(created || rotate ? { secret } : {}) }, created };
  }

  async getTraining(modelName: string): Promise<WebhookView> {
    const model = await this.catalog.get(modelName);
    const endpoint = await this.repo.training(model.id);
    if (!endpoint) throw new NotFoundError('training webhook of model', modelName);
    return webhookView(model.name, endpoint);
  }

  async deleteTraining(modelName: string): Promise<void> {
    const model = await this.catalog.get(modelName);
    const endpoint = await this.repo.training(model.id);
    if (!endpoint || !(await this.repo.deleteEndpoint(model.id, 'training', endpoint.id, 'the training webhook was deleted'))) {
      throw new NotFoundError('training webhook of model', modelName);
    }
  }

  /** The secrets a trainer of the model may sign with now (current, and previous during an overlap); none without a webhook. */
  async trainingSecrets(modelId: string): Promise<string[]> {
    const endpoint = await this.repo.training(modelId);
    return endpoint ? this.secretsOf(endpoint) : [];
  }

  /** The opened secrets of an endpoint valid now. */
  secretsOf(endpoint: EndpointRow): string[] {
    return activeSecrets(this.box, endpoint, this.now());
  }

  async createSubscription(modelName: string, input: { url: string; events?: string[] }): Promise<SubscriptionView> {
    const model = await this.catalog.get(modelName);
    const url = await this.checkUrl(input.url);
    const events = [...new Set(input.events ?? VERSION_EVENTS)];
    const secret = generateSecret();
    const endpoint = await this.repo.createSubscription(model.id, { url, events, secret: this.box.seal(secret), secretPrefix: secretHint(secret) });
    return { ...subscriptionView(model.name, endpoint), secret };
  }

  async listSubscriptions(modelName: string): Promise<{ items: SubscriptionView[] }> {
    const model = await this.catalog.get(modelName);
    return { items: (await this.repo.subscriptions(model.id)).map((e) => subscriptionView(model.name, e)) };
  }

  async deleteSubscription(modelName: string, id: string): Promise<void> {
    const model = await this.catalog.get(modelName);
    const deleted = await this.repo.deleteEndpoint(model.id, 'subscription', id, 'the subscription was deleted');
    if (!deleted) throw new NotFoundError('subscription', id, '/params/id');
  }
}

const statusView = (e: EndpointRow): EndpointStatusView => ({
  url: e.url,
  status: e.status,
  disabledReason: e.disabledReason,
  disabledAt: e.disabledAt?.toISOString() ?? null,
  secretPrefix: e.secretPrefix,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

const webhookView = (model: string, e: EndpointRow): WebhookView => ({
  model,
  ...statusView(e),
  events: e.events,
  previousSecretExpiresAt: e.previousSecret ? (e.previousSecretExpiresAt?.toISOString() ?? null) : null,
});

const subscriptionView = (model: string, e: EndpointRow): SubscriptionView => ({ id: e.id, model, ...statusView(e), events: e.events });
