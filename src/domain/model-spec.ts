export type Task = 'binary' | 'multiclass' | 'regression';

/** What ingestion needs to know about a model to validate and interpret its predictions. */
export interface ModelSpec {
  id: string;
  name: string;
  task: Task;
  labels: string[];
  positiveLabel: string | null;
}

export const isClassification = (task: Task) => task !== 'regression';

/** Validates a model's label configuration; returns field errors (empty when fine). */
export function checkLabelConfig(
  task: Task,
  labels: string[] | undefined,
  positiveLabel: string | null | undefined,
  prefix = '/body',
): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = [];
  const list = labels ?? [];
  if (new Set(list).size !== list.length) errors.push({ path: `${prefix}/labels`, message: 'must not contain duplicates' });
  if (task === 'regression') {
    if (list.length > 0) errors.push({ path: `${prefix}/labels`, message: 'must be absent for a regression model' });
    if (positiveLabel != null) errors.push({ path: `${prefix}/positiveLabel`, message: 'must be absent for a regression model' });
    return errors;
  }
  if (task === 'binary' && list.length !== 2) {
    errors.push({ path: `${prefix}/labels`, message: 'a binary model needs exactly 2 labels' });
  }
  if (task === 'multiclass' && list.length === 1) {
    errors.push({ path: `${prefix}/labels`, message: 'a multiclass model needs at least 2 labels (or none, to accept any label)' });
  }
  if (positiveLabel != null && task !== 'binary') {
    errors.push({ path: `${prefix}/positiveLabel`, message: 'only binary models have a positive label' });
  }
  if (positiveLabel != null && list.length > 0 && !list.includes(positiveLabel)) {
    errors.push({ path: `${prefix}/positiveLabel`, message: `must be one of the labels (${list.join(', ')})` });
  }
  return errors;
}

/** Binary models without an explicit positive label treat the second label as positive (as sklearn's 1 in [0, 1]). */
export function defaultPositiveLabel(task: Task, labels: string[], positiveLabel: string | null | undefined): string | null {
  if (task !== 'binary') return null;
  return positiveLabel ?? labels[1] ?? null;
}
