import type { ServerHandle } from '../lib/children.js';
import type { BenchContext } from '../lib/context.js';
import type { SectionResult } from '../lib/report.js';

/**
 * One benchmark section: a workload measured against its baseline in interleaved rounds. Sections share the
 * run's database and servers through the context; register new ones in sections/index.ts.
 */
export interface BenchSection {
  /** Short id for BENCH_SECTIONS and latest.json. */
  id: string;
  title: string;
  /** Rough wall-clock seconds with these options (for the time budget printed at start). */
  estimateSeconds(ctx: BenchContext): number;
  run(ctx: BenchContext): Promise<SectionResult>;
  /** BENCH_PROFILE: how to drive this section's servers once more, each started separately under `node --cpu-prof`. */
  profile?: {
    /** The servers to profile (the baseline only where it is a server). */
    sides: readonly Side[];
    /** Drive `side`'s workload once (about one half-round) against `server`; returns the work done. */
    load(ctx: BenchContext, server: ServerHandle, side: Side): Promise<{ units: number; unit: string }>;
  };
}

export type Side = 'hindsight' | 'baseline';
