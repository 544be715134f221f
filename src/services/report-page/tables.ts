import { titleWithinModel } from '../../domain/report-summary.js';
import type { LearningReport } from '../report.js';
import { int, metricValue, num, pValue, pct, when } from './format.js';
import { type Fragment, type Html, html } from './html.js';

/** The report page's tables: every value escaped by `html`; numbers right-aligned. */

export interface Column<T> {
  head: string;
  cell: (row: T) => Fragment;
  numeric?: boolean;
}

export function table<T>(kind: string, columns: Column<T>[], rows: readonly T[], emptyText: string): Html {
  if (rows.length === 0) return html`<p class="empty">${emptyText}</p>`;
  const cls = (c: Column<T>) => (c.numeric ? 'num' : null);
  return html`<div class="scroll"><table data-table="${kind}"><thead><tr>${columns.map((c) => html`<th class="${cls(c)}">${c.head}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${columns.map((c) => html`<td class="${cls(c)}">${c.cell(r)}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

export const tag = (text: string | null | undefined, kind = text) => (text ? html`<span class="tag ${kind ?? ''}">${text.replaceAll('_', ' ')}</span>` : '—');

const METRICS: Record<string, { key: string; label: string; format: (x: number | null) => string }[]> = {
  binary: [
    { key: 'accuracy', label: 'accuracy', format: pct },
    { key: 'precision', label: 'precision', format: pct },
    { key: 'recall', label: 'recall', format: pct },
    { key: 'f1', label: 'F1', format: (x) => num(x) },
    { key: 'rocAuc', label: 'ROC AUC', format: (x) => num(x) },
    { key: 'logLoss', label: 'log loss', format: (x) => num(x) },
    { key: 'brier', label: 'Brier', format: (x) => num(x) },
  ],
  multiclass: [
    { key: 'accuracy', label: 'accuracy', format: pct },
    { key: 'macroF1', label: 'macro F1', format: (x) => num(x) },
  ],
  regression: [
    { key: 'mae', label: 'MAE', format: (x) => num(x) },
    { key: 'rmse', label: 'RMSE', format: (x) => num(x) },
    { key: 'r2', label: 'R²', format: (x) => num(x) },
    { key: 'mape', label: 'MAPE %', format: (x) => num(x) },
    { key: 'meanError', label: 'mean error', format: (x) => num(x) },
  ],
};

interface MetricRow {
  name: string;
  sampleCount: number;
  labelCoverage: number | null;
  metrics: unknown;
}

export function metricsTable(report: LearningReport): Html {
  const overall = report.performance.overall;
  const rows: MetricRow[] = [{ name: 'all versions', ...overall }, ...(overall.groups ?? []).map((g) => ({ ...g, name: 'version' in g ? (g.version ?? 'no version') : 'group' }))];
  const columns: Column<MetricRow>[] = [
    { head: '', cell: (r) => r.name },
    { head: 'labeled', cell: (r) => int(r.sampleCount), numeric: true },
    { head: 'coverage', cell: (r) => pct(r.labelCoverage), numeric: true },
    ...(METRICS[report.model.task] ?? []).map((m) => ({
      head: m.label,
      numeric: true,
      cell: (r: MetricRow) => (r.metrics ? m.format(((r.metrics as Record<string, number | null>)[m.key] ?? null) as number | null) : '—'),
    })),
  ];
  return table('metrics', columns, rows, 'No labeled predictions in the period.');
}

export function bucketsTable(report: LearningReport): Html {
  const { metric, history } = report.performance;
  type Bucket = (typeof history.buckets)[number];
  return table<Bucket>(
    'buckets',
    [
      { head: history.bucket, cell: (b) => when(b.start) },
      { head: 'labeled', cell: (b) => int(b.sampleCount), numeric: true },
      { head: metric, cell: (b) => (b.metrics ? metricValue(metric, (b.metrics as unknown as Record<string, number>)[metric]) : '—'), numeric: true },
      { head: 'versions', cell: (b) => b.versions.map((v) => `${v.version ?? 'none'} (${v.sampleCount})`).join(', ') || '—' },
    ],
    history.buckets,
    'No buckets.',
  );
}

export function driftTable(report: LearningReport): Html {
  type Feature = NonNullable<LearningReport['drift']['latest']>['features'][number];
  return table<Feature>(
    'drift-features',
    [
      { head: 'feature', cell: (f) => f.feature },
      { head: 'type', cell: (f) => f.type },
      { head: 'test', cell: (f) => f.method ?? f.status.replaceAll('_', ' ') },
      { head: 'statistic', cell: (f) => num(f.statistic), numeric: true },
      { head: 'p (adjusted)', cell: (f) => pValue(f.adjustedPValue ?? f.pValue), numeric: true },
      { head: 'threshold', cell: (f) => num(f.threshold), numeric: true },
      { head: 'PSI', cell: (f) => num(f.psi), numeric: true },
      { head: 'drifted', cell: (f) => (f.drifted ? tag('drifted', 'critical') : 'no') },
      { head: 'severity', cell: (f) => html`<span class="sev-${f.severity}">${f.severity}</span>` },
    ],
    report.drift.latest?.features ?? [],
    'No features compared.',
  );
}

export function segmentsTable(report: LearningReport): Html {
  type Slice = (typeof report.errors.segments.slices)[number];
  const accuracyMode = report.model.task !== 'regression';
  return table<Slice>(
    'segments',
    [
      { head: 'segment', cell: (s) => s.label },
      { head: 'n', cell: (s) => int(s.count), numeric: true },
      accuracyMode
        ? { head: 'accuracy (rest)', cell: (s) => `${pct(s.accuracy)} (${pct(s.restAccuracy)})`, numeric: true }
        : { head: 'mean error (rest)', cell: (s) => `${num(s.mean)} (${num(s.restMean)})`, numeric: true },
      { head: 'adjusted p', cell: (s) => pValue(s.adjustedPValue), numeric: true },
    ],
    report.errors.segments.slices,
    report.performance.overall.sampleCount === 0
      ? 'Nothing to search yet: segments are compared on labeled predictions.'
      : 'No systematic errors: no slice of any feature differs significantly from the rest (Holm-adjusted p < 0.05).',
  );
}

export function requestsTable(report: LearningReport): Html {
  type Request = LearningReport['retraining']['requests'][number];
  return table<Request>(
    'requests',
    [
      { head: 'created', cell: (r) => when(r.createdAt) },
      { head: 'trigger', cell: (r) => r.trigger },
      { head: 'status', cell: (r) => tag(r.status) },
      { head: 'reasons', cell: (r) => r.reasons.join('; ') },
      { head: 'delivery', cell: (r) => (r.delivery ? html`${tag(r.delivery.status)} ${r.delivery.attemptCount} attempt${r.delivery.attemptCount === 1 ? '' : 's'} <code>${r.delivery.webhookId}</code>` : '—') },
      { head: 'dataset', cell: (r) => `#${r.dataset.number}, ${int(r.dataset.rows)} rows` },
      { head: 'candidate', cell: (r) => (r.candidate ? html`${r.candidate.version ?? '—'} ${tag(r.candidate.gate.status)}` : '—') },
      { head: 'gate / failure', cell: (r) => r.candidate?.gate.reason ?? r.failureReason ?? '—' },
    ],
    report.retraining.requests,
    'No retrain requests in the period.',
  );
}

export function checksTable(report: LearningReport): Html {
  type Check = LearningReport['retraining']['decision']['checks'][number];
  return table<Check>(
    'checks',
    [
      { head: 'check', cell: (c) => c.name },
      { head: 'kind', cell: (c) => c.kind },
      { head: 'value', cell: (c) => (typeof c.value === 'number' ? num(c.value) : (c.value ?? '—')), numeric: true },
      { head: 'threshold', cell: (c) => (typeof c.threshold === 'number' ? num(c.threshold) : (c.threshold ?? '—')), numeric: true },
      { head: 'result', cell: (c) => tag(c.result) },
      { head: 'detail', cell: (c) => c.detail },
    ],
    report.retraining.decision.checks,
    'No checks.',
  );
}

export function versionsTable(report: LearningReport): Html {
  type Version = LearningReport['versions'][number];
  return table<Version>(
    'versions',
    [
      { head: 'version', cell: (v) => v.name },
      { head: 'status', cell: (v) => tag(v.status) },
      { head: 'training metrics', cell: (v) => (v.metrics ? Object.entries(v.metrics).map(([k, x]) => `${k} ${num(x)}`).join(', ') : '—') },
      { head: 'created', cell: (v) => when(v.createdAt) },
      { head: 'promoted', cell: (v) => when(v.promotedAt) },
      { head: 'replaced', cell: (v) => v.replacedVersion ?? '—' },
      { head: 'lineage', cell: (v) => (v.retrainRequestId ? `retrain request ${v.retrainRequestId.slice(0, 8)}…` : 'registered by hand') },
    ],
    report.versions,
    'No versions registered.',
  );
}

export function versionChangesTable(report: LearningReport): Html {
  type Change = LearningReport['versionChanges'][number];
  return table<Change>(
    'version-changes',
    [
      { head: 'when', cell: (e) => when(e.at) },
      { head: 'change', cell: (e) => (e.action === 'promoted' ? `${e.previousVersion ?? '—'} → ${e.version}` : `rolled back ${e.previousVersion ?? '—'} → ${e.version}`) },
      { head: 'reason', cell: (e) => e.reason ?? '—' },
    ],
    report.versionChanges,
    'No promotion or rollback in the period.',
  );
}

export function alertsTable(report: LearningReport): Html {
  type Alert = LearningReport['alerts'][number];
  return table<Alert>(
    'alerts',
    [
      { head: 'severity', cell: (a) => tag(a.severity) },
      { head: 'status', cell: (a) => a.status },
      { head: 'alert', cell: (a) => html`<b>${titleWithinModel(a.title, report.model.name)}</b><br><span class="note">${a.detail}</span>` },
      { head: 'type', cell: (a) => html`<code>${a.type}</code>` },
      { head: 'count', cell: (a) => int(a.count), numeric: true },
      { head: 'last seen', cell: (a) => when(a.lastSeenAt) },
    ],
    report.alerts,
    'No alerts in the period.',
  );
}

export function experimentsTable(report: LearningReport): Html {
  type Experiment = LearningReport['experiments'][number];
  return table<Experiment>(
    'experiments',
    [
      { head: 'experiment', cell: (e) => e.name },
      { head: 'arms', cell: (e) => e.arms.map((a) => `${a.version} (${pct(a.weight, 0)})`).join(' vs ') },
      { head: 'metric', cell: (e) => e.metric },
      { head: 'status', cell: (e) => tag(e.status) },
      { head: 'span', cell: (e) => `${when(e.startsAt)} → ${when(e.concludedAt ?? e.endsAt)}` },
      { head: 'winner', cell: (e) => e.winner ?? '—' },
    ],
    report.experiments,
    'No experiments of this model in the period.',
  );
}
