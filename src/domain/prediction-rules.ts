import type { FieldError } from '../errors.js';
import { isClassification, type ModelSpec } from './model-spec.js';

/** A prediction as a client sends it (already shape-checked by its JSON schema). */
export interface PredictionBody {
  model: string;
  version?: string;
  id?: string;
  externalId?: string;
  unit?: string;
  features: Record<string, unknown>;
  prediction: string | number;
  confidence?: number;
  probabilities?: Record<string, number>;
  predictedAt?: string;
  actual?: string | number;
  observedAt?: string;
  source?: 'ground_truth' | 'human';
}

export interface NormalizedPrediction {
  predictedAt: Date;
  predictedLabel: string | null;
  predictedValue: number | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  /** P(positive label), binary models only; null when the client sent no probability at all. */
  pPositive: number | null;
}

export interface RuleViolations {
  /** Wrong types or values regardless of the model: 400. */
  invalid: FieldError[];
  /** Well-formed but impossible for this model (unknown label): 422. */
  impossible: FieldError[];
}

export const PROBABILITY_SUM_TOLERANCE = 1e-6;
const MAX_FUTURE_MS = 60 * 60 * 1000;
const EARLIEST = Date.UTC(2000, 0, 1);

/** Parses an RFC 3339 timestamp that the schema accepted and checks it is a plausible event time. */
export function checkInstant(text: string | undefined, path: string, now: number, errors: FieldError[]): Date | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    errors.push({ path, message: 'must be a valid RFC 3339 date-time' });
  } else if (ms > now + MAX_FUTURE_MS) {
    errors.push({ path, message: 'must not be more than 1 hour in the future' });
  } else if (ms < EARLIEST) {
    errors.push({ path, message: 'must not be before 2000-01-01' });
  } else {
    return new Date(ms);
  }
  return undefined;
}

/**
 * Checks a prediction against its model and derives what the metrics need (P(positive) for binary models,
 * DESIGN §3: with only a confidence for the predicted label, P(positive) = confidence when the positive
 * label was predicted, else 1 − confidence).
 */
export function checkPrediction(
  body: PredictionBody,
  model: ModelSpec,
  now: number,
  prefix: string,
): { value?: NormalizedPrediction; violations: RuleViolations } {
  const invalid: FieldError[] = [];
  const impossible: FieldError[] = [];
  const violations = { invalid, impossible };
  const labelSet = model.labels.length > 0 ? new Set(model.labels) : null;

  checkFeatures(body.features, `${prefix}/features`, invalid);
  const predictedAt = body.predictedAt === undefined ? new Date(now) : checkInstant(body.predictedAt, `${prefix}/predictedAt`, now, invalid);
  const observedAt = checkInstant(body.observedAt, `${prefix}/observedAt`, now, invalid);
  if (body.observedAt !== undefined && body.actual === undefined) {
    invalid.push({ path: `${prefix}/observedAt`, message: 'is only allowed together with actual' });
  }
  if (observedAt && predictedAt && observedAt < predictedAt) {
    impossible.push({ path: `${prefix}/observedAt`, message: 'must not be before predictedAt' });
  }

  let predictedLabel: string | null = null;
  let predictedValue: number | null = null;
  if (isClassification(model.task)) {
    if (typeof body.prediction !== 'string') {
      invalid.push({ path: `${prefix}/prediction`, message: `must be a label (string) for a ${model.task} model` });
    } else {
      predictedLabel = body.prediction;
      if (labelSet && !labelSet.has(predictedLabel)) {
        impossible.push({ path: `${prefix}/prediction`, message: `"${predictedLabel}" is not one of the model's labels (${model.labels.join(', ')})` });
      }
    }
    if (body.actual !== undefined) checkActualLabel(body.actual, model, `${prefix}/actual`, violations);
  } else {
    if (typeof body.prediction !== 'number') {
      invalid.push({ path: `${prefix}/prediction`, message: 'must be a number for a regression model' });
    } else {
      predictedValue = body.prediction;
    }
    if (body.actual !== undefined && typeof body.actual !== 'number') {
      invalid.push({ path: `${prefix}/actual`, message: 'must be a number for a regression model' });
    }
    if (body.confidence !== undefined) invalid.push({ path: `${prefix}/confidence`, message: 'is only for classification models' });
    if (body.probabilities !== undefined) invalid.push({ path: `${prefix}/probabilities`, message: 'are only for classification models' });
  }

  if (body.probabilities !== undefined && isClassification(model.task)) {
    let sum = 0;
    for (const [label, p] of Object.entries(body.probabilities)) {
      sum += p;
      if (labelSet && !labelSet.has(label)) {
        impossible.push({ path: `${prefix}/probabilities/${escapePointer(label)}`, message: `"${label}" is not one of the model's labels` });
      }
    }
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
      invalid.push({ path: `${prefix}/probabilities`, message: `must sum to 1 (±${PROBABILITY_SUM_TOLERANCE}), sums to ${sum}` });
    }
  }

  if (invalid.length > 0 || impossible.length > 0 || !predictedAt) return { violations };
  return {
    violations,
    value: {
      predictedAt,
      predictedLabel,
      predictedValue,
      confidence: body.confidence ?? null,
      probabilities: body.probabilities ?? null,
      pPositive: model.task === 'binary' ? positiveProbability(body, model.positiveLabel) : null,
    },
  };
}

function positiveProbability(body: PredictionBody, positive: string | null): number | null {
  if (positive === null) return null;
  const fromProbabilities = body.probabilities?.[positive];
  if (fromProbabilities !== undefined) return fromProbabilities;
  if (body.probabilities) return Math.min(1, Math.max(0, 1 - sumOf(body.probabilities)));
  if (body.confidence === undefined) return null;
  return body.prediction === positive ? body.confidence : 1 - body.confidence;
}

const sumOf = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

export function checkActualLabel(actual: unknown, model: ModelSpec, path: string, violations: RuleViolations): void {
  if (typeof actual !== 'string') {
    violations.invalid.push({ path, message: `must be a label (string) for a ${model.task} model` });
  } else if (model.labels.length > 0 && !model.labels.includes(actual)) {
    violations.impossible.push({ path, message: `"${actual}" is not one of the model's labels (${model.labels.join(', ')})` });
  }
}

const FEATURE_TYPES = new Set(['number', 'string', 'boolean']);

function checkFeatures(features: Record<string, unknown>, path: string, errors: FieldError[]): void {
  for (const key in features) {
    const value = features[key];
    if (value === null) continue;
    if (!FEATURE_TYPES.has(typeof value)) {
      errors.push({ path: `${path}/${escapePointer(key)}`, message: 'must be a number, string, boolean or null (features are a flat object)' });
    } else if (typeof value === 'number' && !Number.isFinite(value)) {
      errors.push({ path: `${path}/${escapePointer(key)}`, message: 'must be a finite number' });
    }
  }
}

/** RFC 6901 escaping of one reference token. */
export const escapePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');
