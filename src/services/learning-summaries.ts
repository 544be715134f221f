import type { DriftReport } from './drift.js';
import type { BucketUnit } from '../domain/buckets.js';
import { parseDuration } from '../domain/window.js';
import type { SegmentFinding } from '../domain/segments.js';

/** The compact pieces of a learning run's result (job_runs.result): enough to read what happened, not the whole reports. */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The history bucket for a window: hours up to 2 days, days up to 90 days, weeks beyond. */
export function bucketFor(window: string): BucketUnit {
  const ms = parseDuration(window) ?? 7 * DAY;
  return ms <= 2 * DAY ? 'hour' : ms <= 90 * DAY ? 'day' : 'week';
}

const round = (x: number | null | undefined, digits = 4) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toPrecision(digits)));

export function driftSummary(report: Awaited<ReturnType<import('./drift-reports.js').DriftReportService['create']>>, reference: 'baseline' | 'window') {
  return {
    reportId: report.id,
    reference,
    severity: report.summary.severity,
    levels: report.summary.levels,
    driftedFeatures: report.summary.driftedFeatures,
    featureCount: report.summary.featureCount,
    rows: { reference: report.reference.rows, current: report.current.rows },
    prediction: report.prediction ? { drifted: report.prediction.drifted, severity: report.prediction.severity } : null,
    concept: report.concept ? { metric: report.concept.metric, direction: report.concept.direction, severity: report.concept.severity, changePercent: round(report.concept.changePercent) } : null,
    recommendation: report.summary.recommendation,
  };
}

/** Words for the prediction-drift alert: which output moved, and how much. */
export function predictionDetail(report: DriftReport): string | null {
  const p = report.prediction;
  if (!p) return null;
  const s = p.meanShift;
  const moved = p.outputs.filter((o) => o.drifted).map((o) => `${o.output} (${o.severity})`);
  const head = moved.length > 0 ? `model outputs drifted: ${moved.join(', ')}` : 'model outputs drifted';
  return s ? `${head}; ${s.measure} ${round(s.reference)} → ${round(s.current)}${s.changePercent === null ? '' : ` (${s.changePercent > 0 ? '+' : ''}${round(s.changePercent, 3)}%)`}` : head;
}

/** Words for the concept-drift alert: the live metric before and after, and the test. */
export function conceptDetail(report: DriftReport): string | null {
  const c = report.concept;
  if (!c) return null;
  const metric = c.metric === 'accuracy' ? 'accuracy' : 'mean absolute error';
  return `live ${metric} ${round(c.reference.mean)} (${c.reference.n} outcomes) → ${round(c.current.mean)} (${c.current.n})${c.changePercent === null ? '' : `, ${c.changePercent > 0 ? '+' : ''}${round(c.changePercent, 3)}%`}; ${c.test} p = ${c.pValue === null ? 'n/a' : c.pValue.toExponential(2)}`;
}

/** The error analysis in a few numbers: spread, bias and its test, normality, the systematically worse segments. */
export function errorSummary(analysis: {
  n: number;
  residual: string;
  mean: number | null;
  std: number | null;
  bias: { pValue: number | null } | null;
  normality: { pValue: number } | null;
  segments: { testedSlices: number; slices: SegmentFinding[] };
  note?: string;
}) {
  const worst = analysis.segments.slices.filter((f) => f.adjustedPValue < 0.05).slice(0, 3);
  return {
    n: analysis.n,
    residual: analysis.residual,
    mean: round(analysis.mean),
    std: round(analysis.std),
    biasPValue: round(analysis.bias?.pValue ?? null),
    normalityPValue: round(analysis.normality?.pValue ?? null),
    testedSlices: analysis.segments.testedSlices,
    systematicErrors: worst.map((f) => ({
      segment: f.label,
      count: f.count,
      adjustedPValue: round(f.adjustedPValue),
      ...(f.accuracy !== undefined ? { accuracy: round(f.accuracy), restAccuracy: round(f.restAccuracy) } : { meanResidual: round(f.mean), restMeanResidual: round(f.restMean) }),
    })),
    ...(analysis.note ? { note: analysis.note } : {}),
  };
}
