import type { NewOutcome, OutcomeTarget, OutcomeTargetRef, OutcomesRepository } from '../db/repositories/outcomes.js';
import { canAccessModel, type Principal } from '../domain/access.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { learnFromOutcome } from '../domain/outcome-rules.js';
import { checkActualLabel, checkInstant, type RuleViolations } from '../domain/prediction-rules.js';
import { ConflictError, ForbiddenError, HttpError, NotFoundError, UnprocessableError, ValidationError, type FieldError } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import { type LabeledListener, notifyLabeled } from './labeled-listener.js';
import { learnedView, type LearnedView } from './prediction-views.js';

export interface OutcomeBody {
  predictionId?: string;
  model?: string;
  externalId?: string;
  actual: string | number;
  observedAt?: string;
  source?: 'ground_truth' | 'human';
}

export interface RecordedOutcome extends LearnedView {
  predictionId: string;
  model: string;
  version: string | null;
  prediction: string | number;
  actual: string | number;
  source: 'ground_truth' | 'human';
  observedAt: string;
  recordedAt: string;
}

export type OutcomeResult =
  | { index: number; status: 'created' | 'duplicate'; outcome: RecordedOutcome }
  | { index: number; status: 'failed'; error: HttpError };

interface Pending {
  index: number;
  body: OutcomeBody;
  target: OutcomeTarget;
  row: NewOutcome;
}

/** Records actuals by predictionId or by model + externalId, any time after the prediction. */
export class OutcomeIngestService {
  constructor(
    private readonly repo: OutcomesRepository,
    private readonly catalog: ModelCatalog,
    private readonly onLabeled?: LabeledListener,
  ) {}

  async record(
    bodies: unknown[],
    principal: Principal,
    prefixOf: (index: number) => string,
    checkShape?: (body: unknown, prefix: string) => FieldError[],
  ): Promise<OutcomeResult[]> {
    const now = Date.now();
    const results: OutcomeResult[] = new Array(bodies.length);
    const fail = (index: number, error: HttpError) => (results[index] = { index, status: 'failed', error });

    const refs: OutcomeTargetRef[] = [];
    for (let index = 0; index < bodies.length; index++) {
      const prefix = prefixOf(index);
      const errors = checkShape?.(bodies[index], prefix) ?? [];
      const body = bodies[index] as OutcomeBody;
      if (errors.length === 0 && body.predictionId === undefined && (body.model === undefined || body.externalId === undefined)) {
        errors.push({ path: `${prefix}/predictionId`, message: 'is required, unless both model and externalId are given' });
      }
      if (errors.length > 0) {
        fail(index, new ValidationError(errors));
        continue;
      }
      if (body.predictionId !== undefined) {
        refs.push({ index, predictionId: body.predictionId });
        continue;
      }
      if (!canAccessModel(principal, body.model!)) {
        fail(index, new ForbiddenError(`this API key cannot write outcomes of model "${body.model}"`));
        continue;
      }
      const model = await this.catalog.find(body.model!);
      if (!model) fail(index, new NotFoundError('model', body.model!, `${prefix}/model`));
      else refs.push({ index, modelId: model.id, externalId: body.externalId! });
    }

    const targets = new Map((await this.repo.findTargets(refs)).map((t) => [t.index, t]));
    const versions = await this.catalog.versionNames([...targets.values()].map((t) => t.versionId));
    const versionOf = (t: OutcomeTarget) => (t.versionId ? (versions.get(t.versionId) ?? null) : null);
    const pending: Pending[] = [];
    const seen = new Map<string, number>();
    for (const ref of refs) {
      const prefix = prefixOf(ref.index);
      const body = bodies[ref.index] as OutcomeBody;
      const target = targets.get(ref.index);
      if (!target) {
        fail(
          ref.index,
          ref.predictionId !== undefined
            ? new NotFoundError('prediction', ref.predictionId, `${prefix}/predictionId`)
            : new NotFoundError('prediction with externalId', `${body.externalId}" of model "${body.model}`, `${prefix}/externalId`),
        );
        continue;
      }
      const model = await this.catalog.get(target.modelName, `${prefix}/model`);
      if (!canAccessModel(principal, model.name)) {
        fail(ref.index, new ForbiddenError(`this API key cannot write outcomes of model "${model.name}"`));
        continue;
      }
      const violations = checkOutcome(body, model, target, now, prefix);
      if (violations.invalid.length > 0 || violations.impossible.length > 0) {
        fail(ref.index, violations.invalid.length > 0 ? new ValidationError([...violations.invalid, ...violations.impossible]) : new UnprocessableError(violations.impossible));
        continue;
      }
      const earlier = seen.get(target.predictionId);
      if (earlier !== undefined) {
        fail(ref.index, new ValidationError([{ path: `${prefix}/predictionId`, message: `names the same prediction as item ${earlier} in this batch` }]));
        continue;
      }
      seen.set(target.predictionId, ref.index);
      if (target.existing) {
        results[ref.index] = againstExisting(ref.index, body, target, versionOf(target), prefix);
        continue;
      }
      pending.push({ index: ref.index, body, target, row: newOutcome(body, model, target, now) });
    }

    const inserted = await this.repo.insertNew(pending.map((p) => p.row));
    notifyLabeled(this.onLabeled, pending.filter((p) => inserted.has(p.target.predictionId)).map((p) => p.target.modelId));
    const lost = pending.filter((p) => !inserted.has(p.target.predictionId));
    for (const p of pending) {
      const recordedAt = inserted.get(p.target.predictionId);
      if (recordedAt) results[p.index] = { index: p.index, status: 'created', outcome: view(p.target, { ...p.row, recordedAt }, versionOf(p.target)) };
    }
    if (lost.length > 0) {
      // Another request labeled these predictions between our read and our write.
      const again = new Map((await this.repo.findTargets(lost.map((p) => ({ index: p.index, predictionId: p.target.predictionId })))).map((t) => [t.index, t]));
      for (const p of lost) {
        const target = again.get(p.index) ?? p.target;
        results[p.index] = againstExisting(p.index, p.body, target, versionOf(target), prefixOf(p.index));
      }
    }
    return results;
  }
}

/** The same actual again is a retry (200); a different one for a labeled prediction is a conflict. */
function againstExisting(index: number, body: OutcomeBody, target: OutcomeTarget, version: string | null, prefix: string): OutcomeResult {
  const existing = target.existing;
  if (!existing) {
    return { index, status: 'failed', error: new ConflictError(`prediction "${target.predictionId}" was being labeled concurrently; retry`) };
  }
  const stored = existing.actualLabel ?? existing.actualValue;
  if (stored === body.actual) return { index, status: 'duplicate', outcome: view(target, existing, version) };
  return {
    index,
    status: 'failed',
    error: new ConflictError(`prediction "${target.predictionId}" already has the outcome ${JSON.stringify(stored)}`, [
      { path: `${prefix}/actual`, message: `differs from the recorded actual ${JSON.stringify(stored)}` },
    ]),
  };
}

function checkOutcome(body: OutcomeBody, model: ModelSpec, target: OutcomeTarget, now: number, prefix: string): RuleViolations {
  const violations: RuleViolations = { invalid: [], impossible: [] };
  if (model.task === 'regression') {
    if (typeof body.actual !== 'number') violations.invalid.push({ path: `${prefix}/actual`, message: 'must be a number for a regression model' });
  } else {
    checkActualLabel(body.actual, model, `${prefix}/actual`, violations);
  }
  const observedAt = checkInstant(body.observedAt, `${prefix}/observedAt`, now, violations.invalid);
  if (observedAt && observedAt < target.predictedAt) {
    violations.impossible.push({ path: `${prefix}/observedAt`, message: `must not be before the prediction (${target.predictedAt.toISOString()})` });
  }
  return violations;
}

function newOutcome(body: OutcomeBody, model: ModelSpec, target: OutcomeTarget, now: number): NewOutcome {
  const observedAt = body.observedAt !== undefined ? new Date(body.observedAt) : new Date(Math.max(now, target.predictedAt.getTime()));
  return {
    predictionId: target.predictionId,
    predictedAt: target.predictedAt,
    modelId: target.modelId,
    versionId: target.versionId,
    predictedLabel: target.predictedLabel,
    predictedValue: target.predictedValue,
    pPositive: target.pPositive,
    ...learnFromOutcome(model.task, model.positiveLabel, target, body.actual, observedAt),
    actualLabel: typeof body.actual === 'string' ? body.actual : null,
    actualValue: typeof body.actual === 'number' ? body.actual : null,
    source: body.source ?? 'ground_truth',
    observedAt,
  };
}

function view(target: OutcomeTarget, o: Omit<NewOutcome, 'predictionId' | 'predictedAt' | 'modelId' | 'versionId' | 'predictedLabel' | 'predictedValue' | 'pPositive'> & { recordedAt: Date }, version: string | null): RecordedOutcome {
  return {
    predictionId: target.predictionId,
    model: target.modelName,
    version,
    prediction: (target.predictedLabel ?? target.predictedValue)!,
    actual: (o.actualLabel ?? o.actualValue)!,
    ...learnedView(o),
    source: o.source,
    observedAt: o.observedAt.toISOString(),
    recordedAt: o.recordedAt.toISOString(),
  };
}
