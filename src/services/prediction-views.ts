import type { OutcomeRecord, PredictionRecord } from '../db/repositories/predictions.js';
import type { OutcomeValues } from '../db/repositories/predictions.js';

export interface LearnedView {
  correct?: boolean;
  error?: number;
  absoluteError?: number;
  absolutePercentageError?: number | null;
  labelDelaySeconds: number;
}

export interface OutcomeView extends LearnedView {
  actual: string | number;
  source: 'ground_truth' | 'human';
  observedAt: string;
  recordedAt: string;
}

export interface PredictionView {
  id: string;
  model: string;
  version: string | null;
  externalId: string | null;
  unit: string | null;
  features: Record<string, unknown>;
  prediction: string | number;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  predictedAt: string;
  createdAt: string;
  outcome: OutcomeView | null;
}

/** What the model learned from an outcome: `correct` for classification, the errors for regression. */
export function learnedView(o: Pick<OutcomeValues, 'correct' | 'error' | 'absoluteError' | 'absolutePercentageError' | 'labelDelaySeconds'>): LearnedView {
  if (o.correct !== null) return { correct: o.correct, labelDelaySeconds: o.labelDelaySeconds };
  return {
    error: o.error!,
    absoluteError: o.absoluteError!,
    absolutePercentageError: o.absolutePercentageError,
    labelDelaySeconds: o.labelDelaySeconds,
  };
}

export const outcomeView = (o: OutcomeRecord): OutcomeView => ({
  actual: (o.actualLabel ?? o.actualValue)!,
  ...learnedView(o),
  source: o.source,
  observedAt: o.observedAt.toISOString(),
  recordedAt: o.recordedAt.toISOString(),
});

export const predictionView = (p: Omit<PredictionRecord, 'modelId' | 'versionId'>): PredictionView => ({
  id: p.id,
  model: p.modelName,
  version: p.versionName,
  externalId: p.externalId,
  unit: p.unit,
  features: p.features,
  prediction: (p.predictedLabel ?? p.predictedValue)!,
  confidence: p.confidence,
  probabilities: p.probabilities,
  predictedAt: p.predictedAt.toISOString(),
  createdAt: p.createdAt.toISOString(),
  outcome: p.outcome ? outcomeView(p.outcome) : null,
});
