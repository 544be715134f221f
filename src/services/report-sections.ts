import type { AlertRow, AlertSeverity } from '../db/repositories/alerts.js';
import type { VersionEventRow } from '../db/repositories/reports.js';
import type { Severity } from '../domain/drift/severity.js';
import type { BinaryMetrics, ReliabilityBin, TaskMetrics } from '../domain/performance-metrics.js';
import type { Task } from '../domain/model-spec.js';
import type { DriftReport } from './drift.js';
import type { ExperimentView } from './experiment-definitions.js';
import type { RetrainRequestView } from './retrain-views.js';

/** Pieces of the learning report (src/services/report.ts): the views of each section, without I/O. */

export interface DriftFeatureView {
  feature: string;
  type: string;
  status: string;
  method: string | null;
  statistic: number | null;
  pValue: number | null;
  adjustedPValue: number | null;
  threshold: number | null;
  drifted: boolean;
  severity: Severity;
  psi: number | null;
}

export interface DriftSnapshot {
  id: string | null;
  createdAt: string;
  trigger: string | null;
  url: string | null;
  reference: { kind: 'window' | 'baseline'; from: string | null; to: string | null; rows: number };
  current: { from: string; to: string; rows: number };
  severity: Severity;
  summary: DriftReport['summary'];
  concept: { metric: 'accuracy' | 'mae'; reference: number; current: number; changePercent: number | null; pValue: number | null; direction: string; severity: Severity } | null;
  prediction: { drifted: boolean; severity: Severity } | null;
  features: DriftFeatureView[];
}

export interface DriftSeriesPoint {
  id: string;
  createdAt: string;
  trigger: string;
  severity: Severity;
  driftedCount: number;
  featureCount: number;
  conceptChangePercent: number | null;
}

export interface DriftSection {
  source: 'stored' | 'computed';
  note: string;
  latest: DriftSnapshot | null;
  series: DriftSeriesPoint[];
}

/** Whether a drift report compared anything: both windows had rows (a new model has no reference window yet). */
export const driftCompared = (latest: DriftSnapshot | null): latest is DriftSnapshot => latest !== null && latest.reference.rows > 0 && latest.current.rows > 0;

/** The chart- and table-sized view of a drift report (the stored report whole is one link away). */
export function driftSnapshot(report: DriftReport, head: { id: string | null; createdAt: string; trigger: string | null; url: string | null }): DriftSnapshot {
  return {
    ...head,
    reference: { kind: report.reference.kind, from: report.reference.from, to: report.reference.to, rows: report.reference.rows },
    current: { from: report.current.from, to: report.current.to, rows: report.current.rows },
    severity: report.summary.severity,
    summary: report.summary,
    concept: report.concept
      ? {
          metric: report.concept.metric,
          reference: report.concept.reference.mean,
          current: report.concept.current.mean,
          changePercent: report.concept.changePercent,
          pValue: report.concept.pValue,
          direction: report.concept.direction,
          severity: report.concept.severity,
        }
      : null,
    prediction: report.prediction ? { drifted: report.prediction.drifted, severity: report.prediction.severity } : null,
    features: report.features.map((f) => ({
      feature: f.feature,
      type: f.type,
      status: f.status,
      method: f.method,
      statistic: f.statistic,
      pValue: f.pValue,
      adjustedPValue: f.adjustedPValue,
      threshold: f.threshold,
      drifted: f.drifted,
      severity: f.severity,
      psi: f.effectSize?.value ?? null,
    })),
  };
}

export interface CalibrationSection {
  available: boolean;
  ece: number | null;
  probabilityCount: number;
  bins: ReliabilityBin[];
  note: string | null;
}

/** Reliability bins of a binary model's P(positive) (from the period's metrics). */
export function calibrationOf(task: Task, metrics: TaskMetrics | null): CalibrationSection {
  const none = (note: string): CalibrationSection => ({ available: false, ece: null, probabilityCount: 0, bins: [], note });
  if (task !== 'binary') return none(`calibration (reliability of P(positive)) applies to binary models; this one is ${task}`);
  if (!metrics) return none('no labeled predictions in the period');
  const m = metrics as BinaryMetrics;
  if (m.probabilityCount === 0) return none('no labeled prediction in the period has a probability: send `probabilities` or `confidence` with predictions');
  return { available: true, ece: m.ece, probabilityCount: m.probabilityCount, bins: m.reliability, note: null };
}

export interface HistogramSection {
  residual: string;
  n: number;
  binWidth: number | null;
  bins: { lower: number; upper: number; count: number }[];
}

export const CLASSIFICATION_BINS = 20;

/** Equal-width bins for the residual histogram: [0, 1] in 20 for classification, the √n rule within [5, 30] bins over [min, max] for regression. */
export function histogramRange(task: Task, n: number, min: number | null, max: number | null): { lower: number; upper: number; bins: number } | null {
  if (n === 0 || min === null || max === null) return null;
  if (task !== 'regression') return { lower: 0, upper: 1, bins: CLASSIFICATION_BINS };
  if (!(max > min)) return null;
  return { lower: min, upper: max, bins: Math.min(30, Math.max(5, Math.ceil(Math.sqrt(n)))) };
}

export function histogramOf(residual: string, range: { lower: number; upper: number; bins: number } | null, counts: number[], n: number, single: number | null): HistogramSection {
  if (!range) {
    // Every residual is the same value (or there is none): one bin at it.
    return { residual, n, binWidth: null, bins: single === null || n === 0 ? [] : [{ lower: single, upper: single, count: n }] };
  }
  const width = (range.upper - range.lower) / range.bins;
  return {
    residual,
    n,
    binWidth: width,
    bins: counts.map((count, i) => ({ lower: range.lower + i * width, upper: i === range.bins - 1 ? range.upper : range.lower + (i + 1) * width, count })),
  };
}

export interface VersionChange {
  at: string;
  action: 'promoted' | 'rolled_back';
  version: string;
  previousVersion: string | null;
  reason: string | null;
}

export const versionChange = (e: VersionEventRow): VersionChange => ({
  at: e.at.toISOString(),
  action: e.action === 'rollback' ? 'rolled_back' : 'promoted',
  version: e.version,
  previousVersion: e.fromVersion,
  reason: e.reason,
});

export interface AlertView {
  id: string;
  type: string;
  severity: AlertSeverity;
  status: string;
  title: string;
  detail: string;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Open before acknowledged, then by severity, then the most recent first. */
export function alertViews(rows: AlertRow[]): AlertView[] {
  return rows
    .map((a) => ({
      id: a.id,
      type: a.type,
      severity: a.severity,
      status: a.status,
      title: a.title,
      detail: a.detail,
      count: a.count,
      firstSeenAt: a.firstSeenAt.toISOString(),
      lastSeenAt: a.lastSeenAt.toISOString(),
      acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
    }))
    .sort(
      (a, b) =>
        Number(a.status !== 'open') - Number(b.status !== 'open') ||
        (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) ||
        b.lastSeenAt.localeCompare(a.lastSeenAt),
    );
}

const inRange = (iso: string | null, from: Date, to: Date) => iso !== null && iso >= from.toISOString() && iso < to.toISOString();

/** Requests created or completed in the period, and any still open (whenever it started). */
export const requestInPeriod = (r: RetrainRequestView, from: Date, to: Date) =>
  inRange(r.createdAt, from, to) || inRange(r.completedAt, from, to) || ((r.status === 'pending' || r.status === 'delivered') && r.createdAt < to.toISOString());

/** Experiments whose span [startsAt, end) meets the period; running ones have no end yet. */
export function experimentInPeriod(e: ExperimentView, from: Date, to: Date): boolean {
  const ends = [e.concludedAt, e.endsAt].filter((t): t is string => t !== null).sort();
  const end = e.status === 'concluded' ? (ends[0] ?? null) : e.endsAt;
  return e.startsAt < to.toISOString() && (end === null || end >= from.toISOString());
}
