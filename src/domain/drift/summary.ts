import type { ColumnDrift } from './column-drift.js';
import type { ConceptDrift } from './concept.js';
import { type OverallSeverity, type Severity, overallSeverity, severityRank } from './severity.js';

export type DriftKind = 'data' | 'prediction' | 'concept';

export interface DriftSummary {
  severity: Severity;
  driftedFeatures: string[];
  driftedCount: number;
  featureCount: number;
  share: number;
  kinds: DriftKind[];
  levels: OverallSeverity['levels'];
  recommendation: string;
}

export interface StreamSignal {
  detector: string;
  /** 'drift' when the detector flagged a drift inside the current window. */
  signal: 'stable' | 'warning' | 'drift';
  detectedAt?: string;
  samples?: number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(1)}%`;

const ACTIONS: Record<Severity, string> = {
  none: 'No drift: the current window looks like the reference. Nothing to do.',
  low: 'Keep monitoring; no action is needed yet.',
  medium: 'Investigate the upstream data of what drifted; retrain if it persists or if live performance drops.',
  high: 'Retrain on recent data (the current window) and check the data pipeline for what drifted.',
  critical: 'Retrain now and consider rolling back to the previous version: the model is measurably worse on live outcomes while its inputs moved.',
};

/** The verdict of a report: overall severity by the rule in severity.ts, and a recommendation in words. */
export function summarise(
  features: ColumnDrift[],
  outputs: ColumnDrift[],
  concept: ConceptDrift | null,
  stream: StreamSignal | null,
  notes: { concept?: string; data?: string } = {},
): DriftSummary {
  const drifted = features.filter((f) => f.drifted);
  const share = features.length === 0 ? 0 : drifted.length / features.length;
  const prediction = outputs.reduce<Severity>((s, o) => (severityRank(o.severity) > severityRank(s) ? o.severity : s), 'none');
  const overall = overallSeverity({
    features: drifted.map((f) => f.severity),
    share,
    prediction,
    concept: concept?.severity ?? null,
  });
  const kinds: DriftKind[] = [];
  const parts: string[] = notes.data ? [`Not enough data to compare the windows: ${notes.data}.`] : [];
  if (drifted.length > 0) {
    kinds.push('data');
    const named = [...drifted]
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.name < b.name ? -1 : 1))
      .slice(0, 5)
      .map((f) => `${f.name} (${f.severity})`);
    parts.push(`${drifted.length} of ${features.length} features drifted: ${named.join(', ')}${drifted.length > 5 ? ', …' : ''}.`);
  }
  const movedOutputs = outputs.filter((o) => o.drifted);
  if (movedOutputs.length > 0) {
    kinds.push('prediction');
    parts.push(`The model's outputs shifted (${movedOutputs.map((o) => `${o.name}: ${o.severity}`).join(', ')}).`);
  }
  if (concept?.drifted) {
    kinds.push('concept');
    const what = concept.metric === 'accuracy' ? 'accuracy' : 'mean absolute error';
    const move = concept.metric === 'accuracy' ? `${pct(concept.reference.mean)} → ${pct(concept.current.mean)}` : `${concept.reference.mean.toPrecision(4)} → ${concept.current.mean.toPrecision(4)}`;
    parts.push(`Live ${what} ${concept.direction === 'degraded' ? 'got worse' : 'improved'}: ${move}${concept.changePercent === null ? '' : ` (${signed(concept.changePercent)})`}, p = ${concept.pValue?.toExponential(2)}.`);
  }
  if (stream && stream.signal !== 'stable') {
    parts.push(
      stream.signal === 'drift'
        ? `The ${stream.detector} detector flagged a drift in the outcome stream at ${stream.detectedAt} after ${stream.samples} outcomes.`
        : `The ${stream.detector} detector of the outcome stream is in its warning zone.`,
    );
  }
  if (!concept && overall.severity !== 'none' && notes.concept) parts.push('The impact on live performance is unknown: record outcomes to measure concept drift.');
  if (!(notes.data && overall.severity === 'none')) parts.push(ACTIONS[overall.severity]);
  return {
    severity: overall.severity,
    driftedFeatures: drifted.map((f) => f.name),
    driftedCount: drifted.length,
    featureCount: features.length,
    share,
    kinds,
    levels: overall.levels,
    recommendation: parts.join(' '),
  };
}
