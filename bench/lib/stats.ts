/** Small statistics helpers for benchmark samples. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in [0, 100]) of an already sorted array. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** A growable Float64Array: latency samples without boxing a number per request. */
export class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }

  summary(): { count: number; mean: number; p50: number; p90: number; p99: number; max: number } {
    const s = this.sorted();
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += s[i]!;
    return {
      count: s.length,
      mean: s.length ? sum / s.length : Number.NaN,
      p50: percentileSorted(s, 50),
      p90: percentileSorted(s, 90),
      p99: percentileSorted(s, 99),
      max: s.length ? s[s.length - 1]! : Number.NaN,
    };
  }
}

export const round = (value: number, digits = 2) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
