import type { NewPrediction, PredictionRecord, PredictionsRepository } from '../db/repositories/predictions.js';
import { canAccessModel, type Principal } from '../domain/access.js';
import { uuidv7 } from '../domain/ids.js';
import { isSamePrediction } from '../domain/prediction-identity.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { learnFromOutcome } from '../domain/outcome-rules.js';
import { checkPrediction, type PredictionBody } from '../domain/prediction-rules.js';
import { ConflictError, ForbiddenError, HttpError, NotFoundError, ServiceUnavailableError, UnprocessableError, ValidationError, type FieldError } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import { type LabeledListener, notifyLabeled } from './labeled-listener.js';

export type ItemResult =
  | { index: number; status: 'created'; id: string; model: string; row: NewPrediction; versionId: string | null; createdAt: Date }
  | { index: number; status: 'duplicate'; id: string }
  | { index: number; status: 'failed'; error: HttpError };

interface Candidate {
  index: number;
  body: PredictionBody;
  model: ModelSpec;
  row: NewPrediction;
}

/**
 * The ingestion path for predictions (single and batch). Every item is checked on its own so that one bad
 * item never rejects its neighbours; the valid ones are written in one statement, and retries are
 * recognised by id or (model, externalId), then told from conflicts by comparing the stored content.
 */
export class PredictionIngestService {
  constructor(
    private readonly repo: PredictionsRepository,
    private readonly catalog: ModelCatalog,
    private readonly onLabeled?: LabeledListener,
  ) {}

  /**
   * @param prefixOf JSON pointer of item i in the request (`/body` for a single prediction, `/body/items/i` in a batch)
   * @param checkShape validates each item against the prediction schema (batch items; a single body was checked by Fastify)
   */
  async ingest(
    bodies: unknown[],
    principal: Principal,
    prefixOf: (index: number) => string,
    checkShape?: (body: unknown, prefix: string) => FieldError[],
  ): Promise<ItemResult[]> {
    const now = Date.now();
    const results: ItemResult[] = new Array(bodies.length);
    const fail = (index: number, error: HttpError) => (results[index] = { index, status: 'failed', error });

    const models = await this.resolveModels(bodies);
    const candidates: Candidate[] = [];
    const seenIds = new Map<string, number>();
    const seenExternal = new Map<string, number>();
    for (let index = 0; index < bodies.length; index++) {
      const prefix = prefixOf(index);
      const shapeErrors = checkShape?.(bodies[index], prefix) ?? [];
      if (shapeErrors.length > 0) {
        fail(index, new ValidationError(shapeErrors));
        continue;
      }
      const body = bodies[index] as PredictionBody;
      // Access first, so that a key limited to some models cannot probe which other models exist.
      if (!canAccessModel(principal, body.model)) {
        fail(index, new ForbiddenError(`this API key cannot write predictions of model "${body.model}"`));
        continue;
      }
      const model = models.get(body.model);
      if (!model) {
        fail(index, new NotFoundError('model', body.model, `${prefix}/model`));
        continue;
      }
      const { value, violations } = checkPrediction(body, model, now, prefix);
      if (!value) {
        fail(index, violations.invalid.length > 0 ? new ValidationError([...violations.invalid, ...violations.impossible]) : new UnprocessableError(violations.impossible));
        continue;
      }
      const duplicateOf = body.id !== undefined ? seenIds.get(body.id) : undefined;
      const externalKey = body.externalId !== undefined ? `${model.id}\u0000${body.externalId}` : undefined;
      const externalDuplicateOf = externalKey ? seenExternal.get(externalKey) : undefined;
      if (duplicateOf !== undefined || externalDuplicateOf !== undefined) {
        const field = duplicateOf !== undefined ? 'id' : 'externalId';
        fail(index, new ValidationError([{ path: `${prefix}/${field}`, message: `repeats the ${field} of item ${duplicateOf ?? externalDuplicateOf} in this batch` }]));
        continue;
      }
      if (body.id !== undefined) seenIds.set(body.id, index);
      if (externalKey) seenExternal.set(externalKey, index);

      const observedAt = body.observedAt !== undefined ? new Date(body.observedAt) : new Date(now);
      const outcome =
        body.actual === undefined
          ? null
          : {
              ...learnFromOutcome(model.task, model.positiveLabel, value, body.actual, observedAt),
              actualLabel: typeof body.actual === 'string' ? body.actual : null,
              actualValue: typeof body.actual === 'number' ? body.actual : null,
              source: body.source ?? 'ground_truth',
              observedAt,
            };
      candidates.push({
        index,
        body,
        model,
        row: {
          id: body.id ?? uuidv7(now),
          modelId: model.id,
          versionId: null,
          externalId: body.externalId ?? null,
          unit: body.unit ?? null,
          features: body.features,
          ...value,
          outcome,
        },
      });
    }

    const valid = await this.resolveVersions(candidates, prefixOf, fail);
    const inserted = await this.repo.insertNew(valid.map((c) => c.row));
    notifyLabeled(this.onLabeled, valid.filter((c) => c.row.outcome !== null && inserted.has(c.row.id)).map((c) => c.row.modelId));
    const rest = valid.filter((c) => !inserted.has(c.row.id));
    for (const c of valid) {
      const done = inserted.get(c.row.id);
      if (done) results[c.index] = { index: c.index, status: 'created', id: c.row.id, model: c.model.name, row: c.row, ...done };
    }
    if (rest.length > 0) await this.classifyExisting(rest, results, prefixOf);
    return results;
  }

  private async resolveModels(bodies: unknown[]): Promise<Map<string, ModelSpec>> {
    const names = new Set<string>();
    for (const body of bodies) {
      const name = (body as { model?: unknown } | null)?.model;
      if (typeof name === 'string') names.add(name);
    }
    const specs = await Promise.all([...names].map((name) => this.catalog.find(name)));
    return new Map(specs.filter((s): s is ModelSpec => s !== null).map((s) => [s.name, s]));
  }

  private async resolveVersions(candidates: Candidate[], prefixOf: (i: number) => string, fail: (i: number, e: HttpError) => void): Promise<Candidate[]> {
    const valid: Candidate[] = [];
    for (const c of candidates) {
      if (c.body.version === undefined) {
        valid.push(c);
        continue;
      }
      const versionId = await this.catalog.versionId(c.model.id, c.body.version);
      if (!versionId) {
        fail(
          c.index,
          new UnprocessableError([
            { path: `${prefixOf(c.index)}/version`, message: `version "${c.body.version}" is not registered for model "${c.model.name}" (POST /v1/models/${c.model.name}/versions)` },
          ]),
        );
        continue;
      }
      c.row.versionId = versionId;
      valid.push(c);
    }
    return valid;
  }

  /** Items that were not inserted collide with a stored prediction: the same content is a retry, other content a conflict. */
  private async classifyExisting(rest: Candidate[], results: ItemResult[], prefixOf: (i: number) => string): Promise<void> {
    const stored = await this.repo.findExisting(
      rest.filter((c) => c.body.id !== undefined).map((c) => c.row.id),
      rest.filter((c) => c.row.externalId !== null).map((c) => ({ modelId: c.row.modelId, externalId: c.row.externalId! })),
    );
    const byId = new Map<string, PredictionRecord>(stored.map((p) => [p.id, p]));
    const byExternal = new Map<string, PredictionRecord>(stored.filter((p) => p.externalId !== null).map((p) => [`${p.modelId}\u0000${p.externalId}`, p]));
    for (const c of rest) {
      const prefix = prefixOf(c.index);
      const sameId = c.body.id !== undefined ? byId.get(c.row.id) : undefined;
      const sameExternal = c.row.externalId !== null ? byExternal.get(`${c.row.modelId}\u0000${c.row.externalId}`) : undefined;
      const existing = sameId ?? sameExternal;
      let error: HttpError;
      if (!existing) {
        error = new ServiceUnavailableError('the prediction collided with a concurrent write that did not complete; retry it', 1);
      } else if (isSamePrediction(c.body, existing) && (!sameId || !sameExternal || sameId === sameExternal)) {
        results[c.index] = { index: c.index, status: 'duplicate', id: existing.id };
        continue;
      } else if (sameId) {
        error = new ConflictError(`prediction "${existing.id}" already exists with a different body`, [{ path: `${prefix}/id`, message: 'is already used by a different prediction' }], {
          existingId: existing.id,
        });
      } else {
        error = new ConflictError(
          `externalId "${c.row.externalId}" of model "${c.model.name}" already belongs to prediction "${existing.id}" with a different body`,
          [{ path: `${prefix}/externalId`, message: 'is already used by a different prediction' }],
          { existingId: existing.id },
        );
      }
      results[c.index] = { index: c.index, status: 'failed', error };
    }
  }
}
