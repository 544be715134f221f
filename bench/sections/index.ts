import { batchIngestion } from './batch-ingestion.js';
import { driftSection } from './drift.js';
import { metricsSection } from './metrics.js';
import { singleIngestion } from './single-ingestion.js';
import type { BenchSection } from './types.js';

/**
 * The registry of bench sections, run in this order (DESIGN §9): single and batch ingestion against their raw
 * baselines; performance metrics over 1,000,000 labeled predictions against the same SQL run directly; a drift
 * report over 10 features, 100,000 reference vs 100,000 current rows, under 2 s.
 */
export const SECTIONS: readonly BenchSection[] = [singleIngestion, batchIngestion, metricsSection, driftSection];

export type { BenchSection, Side } from './types.js';
