import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WebhookConfigService } from '../../services/webhook-config.js';
import { ModelParams, problems } from '../schemas.js';
import { CreateSubscriptionBody, PutWebhookBody, SubscriptionParams, SubscriptionSchema, WebhookSchema } from './schemas.js';

const NoContent = { description: 'deleted', type: 'null' } as const;

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhookConfigService }> = async (app, { webhooks }) => {
  app.put('/v1/models/:model/webhook', {
    schema: {
      tags: ['webhooks'],
      summary: 'Set the training webhook of a model',
      description:
        'Where `retrain.requested` goes, signed per Standard Webhooks. Creating it (201) or rotating its secret (`rotateSecret`) returns the `whsec_…` secret once; ' +
        'on rotation the previous secret stays valid (messages carry both signatures) for 24 hours. Saving re-enables a disabled webhook. ' +
        'The URL is refused (422 naming /body/url) unless it is https and resolves only to public addresses.',
      params: ModelParams,
      body: PutWebhookBody,
      response: { 200: WebhookSchema, 201: WebhookSchema, ...problems(404, 422) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      const { view, created } = await webhooks.putTraining(request.params.model, request.body);
      return reply.code(created ? 201 : 200).send(view);
    },
  });

  app.get('/v1/models/:model/webhook', {
    schema: { tags: ['webhooks'], summary: 'The training webhook: URL, status, secret prefix', params: ModelParams, response: { 200: WebhookSchema, ...problems(404) } },
    config: { scope: 'admin' },
    handler: (request) => webhooks.getTraining(request.params.model),
  });

  app.delete('/v1/models/:model/webhook', {
    schema: {
      tags: ['webhooks'],
      summary: 'Remove the training webhook',
      description: 'Pending deliveries fail, and so do the retrain requests waiting for them.',
      params: ModelParams,
      response: { 204: NoContent, ...problems(404) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      await webhooks.deleteTraining(request.params.model);
      return reply.code(204).send(null);
    },
  });

  app.post('/v1/models/:model/subscriptions', {
    schema: {
      tags: ['webhooks'],
      summary: 'Subscribe a URL to promotions and rollbacks of a model',
      description:
        '`model.version.promoted` and `model.version.rolled_back` events, signed and retried like the training webhook, tell the serving side which version to serve ' +
        '(`data.productionVersion`) from every promotion and rollback: manual, by the validation gate, or automatic. The secret is shown once.',
      params: ModelParams,
      body: CreateSubscriptionBody,
      response: { 201: SubscriptionSchema, ...problems(404, 422) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => reply.code(201).send(await webhooks.createSubscription(request.params.model, request.body)),
  });

  app.get('/v1/models/:model/subscriptions', {
    schema: {
      tags: ['webhooks'],
      summary: 'Subscriptions to a model’s version events',
      params: ModelParams,
      response: { 200: Type.Object({ items: Type.Array(SubscriptionSchema) }), ...problems(404) },
    },
    config: { scope: 'admin' },
    handler: (request) => webhooks.listSubscriptions(request.params.model),
  });

  app.delete('/v1/models/:model/subscriptions/:id', {
    schema: { tags: ['webhooks'], summary: 'Remove a subscription', params: SubscriptionParams, response: { 204: NoContent, ...problems(404) } },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      await webhooks.deleteSubscription(request.params.model, request.params.id);
      return reply.code(204).send(null);
    },
  });
};
