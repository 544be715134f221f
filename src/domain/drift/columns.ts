/**
 * A window's values of one feature (or model output), kept by JSON type so that the feature's type can be
 * decided from the reference: numeric when every present reference value is a number, boolean when every
 * one is a boolean, categorical otherwise (numbers and booleans then compare as their text). A missing key
 * and null are both "missing".
 */
export type DriftFeatureType = 'numeric' | 'categorical' | 'boolean';

/** A growable array of doubles: no boxing, and sorted in place once for every test that needs it. */
export class NumberBuffer {
  private data = new Float64Array(256);
  length = 0;
  private sorted = true;

  push(x: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    if (this.sorted && this.length > 0 && x < this.data[this.length - 1]!) this.sorted = false;
    this.data[this.length++] = x;
  }

  /** The values, sorted ascending (in place: the order they arrived in is not needed afterwards). */
  sortedView(): Float64Array {
    const view = this.data.subarray(0, this.length);
    if (!this.sorted) {
      view.sort();
      this.sorted = true;
    }
    return view;
  }

  sum(): number {
    let s = 0;
    for (let i = 0; i < this.length; i++) s += this.data[i]!;
    return s;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    for (let i = 0; i < this.length; i++) yield this.data[i]!;
  }
}

export class ValueColumn {
  /** Rows of the window sample (present or not). */
  rows = 0;
  readonly numbers = new NumberBuffer();
  readonly strings: string[] = [];
  trues = 0;
  falses = 0;
  /** Objects or arrays (never sent by a valid client; compared as their JSON text). */
  readonly others: string[] = [];

  get present(): number {
    return this.numbers.length + this.strings.length + this.trues + this.falses + this.others.length;
  }

  add(value: unknown): void {
    switch (typeof value) {
      case 'number':
        if (Number.isFinite(value)) this.numbers.push(value);
        break;
      case 'string':
        this.strings.push(value);
        break;
      case 'boolean':
        if (value) this.trues++;
        else this.falses++;
        break;
      case 'object':
        if (value !== null) this.others.push(JSON.stringify(value));
        break;
      default:
        break;
    }
  }

  /** The type this column's values suggest (only meaningful when present > 0). */
  inferType(): DriftFeatureType {
    const present = this.present;
    if (present > 0 && this.numbers.length === present) return 'numeric';
    if (present > 0 && this.trues + this.falses === present) return 'boolean';
    return 'categorical';
  }

  /** Numeric view: the numbers, sorted (other values do not fit the type and are counted by mismatches()). */
  sortedNumbers(): Float64Array {
    return this.numbers.sortedView();
  }

  /** Values that do not fit `type` (only numeric features can have them: everything else compares as text). */
  mismatches(type: DriftFeatureType): number {
    return type === 'numeric' ? this.present - this.numbers.length : 0;
  }

  /** Categorical view: every present value as text ("true"/"false" for booleans, numbers as JavaScript prints them). */
  texts(): string[] {
    const out: string[] = new Array(this.present);
    let i = 0;
    for (const s of this.strings) out[i++] = s;
    for (const n of this.numbers) out[i++] = String(n);
    for (let k = 0; k < this.trues; k++) out[i++] = 'true';
    for (let k = 0; k < this.falses; k++) out[i++] = 'false';
    for (const o of this.others) out[i++] = o;
    return out;
  }
}

/** Every feature of a window sample as value columns, by name. */
export class FeatureColumns {
  rows = 0;
  readonly columns = new Map<string, ValueColumn>();

  addRow(features: Record<string, unknown> | null | undefined): void {
    this.rows++;
    if (!features) return;
    for (const key in features) {
      const value = features[key];
      if (value === null || value === undefined) continue;
      let column = this.columns.get(key);
      if (!column) {
        column = new ValueColumn();
        this.columns.set(key, column);
      }
      column.add(value);
    }
  }

  /** The column of a feature, with the window's row count (an empty column when the feature never occurs). */
  column(name: string): ValueColumn {
    const column = this.columns.get(name) ?? new ValueColumn();
    column.rows = this.rows;
    return column;
  }
}

/** A column from plain values (model outputs). */
export function columnOf(values: Iterable<unknown>): ValueColumn {
  const column = new ValueColumn();
  for (const value of values) {
    column.rows++;
    if (value !== null && value !== undefined) column.add(value);
  }
  return column;
}
