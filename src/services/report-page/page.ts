import { createHash } from 'node:crypto';
import { TREND_MIN_POINTS } from '../../domain/trend.js';
import type { LearningReport } from '../report.js';
import { driftCompared } from '../report-sections.js';
import { driftFeaturesChart, histogramChart, reliabilityChart } from './charts-dist.js';
import { driftSeriesChart, performanceChart } from './charts-time.js';
import { int, metricValue, num, pValue, pct, when } from './format.js';
import { type Fragment, Html, html } from './html.js';
import { STYLES } from './styles.js';
import {
  alertsTable,
  bucketsTable,
  checksTable,
  driftTable,
  experimentsTable,
  metricsTable,
  requestsTable,
  segmentsTable,
  tag,
  versionChangesTable,
  versionsTable,
} from './tables.js';

/**
 * The learning report as one self-contained HTML page: inline CSS, charts as server-rendered inline SVG, no
 * script, no external resource of any kind. `csp` is the policy to send with it; the same policy (less
 * frame-ancestors, which a <meta> cannot carry) is in the page, so a saved copy keeps it.
 */
export interface ReportPage {
  html: string;
  csp: string;
}

export const styleHash = (css: string) => `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;

export function reportCsp(css = STYLES): { header: string; meta: string } {
  const meta = `default-src 'none'; img-src data:; style-src ${styleHash(css)}; base-uri 'none'; form-action 'none'`;
  return { header: `${meta}; frame-ancestors 'none'`, meta };
}

const section = (id: string, title: string, ...body: Fragment[]) => html`<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${title}</h2>${body}</section>`;
const list = (items: string[], emptyText: string) => (items.length ? html`<ul class="lines">${items.map((i) => html`<li>${i}</li>`)}</ul>` : html`<p class="empty">${emptyText}</p>`);
const kpi = (value: Fragment, label: string) => html`<div class="kpi"><b>${value}</b><span>${label}</span></div>`;
const data = (summary: string, content: Html) => html`<details><summary>${summary}</summary>${content}</details>`;

function header(r: LearningReport): Html {
  const s = r.summary;
  return html`<header><h1>Learning report: ${r.model.name} <span class="status status-${s.status}">${s.status}</span></h1>
<p class="meta">${r.model.task} model · production version ${r.model.productionVersion ?? 'none'} · period ${when(r.period.from)} → ${when(r.period.to)} (${r.period.label}) · generated ${when(r.generatedAt)}</p>
<p class="headline">${s.headline}</p>
<div class="columns"><section id="changes" aria-labelledby="changes-h"><h2 id="changes-h">What changed</h2>${list(s.changes, 'Nothing changed in the period.')}</section>
<section id="attention" aria-labelledby="attention-h"><h2 id="attention-h">Needs attention</h2>${list(s.attention, 'Nothing needs attention.')}</section></div></header>`;
}

function kpis(r: LearningReport): Html {
  const o = r.performance.overall;
  const metric = r.performance.metric;
  const value = o.metrics ? metricValue(metric, (o.metrics as unknown as Record<string, number>)[metric]) : '—';
  const open = r.alerts.filter((a) => a.status === 'open').length;
  const compared = driftCompared(r.drift.latest);
  const severity = compared ? r.drift.latest!.severity : null;
  const trend = r.performance.history.trend;
  return html`<div class="kpis">${kpi(value, `${metric} over the period`)}${kpi(int(o.sampleCount), 'labeled predictions')}${kpi(pct(o.labelCoverage), 'label coverage')}${kpi(
    trend.points >= TREND_MIN_POINTS ? trend.direction : '—',
    trend.points >= TREND_MIN_POINTS ? `trend (Mann–Kendall, ${trend.points} buckets)` : `trend (needs ${TREND_MIN_POINTS} labeled buckets, has ${trend.points})`,
  )}${kpi(severity ? html`<span class="sev-${severity}">${severity}</span>` : '—', severity ? `drift (${r.drift.source} report)` : 'drift (not enough data yet)')}${kpi(int(open), 'open alerts')}${kpi(retrainVerdict(r.retraining.decision), 'retraining needed now')}</div>`;
}

/** yes; blocked (needed, but a cooldown, an open request or a missing webhook stops it); no. */
const retrainVerdict = (d: LearningReport['retraining']['decision']) => (d.shouldRetrain ? 'yes' : d.reasons.length > 0 ? 'blocked' : 'no');

function performance(r: LearningReport): Html {
  const trend = r.performance.history.trend;
  return section(
    'performance',
    `Performance (${r.performance.metric} per ${r.period.bucket})`,
    performanceChart(r),
    html`<p class="note">Trend: <b>${trend.direction}</b> — ${trend.reason}. Dashed lines mark promotions (▲) and rollbacks (↺); bars are labeled predictions per ${r.period.bucket}.</p>`,
    metricsTable(r),
    data(`Data of the chart (${r.performance.history.buckets.length} buckets)`, bucketsTable(r)),
    html`<h3>Version changes</h3>`,
    versionChangesTable(r),
  );
}

function drift(r: LearningReport): Html {
  const latest = r.drift.latest;
  const concept = latest?.concept;
  return section(
    'drift',
    `Drift${driftCompared(latest) ? ` — ${latest.severity}` : ' — not measured yet'}`,
    html`<p class="note">${r.drift.note[0]!.toUpperCase()}${r.drift.note.slice(1)}.${latest ? html` Reference ${latest.reference.kind === 'baseline' ? 'the training baseline' : `${when(latest.reference.from)} → ${when(latest.reference.to)}`} (${int(latest.reference.rows)} rows) vs current ${when(latest.current.from)} → ${when(latest.current.to)} (${int(latest.current.rows)} rows).` : ''}${latest?.url ? html` <a href="${latest.url}">Full report (JSON)</a>.` : ''}</p>`,
    latest ? html`<p>${latest.summary.recommendation}</p>` : null,
    concept ? html`<p class="note">Concept drift (${concept.metric}): ${metricValue(concept.metric, concept.reference)} → ${metricValue(concept.metric, concept.current)}, p = ${pValue(concept.pValue)}, ${concept.direction} (${concept.severity}).</p>` : null,
    driftFeaturesChart(r),
    latest?.features.length ? driftTable(r) : null,
    html`<h3>Severity over the period</h3>`,
    driftSeriesChart(r),
  );
}

function errors(r: LearningReport): Html {
  const e = r.errors;
  const stats: [string, string][] = [
    ['residuals', int(e.n)],
    ['mean', num(e.mean)],
    ['median', num(e.median)],
    ['std', num(e.std)],
    ['skewness', num(e.skewness)],
    ['kurtosis', num(e.kurtosis)],
    ['normality (Shapiro–Wilk p)', pValue(e.normality?.pValue)],
    ['bias (one-sample t p)', pValue(e.bias?.pValue)],
  ];
  return section(
    'errors',
    'Errors',
    histogramChart(r),
    e.n > 0 ? html`<div class="kpis">${stats.map(([label, value]) => kpi(value, label))}</div>` : null,
    html`<h3>Systematic errors (segments)</h3>`,
    segmentsTable(r),
  );
}

function calibration(r: LearningReport): Html {
  const c = r.calibration;
  return section(
    'calibration',
    `Calibration${c.ece === null ? '' : ` — ECE ${num(c.ece)}`}`,
    reliabilityChart(r),
    c.available ? html`<p class="note">Points below the diagonal: the model is over-confident in the positive label there; above: under-confident. Point size follows the number of predictions.</p>` : null,
  );
}

function retraining(r: LearningReport): Html {
  const d = r.retraining.decision;
  const verdict = d.shouldRetrain ? `Retraining is needed now: ${d.reasons.join('; ')}.` : d.reasons.length ? `Retraining would be needed (${d.reasons.join('; ')}) but is blocked: ${d.blockedBy.join('; ')}.` : 'No retraining needed now.';
  return section('retraining', 'Retraining', html`<p>${tag(d.shouldRetrain ? 'retrain' : 'no retrain', d.shouldRetrain ? 'critical' : 'pass')} ${verdict} <span class="note">(decided ${when(d.evaluatedAt)})</span></p>`, data('Every check of the decision', checksTable(r)), html`<h3>Retrain requests</h3>`, requestsTable(r));
}

export function renderReportPage(r: LearningReport): ReportPage {
  const csp = reportCsp();
  const links = r.links;
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp.meta}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Learning report: ${r.model.name}</title>
<link rel="icon" href="data:,">
<style>${new Html(STYLES)}</style></head>
<body>${header(r)}<main>${kpis(r)}${performance(r)}${drift(r)}<div class="columns">${errors(r)}${calibration(r)}</div>${retraining(r)}${section('versions', 'Versions', versionsTable(r))}${section('alerts', 'Alerts', alertsTable(r))}${section('experiments', 'Experiments', experimentsTable(r))}</main>
<footer>Hindsight learning report. As JSON: <a href="${links.json}">${links.json}</a> · API docs: <a href="${links.docs}">${links.docs}</a></footer></body></html>
`;
  return { html: page.value, csp: csp.header };
}
