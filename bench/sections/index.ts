import { batchIngestion } from './batch-ingestion.js';
import { singleIngestion } from './single-ingestion.js';
import type { BenchSection } from './types.js';

/**
 * The registry of bench sections, run in this order. Planned (DESIGN §9): performance metrics over a window of
 * 1,000,000 labeled predictions vs the same aggregate as plain SQL; a drift report (10 features, 100,000
 * reference vs 100,000 current rows) under 2 s. Each is one more BenchSection here.
 */
export const SECTIONS: readonly BenchSection[] = [singleIngestion, batchIngestion];

export type { BenchSection, Side } from './types.js';
