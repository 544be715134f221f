import { randomUUID } from 'node:crypto';
import type { RetrainRepository, RetrainRequestRow } from '../db/repositories/retrain.js';
import type { WebhooksRepository } from '../db/repositories/webhooks.js';
import type { ModelsRepository } from '../db/repositories/models.js';
import { canAccessModel, type Principal } from '../domain/access.js';
import { trainingGate } from '../domain/promotion-gate.js';
import { primaryMetricOf } from '../domain/live-comparison.js';
import { parseDuration, type WindowQuery } from '../domain/window.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, UnprocessableError } from '../errors.js';
import { eventBody, newMessageId } from '../webhooks/events.js';
import { verifySignature } from '../webhooks/signature.js';
import type { AlertService } from './alerts.js';
import type { ModelCatalog } from './catalog.js';
import { DOWNLOAD_URL_TTL_MS, type DatasetService } from './datasets.js';
import type { ModelService } from './models.js';
import { decodeCursor, page } from './pagination.js';
import type { DecisionView, RetrainDecisionService } from './retrain-decision.js';
import type { RetrainPolicyService } from './retrain-policies.js';
import { type RetrainRequestView, callbackUrl, viewRequests } from './retrain-views.js';
import type { WebhookConfigService } from './webhook-config.js';

export interface TriggerInput {
  reason: string;
  tier?: string;
  force?: boolean;
  /** The window of the frozen dataset; default the policy's trainingWindow. */
  dataset?: WindowQuery & { version?: string };
}

export type CallbackBody =
  | { status: 'succeeded'; version: string; metrics?: Record<string, number>; artifactUri?: string; description?: string }
  | { status: 'failed'; message: string };

export type CallbackAuth =
  | { principal: Principal }
  | { signature: { id?: string; timestamp?: string; signature?: string }; rawBody: Buffer };

export interface RetrainDeps {
  repo: RetrainRepository;
  webhooks: WebhooksRepository;
  webhookConfig: WebhookConfigService;
  datasets: DatasetService;
  policies: RetrainPolicyService;
  decisions: RetrainDecisionService;
  models: ModelService;
  modelsRepo: ModelsRepository;
  catalog: ModelCatalog;
  alerts: AlertService;
  publicUrl: string;
  /** Something was stored in the outbox: deliver it now rather than at the next poll. */
  wake: () => void;
  now?: () => Date;
}

/**
 * Retrain requests: the trigger (request, dataset and outbox message in one transaction), the automatic
 * trigger the daily job calls, the trainer's callback with the first stage of the validation gate.
 */
export class RetrainService {
  private readonly now: () => Date;

  constructor(private readonly d: RetrainDeps) {
    this.now = d.now ?? (() => new Date());
  }

  decision(modelName: string): Promise<DecisionView> {
    return this.d.decisions.decide(modelName).then(({ policy: _policy, ...view }) => view);
  }

  /**
   * Starts a retrain request, or answers the open one of the same model and tier (`created: false`).
   * Refused (409) without an active training webhook, and during the cooldown unless `force`.
   */
  async trigger(modelName: string, input: TriggerInput, how: { trigger: 'manual' | 'auto'; reasons?: string[] } = { trigger: 'manual' }) {
    const model = await this.d.models.require(modelName);
    const spec = await this.d.catalog.get(modelName);
    const { policy } = await this.d.policies.policyOf(spec);
    const tier = input.tier ?? null;
    if (tier !== null && !policy.tiers.some((t) => t.name === tier)) {
      const names = policy.tiers.map((t) => t.name);
      throw new UnprocessableError([{ path: '/body/tier', message: names.length ? `must be one of the policy's tiers: ${names.join(', ')}` : 'the policy of this model defines no tiers' }]);
    }
    const target = await this.d.datasets.target(spec, input.dataset ?? {}, '/body/dataset');
    // The common answer to a repeated trigger, without a transaction; the locked check below decides races.
    const already = await this.d.repo.open(model.id, tier);
    if (already) return { request: await this.view(already.id), created: false };
    // Inside the transaction every query goes through `tx`: concurrent triggers hold pooled connections while
    // they wait for the lock, and the holder must never need another one.
    const outcome = await this.d.repo.transaction(async (tx) => {
      await this.d.repo.lockTier(tx, model.id, tier);
      const open = await this.d.repo.open(model.id, tier, tx);
      if (open) return { id: open.id, created: false };
      const endpoint = await this.d.webhooks.training(model.id, tx, true);
      if (!endpoint) throw new ConflictError(`model "${modelName}" has no training webhook: configure one with PUT /v1/models/${modelName}/webhook`);
      if (endpoint.status !== 'active') {
        throw new ConflictError(`the training webhook of "${modelName}" is disabled (${endpoint.disabledReason ?? 'no reason recorded'}); PUT /v1/models/${modelName}/webhook again to re-enable it`);
      }
      const last = await this.d.repo.lastCompletedAt(model.id, tier, tx);
      const cooldownMs = policy.cooldown === null ? null : parseDuration(policy.cooldown);
      const endsAt = last && cooldownMs !== null ? new Date(last.getTime() + cooldownMs) : null;
      if (endsAt && endsAt > this.now() && !input.force) {
        throw new ConflictError(
          `model "${modelName}"${tier ? ` (tier ${tier})` : ''} is in its cooldown of ${policy.cooldown} after the request completed at ${last!.toISOString()}, until ${endsAt.toISOString()}; send "force": true to retrain anyway`,
          undefined,
          { cooldownEndsAt: endsAt.toISOString() },
        );
      }
      const id = randomUUID();
      const dataset = await this.d.datasets.freeze(tx, spec, target, { name: `retrain request ${id}`, description: input.reason });
      const reasons = how.reasons ?? [input.reason];
      await this.d.repo.insert(tx, { id, modelId: model.id, tier, trigger: how.trigger, reason: input.reason, reasons, forced: input.force === true && endsAt !== null && endsAt > this.now(), productionVersionId: model.productionVersion?.id ?? null, datasetId: dataset.id });
      const [secret] = this.d.webhookConfig.secretsOf(endpoint);
      const at = this.now();
      const body = eventBody(
        'retrain.requested',
        {
          retrainRequestId: id,
          model: model.name,
          tier,
          reasons,
          productionVersion: model.productionVersion?.name ?? null,
          dataset: {
            id: dataset.id,
            number: dataset.number,
            rows: dataset.rowCount,
            sha256: dataset.sha256,
            format: 'jsonl',
            url: this.d.datasets.rowsUrl(dataset.id, 'jsonl'),
            downloadUrl: this.d.datasets.downloadUrl(dataset.id, secret!, new Date(at.getTime() + DOWNLOAD_URL_TTL_MS)),
          },
          callbackUrl: callbackUrl(this.d.publicUrl, id),
        },
        at,
      );
      await this.d.webhooks.insertMessage(tx, { id: newMessageId(), endpointId: endpoint.id, modelId: model.id, eventType: 'retrain.requested', body, retrainRequestId: id });
      return { id, created: true };
    });
    if (outcome.created) this.d.wake();
    return { request: await this.view(outcome.id), created: outcome.created };
  }

  /**
   * For the daily job: decide, and when the decision says so and the policy's autoTrigger is on, start a
   * request with the decision's reasons.
   */
  async evaluateAndTrigger(modelName: string): Promise<{ decision: DecisionView; triggered: boolean; request: RetrainRequestView | null; note: string }> {
    const { policy, ...decision } = await this.d.decisions.decide(modelName);
    if (!decision.shouldRetrain) {
      return { decision, triggered: false, request: null, note: decision.reasons.length ? `retraining is needed but blocked: ${decision.blockedBy.join('; ')}` : 'no retraining needed' };
    }
    if (!policy.autoTrigger) return { decision, triggered: false, request: null, note: 'retraining is needed, but autoTrigger is off in the policy' };
    const { request, created } = await this.trigger(modelName, { reason: `automatic: ${decision.reasons.join('; ')}` }, { trigger: 'auto', reasons: decision.reasons });
    return { decision, triggered: created, request, note: created ? 'retrain request started' : 'a retrain request is already open' };
  }

  async list(modelName: string, limit: number, cursor?: string) {
    const model = await this.d.catalog.get(modelName);
    const position = decodeCursor(cursor, ['date', 'uuid']) as [Date, string] | undefined;
    const rows = await this.d.repo.list(model.id, limit + 1, position ? { createdAt: position[0], id: position[1] } : undefined);
    const { items, nextCursor } = page(rows, limit, (r) => [r.createdAt.toISOString(), r.id]);
    return { items: await viewRequests(items, this.d.webhooks, this.d.publicUrl), nextCursor };
  }

  async get(id: string, principal: Principal): Promise<RetrainRequestView> {
    const row = await this.require(id);
    assertAccess(principal, row);
    return (await viewRequests([row], this.d.webhooks, this.d.publicUrl))[0]!;
  }

  private async view(id: string): Promise<RetrainRequestView> {
    return (await viewRequests([(await this.d.repo.get(id))!], this.d.webhooks, this.d.publicUrl))[0]!;
  }

  private async require(id: string): Promise<RetrainRequestRow> {
    const row = await this.d.repo.get(id);
    if (!row) throw new NotFoundError('retrain request', id, '/params/id');
    return row;
  }

  /**
   * The trainer's callback. Authenticated by an API key (ingest or admin, allowed the model) or by a
   * Standard Webhooks signature made with the model's webhook secret. Idempotent: the same result again is
   * answered as before (`replayed`), a different one is a 409. A success registers the candidate version
   * with its lineage and runs the first stage of the gate (training metrics).
   */
  async complete(id: string, body: CallbackBody, auth: CallbackAuth): Promise<{ request: RetrainRequestView; replayed: boolean }> {
    const found = await this.require(id);
    await this.authenticate(found, auth);
    const spec = await this.d.catalog.get(found.model);
    const { policy } = await this.d.policies.policyOf(spec);
    const model = await this.d.models.require(found.model);
    const production = model.productionVersion ? await this.d.modelsRepo.findVersion(model.id, model.productionVersion.name) : null;
    const result = await this.d.repo.transaction(async (tx) => {
      const current = (await this.d.repo.get(id, tx, true))!;
      if (current.result) {
        if (canonicalJson(current.result) === canonicalJson(body)) return { replayed: true, promote: null };
        throw new ConflictError(`retrain request ${id} already has a result (${String(current.result.status)}, received ${current.resultReceivedAt?.toISOString()}); a different one cannot replace it`);
      }
      await this.d.webhooks.cancelForRequest(tx, id, 'the trainer reported the result before the delivery was confirmed');
      if (body.status === 'failed') {
        await this.d.repo.complete(tx, id, { status: 'failed', result: body, failureReason: `the trainer reported a failure: ${body.message}`, candidateVersionId: null, gate: null });
        return { replayed: false, promote: null };
      }
      const version = await this.d.repo.insertCandidate(tx, {
        modelId: current.modelId,
        name: body.version,
        metrics: body.metrics ?? null,
        artifactUri: body.artifactUri ?? null,
        description: body.description ?? `trained for retrain request ${id}`,
        retrainRequestId: id,
        datasetId: current.datasetId,
      });
      if (!version) throw new ConflictError(`model "${found.model}" already has a version "${body.version}"`, [{ path: '/body/version', message: 'is taken' }]);
      const stage = trainingGate(primaryMetricOf(spec.task), policy.minImprovement, body.metrics ?? null, production ? { version: production.name, metrics: production.metrics as Record<string, number> | null } : null);
      // Without a production version there is nothing to compare with: the candidate is promoted once committed.
      const promote = !production;
      const rejected = stage.result === 'fail';
      const status = rejected ? 'rejected' : 'awaiting_live';
      const reason = promote ? 'no production version: promoting the first version' : rejected ? `not promoted: ${stage.detail}` : `${stage.detail}; waiting for live outcomes`;
      await this.d.repo.supersede(tx, current.modelId, id);
      await this.d.repo.complete(tx, id, { status: 'succeeded', result: body, failureReason: null, candidateVersionId: version.id, gate: { status, reason, detail: { stage: 'training', training: stage } } });
      return { replayed: false, promote: promote ? body.version : null };
    });
    if (result.promote) {
      await this.d.models.promote(found.model, result.promote, `validation gate: no production version; first version from retrain request ${id}`);
      await this.d.repo.updateGate(id, { status: 'promoted', reason: 'promoted: there was no production version to compare with', detail: { stage: 'training' } });
    }
    if (!result.replayed && body.status === 'failed') {
      await this.d.alerts.raise({
        type: 'retrain.failed',
        severity: 'warning',
        modelId: found.modelId,
        title: `Retraining of ${found.model} failed`,
        detail: `retrain request ${id}: the trainer reported "${body.message}"`,
      });
    }
    return { request: await this.view(id), replayed: result.replayed };
  }

  private async authenticate(request: RetrainRequestRow, auth: CallbackAuth): Promise<void> {
    if ('principal' in auth) return assertAccess(auth.principal, request);
    const secrets = await this.d.webhookConfig.trainingSecrets(request.modelId);
    const verdict = verifySignature(auth.signature, auth.rawBody, secrets, this.now());
    if (verdict.ok) return;
    const why = {
      'missing-headers': 'send an API key, or sign the callback with the webhook secret (webhook-id, webhook-timestamp, webhook-signature headers)',
      'bad-timestamp': 'webhook-timestamp must be Unix seconds',
      'stale-timestamp': 'webhook-timestamp is more than 5 minutes away from now',
      'bad-signature': secrets.length ? 'the webhook-signature does not match the model’s webhook secret' : 'the model has no webhook secret to verify the signature with',
    }[verdict.failure];
    throw new UnauthorizedError(why);
  }
}

function assertAccess(principal: Principal, request: RetrainRequestRow): void {
  if (!canAccessModel(principal, request.model)) {
    throw new ForbiddenError(`this API key is limited to the models ${[...principal.models!].join(', ')}; retrain request ${request.id} belongs to "${request.model}"`);
  }
}

/** JSON with object keys sorted at every level: two bodies that differ only in key order compare equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
