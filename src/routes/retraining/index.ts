import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Principal } from '../../domain/access.js';
import { PayloadTooLargeError, ValidationError } from '../../errors.js';
import type { RetrainPolicyService } from '../../services/retrain-policies.js';
import type { CallbackBody as CallbackInput, RetrainService } from '../../services/retrain-requests.js';
import { ModelParams, Page, PageQuery, problems } from '../schemas.js';
import { CallbackBody, DecisionSchema, IdParams, PolicyBody, PolicySchema, RequestSchema, TriggerBody } from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact body bytes, kept by routes that verify a signature over them. */
    rawBody?: Buffer;
  }
}

const CALLBACK_LIMIT_BYTES = 1024 * 1024;

export const retrainingRoutes: FastifyPluginAsyncTypebox<{ policies: RetrainPolicyService; retrain: RetrainService }> = async (app, { policies, retrain }) => {
  app.put('/v1/models/:model/policy', {
    schema: {
      tags: ['retraining'],
      summary: 'Set the retrain policy of a model',
      description:
        'Replaces the whole policy: omitted fields take their defaults, `null` switches a check off. Accuracy checks (`accuracyBelow`, `lastN`) apply to classification, ' +
        'error limits (`maxMape`, `maxMae`, `maxRmse`) to regression: the other kind is a 422. Durations are `<n>` + m, h, d or w.',
      params: ModelParams,
      body: PolicyBody,
      response: { 200: PolicySchema, ...problems(404, 422) },
    },
    config: { scope: 'admin' },
    handler: (request) => policies.put(request.params.model, request.body ?? {}),
  });

  app.get('/v1/models/:model/policy', {
    schema: { tags: ['retraining'], summary: 'The retrain policy of a model (its task’s defaults until one is set)', params: ModelParams, response: { 200: PolicySchema, ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => policies.get(request.params.model),
  });

  app.get('/v1/models/:model/retrain-decision', {
    schema: {
      tags: ['retraining'],
      summary: 'Should the model be retrained now, and why',
      description:
        'Judges the production version’s labeled predictions against the policy: enough samples (`minSamples`), accuracy over the window, last-N accuracy, MAPE/MAE/RMSE limits, ' +
        'the latest drift report; and the guards that block a new request: an open request, the cooldown, the training webhook. Every check carries its value, threshold, window and result.',
      params: ModelParams,
      response: { 200: DecisionSchema, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => retrain.decision(request.params.model),
  });

  app.post('/v1/models/:model/retrain-requests', {
    schema: {
      tags: ['retraining'],
      summary: 'Start a retrain request',
      description:
        'Stores the request, a frozen dataset of the labeled predictions (default: the policy’s trainingWindow) and the webhook message in one transaction, answers 202, ' +
        'and delivers the signed `retrain.requested` webhook in the background (retries: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). ' +
        'At most one request per model and tier is open: while one is, this answers it with 200. During the cooldown after the last completed request: 409 with `cooldownEndsAt`, unless `force`.',
      params: ModelParams,
      body: TriggerBody,
      response: { 202: RequestSchema, 200: RequestSchema, ...problems(404, 409, 422) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => {
      const { request: view, created } = await retrain.trigger(request.params.model, request.body);
      return reply.code(created ? 202 : 200).send(view);
    },
  });

  app.get('/v1/models/:model/retrain-requests', {
    schema: {
      tags: ['retraining'],
      summary: 'Retrain requests of a model, newest first, with every delivery attempt',
      params: ModelParams,
      querystring: PageQuery,
      response: { 200: Page(RequestSchema), ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => retrain.list(request.params.model, request.query.limit, request.query.cursor),
  });

  app.get('/v1/retrain-requests/:id', {
    schema: { tags: ['retraining'], summary: 'A retrain request: status, delivery attempts, result, candidate and gate', params: IdParams, response: { 200: RequestSchema, ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => retrain.get(request.params.id, request.principal),
  });

  app.post('/v1/retrain-requests/:id/result', {
    schema: {
      tags: ['retraining'],
      summary: 'The trainer reports the outcome of a retrain request',
      description:
        'Authenticate with an API key (scope `ingest` or `admin`), **or** without one by signing the request like the webhook itself: headers `webhook-id` (any unique id), ' +
        '`webhook-timestamp` (Unix seconds, within 5 minutes) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the model’s webhook secret). ' +
        '`{"status": "succeeded", "version", "metrics", "artifactUri"}` registers the version as a candidate with its lineage and runs the training-metrics stage of the ' +
        'validation gate; `{"status": "failed", "message"}` closes the request and raises an alert. The same body again answers 200 unchanged; a different one is a 409.',
      params: IdParams,
      body: CallbackBody,
      response: { 200: RequestSchema, ...problems(404, 409) },
    },
    config: { scope: 'ingest', credentialAlternative: (request) => request.headers['webhook-signature'] !== undefined },
    bodyLimit: CALLBACK_LIMIT_BYTES,
    preParsing: async (request, _reply, payload) => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > CALLBACK_LIMIT_BYTES) throw new PayloadTooLargeError(`the request body is larger than the limit of ${CALLBACK_LIMIT_BYTES} bytes`);
        chunks.push(chunk);
      }
      request.rawBody = Buffer.concat(chunks);
      return Object.assign(Readable.from([request.rawBody]), { receivedEncodedLength: request.rawBody.length });
    },
    handler: async (request) => {
      const body = checkCallback(request.body as Record<string, unknown>);
      const principal = request.principal as Principal | null;
      const headers = request.headers;
      const header = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : undefined);
      const auth = principal
        ? { principal }
        : { signature: { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') }, rawBody: request.rawBody ?? Buffer.alloc(0) };
      return (await retrain.complete(request.params.id, body, auth)).request;
    },
  });
};

/** The fields each status requires or refuses (one flat schema keeps validation errors readable). */
function checkCallback(body: Record<string, unknown>): CallbackInput {
  const errors: { path: string; message: string }[] = [];
  if (body.status === 'succeeded') {
    if (body.version === undefined) errors.push({ path: '/body/version', message: 'is required when status is "succeeded"' });
    if (body.message !== undefined) errors.push({ path: '/body/message', message: 'is only allowed when status is "failed"' });
  } else {
    if (body.message === undefined) errors.push({ path: '/body/message', message: 'is required when status is "failed"' });
    for (const key of ['version', 'metrics', 'artifactUri', 'description']) {
      if (body[key] !== undefined) errors.push({ path: `/body/${key}`, message: 'is only allowed when status is "succeeded"' });
    }
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return body as unknown as CallbackInput;
}
