import type { Task } from './model-spec.js';

/** What a prediction contributes to learning from its outcome. */
export interface PredictionFacts {
  predictedLabel: string | null;
  predictedValue: number | null;
  pPositive: number | null;
  confidence: number | null;
  probabilities: Record<string, number> | null;
  predictedAt: Date;
}

export interface OutcomeFacts {
  correct: boolean | null;
  /** predicted − actual (regression). */
  error: number | null;
  absoluteError: number | null;
  /** |predicted − actual| / |actual| × 100; null when actual is 0. */
  absolutePercentageError: number | null;
  /** The probability the model gave to the actual label (classification), when it can be known. */
  pActual: number | null;
  labelDelaySeconds: number;
}

export function learnFromOutcome(
  task: Task,
  positiveLabel: string | null,
  prediction: PredictionFacts,
  actual: string | number,
  observedAt: Date,
): OutcomeFacts {
  const labelDelaySeconds = Math.max(0, (observedAt.getTime() - prediction.predictedAt.getTime()) / 1000);
  if (task === 'regression') {
    const error = (prediction.predictedValue as number) - (actual as number);
    const absoluteError = Math.abs(error);
    return {
      correct: null,
      error,
      absoluteError,
      absolutePercentageError: actual === 0 ? null : (absoluteError / Math.abs(actual as number)) * 100,
      pActual: null,
      labelDelaySeconds,
    };
  }
  return {
    correct: prediction.predictedLabel === actual,
    error: null,
    absoluteError: null,
    absolutePercentageError: null,
    pActual: probabilityOf(task, positiveLabel, prediction, actual as string),
    labelDelaySeconds,
  };
}

function probabilityOf(task: Task, positive: string | null, p: PredictionFacts, actual: string): number | null {
  if (task === 'binary' && p.pPositive !== null) return actual === positive ? p.pPositive : 1 - p.pPositive;
  if (p.probabilities) return p.probabilities[actual] ?? 0;
  if (p.confidence !== null && p.predictedLabel === actual) return p.confidence;
  return null;
}
