import type { PredictionBody } from './prediction-rules.js';

/** What is stored of a prediction, as far as telling a retry from a different prediction needs. */
export interface StoredPrediction {
  id: string;
  modelName: string;
  versionName: string | null;
  externalId: string | null;
  unit: string | null;
  features: Record<string, unknown>;
  predictedLabel: string | null;
  predictedValue: number | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  predictedAt: Date;
  outcome: { actualLabel: string | null; actualValue: number | null; observedAt: Date; source: string } | null;
}

/**
 * Whether a body sent again under a stored id or (model, externalId) describes the stored prediction: a
 * retry (200) rather than a different prediction (409). Compared by content, so key order and number
 * spelling do not matter; fields left to their server defaults (version, predictedAt, and the outcome's
 * observedAt and source) match whatever was stored. A body without `actual` matches a prediction labeled
 * since.
 */
export function isSamePrediction(body: PredictionBody, stored: StoredPrediction): boolean {
  if (body.model !== stored.modelName) return false;
  if (body.id !== undefined && body.id !== stored.id) return false;
  if ((body.externalId ?? null) !== stored.externalId || (body.unit ?? null) !== stored.unit) return false;
  if (body.version !== undefined && body.version !== stored.versionName) return false;
  if (body.predictedAt !== undefined && Date.parse(body.predictedAt) !== stored.predictedAt.getTime()) return false;
  if (body.prediction !== (typeof body.prediction === 'string' ? stored.predictedLabel : stored.predictedValue)) return false;
  if ((body.confidence ?? null) !== stored.confidence) return false;
  if (!sameFlatObject(body.probabilities ?? null, stored.probabilities) || !sameFlatObject(body.features, stored.features)) return false;
  if (body.actual === undefined) return true;
  const outcome = stored.outcome;
  if (!outcome || body.actual !== (typeof body.actual === 'string' ? outcome.actualLabel : outcome.actualValue)) return false;
  if (body.observedAt !== undefined && Date.parse(body.observedAt) !== outcome.observedAt.getTime()) return false;
  return body.source === undefined || body.source === outcome.source;
}

function sameFlatObject(a: Record<string, unknown> | null, b: Record<string, unknown> | null): boolean {
  if (a === null || b === null) return a === b;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}
