import type { Task } from '../model-spec.js';
import { FeatureColumns, ValueColumn } from './columns.js';

/** A row of a window sample: features (JSON text), predicted label, predicted value, P(positive), class probabilities (JSON text). */
export type RawSampleRow = readonly [string | null, string | null, number | null, number | null, string | null];

/** Class probabilities compared at most (multiclass), the model's labels first; distinct probability keys collected at most. */
export const MAX_PROBABILITY_OUTPUTS = 10;
const MAX_PROBABILITY_KEYS = 50;

export interface WindowColumns {
  rows: number;
  features: FeatureColumns;
  /** The model's outputs by name: `value` (regression), `label`, `pPositive` (binary), `probability:<label>` (multiclass). */
  outputs: Map<string, ValueColumn>;
}

/**
 * Builds per-feature and per-output columns from a window sample row by row, as the rows arrive from the
 * database, parsing each row's features once.
 */
export class WindowColumnsBuilder {
  private readonly features = new FeatureColumns();
  private readonly outputs = new Map<string, ValueColumn>();
  private rows = 0;

  constructor(private readonly task: Task) {
    const names = task === 'regression' ? ['value'] : task === 'binary' ? ['label', 'pPositive'] : ['label'];
    for (const name of names) this.outputs.set(name, new ValueColumn());
  }

  add(row: RawSampleRow): void {
    this.rows++;
    this.features.addRow(row[0] === null ? null : (JSON.parse(row[0]) as Record<string, unknown>));
    if (this.task === 'regression') this.outputs.get('value')!.add(row[2]);
    else {
      this.outputs.get('label')!.add(row[1]);
      if (this.task === 'binary') this.outputs.get('pPositive')!.add(row[3]);
      else if (row[4] !== null) {
        const p = JSON.parse(row[4]) as Record<string, unknown>;
        for (const label in p) {
          const name = `probability:${label}`;
          let c = this.outputs.get(name);
          if (!c) {
            if (this.outputs.size > MAX_PROBABILITY_KEYS) continue;
            c = new ValueColumn();
            this.outputs.set(name, c);
          }
          c.add(p[label]);
        }
      }
    }
  }

  finish(): WindowColumns {
    for (const c of this.outputs.values()) c.rows = this.rows;
    return { rows: this.rows, features: this.features, outputs: this.outputs };
  }
}

/** Builds the columns of a whole sample at once. */
export function windowColumns(rows: Iterable<RawSampleRow>, task: Task): WindowColumns {
  const builder = new WindowColumnsBuilder(task);
  for (const row of rows) builder.add(row);
  return builder.finish();
}

/**
 * The model outputs to compare: every output but the class probabilities, and of those (multiclass) the
 * model's labels, or else the labels the reference predicted most, MAX_PROBABILITY_OUTPUTS at most.
 */
export function outputsToCompare(task: Task, labels: readonly string[], reference: WindowColumns): string[] {
  if (task !== 'multiclass') return [...reference.outputs.keys()];
  let chosen = labels.slice(0, MAX_PROBABILITY_OUTPUTS);
  if (chosen.length === 0) {
    const counts = new Map<string, number>();
    for (const l of reference.outputs.get('label')?.strings ?? []) counts.set(l, (counts.get(l) ?? 0) + 1);
    chosen = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_PROBABILITY_OUTPUTS).map(([l]) => l);
  }
  return ['label', ...chosen.map((l) => `probability:${l}`)];
}
