import type { Task } from './model-spec.js';

/** What an experiment compares, and the per-prediction quantity its test runs on. */
export const EXPERIMENT_METRICS = ['accuracy', 'mae', 'rmse', 'mape'] as const;
export type ExperimentMetric = (typeof EXPERIMENT_METRICS)[number];

export const METRICS_FOR_TASK: Record<Task, readonly ExperimentMetric[]> = {
  binary: ['accuracy'],
  multiclass: ['accuracy'],
  regression: ['mae', 'rmse', 'mape'],
};

export const defaultMetric = (task: Task): ExperimentMetric => (task === 'regression' ? 'mae' : 'accuracy');

export const lowerIsBetter = (metric: ExperimentMetric) => metric !== 'accuracy';

/** The per-prediction quantity whose mean the test compares between arms. */
export const QUANTITY: Record<ExperimentMetric, string> = {
  accuracy: 'correct (1) or not (0): the difference of accuracies',
  mae: 'absolute error |predicted − actual|: the difference of MAEs',
  rmse: 'squared error (predicted − actual)²: the difference of mean squared errors (RMSE is its square root, so the sign and the test carry over)',
  mape: 'absolute percentage error |predicted − actual| / |actual| × 100, over actuals ≠ 0: the difference of MAPEs',
};
