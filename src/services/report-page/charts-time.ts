import type { LearningReport } from '../report.js';
import { SEVERITIES } from '../../domain/drift/severity.js';
import { clip, metricValue, tick, when } from './format.js';
import { coord, html } from './html.js';
import { type Box, type Html, brokenPath, empty, linear, niceTicks, plotHeight, svgChart, xAxis, yAxis } from './svg.js';

/** Charts over time: the primary metric per bucket with version changes marked, and the drift severity of each stored report. */

const HOUR = 3_600_000;

function timeTicks(from: number, to: number, x: (ms: number) => number, count: number): { at: number; label: string }[] {
  const span = to - from;
  const withHour = span <= 2 * 24 * HOUR;
  const step = Math.max(HOUR, Math.ceil(span / count / HOUR) * HOUR);
  const first = Math.ceil(from / step) * step;
  const ticks: { at: number; label: string }[] = [];
  for (let t = first; t <= to && ticks.length < count + 2; t += step) ticks.push({ at: x(t), label: tick(t, withHour) });
  return ticks;
}

export function performanceChart(report: LearningReport): Html {
  const { history, metric } = report.performance;
  const buckets = history.buckets;
  if (history.sampleCount === 0) return empty('No labeled predictions in the period: nothing to chart yet.');
  const box: Box = { width: 760, height: 310, left: 56, right: 16, top: 48, bottom: 30 };
  const from = Date.parse(report.period.from);
  const to = Date.parse(report.period.to);
  const x = linear(from, to, box.left, box.width - box.right);
  const values = buckets.flatMap((b) => (b.metrics ? [valueOf(metric, b.metrics)] : []));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (metric === 'accuracy') {
    lo = Math.max(0, Math.floor((lo - 0.05) * 10) / 10);
    hi = Math.min(1, Math.ceil((hi + 0.05) * 10) / 10);
  } else {
    lo = 0;
    hi = hi > 0 ? hi * 1.15 : 1;
  }
  const plotBottom = box.height - box.bottom;
  const y = linear(lo, hi, plotBottom, box.top);
  const maxCount = Math.max(1, ...buckets.map((b) => b.sampleCount));
  const volumeHeight = plotHeight(box) * 0.22;
  const mid = (b: { start: string; end: string }) => Math.min(to, Math.max(from, (Date.parse(b.start) + Date.parse(b.end)) / 2));
  const barWidth = Math.max(1, (x(to) - x(from)) / Math.max(1, buckets.length) - 2);
  const positions = buckets.map((b) => (b.metrics ? { x: x(mid(b)), y: y(valueOf(metric, b.metrics)) } : null));

  const volume = buckets.map(
    (b) =>
      html`<rect class="volume" x="${coord(x(mid(b)) - barWidth / 2)}" y="${coord(plotBottom - (volumeHeight * b.sampleCount) / maxCount)}" width="${coord(barWidth)}" height="${coord((volumeHeight * b.sampleCount) / maxCount)}"><title>${when(b.start)}: ${b.sampleCount} labeled predictions</title></rect>`,
  );
  const points = buckets.flatMap((b, i) => {
    const p = positions[i];
    if (!p || !b.metrics) return [];
    const versions = b.versions.map((v) => `${v.version ?? 'no version'} (${v.sampleCount})`).join(', ');
    return [html`<circle class="point" cx="${coord(p.x)}" cy="${coord(p.y)}" r="3.5"><title>${when(b.start)}: ${metric} ${metricValue(metric, valueOf(metric, b.metrics))}, n = ${b.sampleCount}; versions: ${versions}</title></circle>`];
  });
  const rows = labelRows(report.versionChanges.map((e) => x(Math.min(to, Math.max(from, Date.parse(e.at))))), box.width - box.right);
  const markers = report.versionChanges.map((e, i) => {
    const at = x(Math.min(to, Math.max(from, Date.parse(e.at))));
    const label = `${e.action === 'promoted' ? '▲' : '↺'} ${clip(e.version, 16)}`;
    const sentence =
      e.action === 'promoted' ? `${e.version} promoted ${when(e.at)}${e.previousVersion ? `, replacing ${e.previousVersion}` : ''}` : `rolled back to ${e.version} ${when(e.at)}${e.previousVersion ? ` (from ${e.previousVersion})` : ''}`;
    const { row, anchor } = rows[i]!;
    return html`<g class="marker ${e.action === 'promoted' ? 'promoted' : 'rolled-back'}"><title>${sentence}${e.reason ? ` — ${e.reason}` : ''}</title><line x1="${coord(at)}" x2="${coord(at)}" y1="${coord(box.top - 4)}" y2="${coord(plotBottom)}"/><text x="${coord(anchor === 'end' ? at - 3 : at + 3)}" y="${coord(box.top - 8 - row * 12)}" text-anchor="${anchor}">${label}</text></g>`;
  });
  const ticks = niceTicks(lo, hi, 5);
  const body = html`${yAxis(box, ticks, y, (v) => metricValue(metric, v))}${volume}${xAxis(box, timeTicks(from, to, x, 7))}<path class="line" d="${brokenPath(positions)}"/>${points}${markers}`;
  const description = `${metric} per ${history.bucket} from ${when(report.period.from)} to ${when(report.period.to)}; ${points.length} non-empty buckets; ${markers.length} version changes marked; bars show the labeled predictions per bucket.`;
  return svgChart({ id: 'chart-performance', kind: 'performance', title: `${metric} over time`, description, box }, body);
}

/**
 * Label rows for markers close together (all of a day's promotions land on one x): each label goes to the
 * first of three rows where it does not overlap the previous one; labels near the right edge extend leftwards.
 */
function labelRows(xs: number[], right: number): { row: number; anchor: 'start' | 'end' }[] {
  const ends = [-Infinity, -Infinity, -Infinity];
  const LABEL = 64;
  return xs.map((at) => {
    const anchor = at > right - LABEL ? ('end' as const) : ('start' as const);
    const [left, end] = anchor === 'end' ? [at - LABEL, at] : [at, at + LABEL];
    let row = ends.findIndex((e) => e < left);
    if (row < 0) row = xs.indexOf(at) % ends.length;
    ends[row] = end;
    return { row, anchor };
  });
}

function valueOf(metric: 'accuracy' | 'mae', metrics: object): number {
  return (metrics as Record<string, number>)[metric]!;
}

/** The severity of each drift report stored in the period (none … critical), in time order. */
export function driftSeriesChart(report: LearningReport): Html {
  const series = report.drift.series;
  if (series.length === 0) return empty(report.drift.source === 'computed' ? 'No drift report was stored in the period (the daily job stores one per model per day).' : 'No drift reports in the period.');
  const box: Box = { width: 760, height: 170, left: 70, right: 16, top: 12, bottom: 30 };
  const from = Date.parse(report.period.from);
  const to = Date.parse(report.period.to);
  const x = linear(from, to, box.left, box.width - box.right);
  const y = linear(0, SEVERITIES.length - 1, box.height - box.bottom, box.top);
  const levels = html`<g class="axis y">${SEVERITIES.map(
    (s, i) => html`<line class="grid" x1="${box.left}" x2="${box.width - box.right}" y1="${coord(y(i))}" y2="${coord(y(i))}"/><text x="${box.left - 6}" y="${coord(y(i) + 4)}" text-anchor="end">${s}</text>`,
  )}</g>`;
  const rank = (s: string) => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);
  const positions = series.map((p) => ({ x: x(Date.parse(p.createdAt)), y: y(rank(p.severity)) }));
  const points = series.map(
    (p, i) =>
      html`<circle class="severity-point sev-${p.severity}" cx="${coord(positions[i]!.x)}" cy="${coord(positions[i]!.y)}" r="4.5"><title>${when(p.createdAt)}: ${p.severity}; ${p.driftedCount} of ${p.featureCount} features drifted${p.conceptChangePercent === null ? '' : `; ${p.conceptChangePercent.toFixed(1)}% change of the error metric`}</title></circle>`,
  );
  const body = html`${levels}${xAxis(box, timeTicks(from, to, x, 7))}<path class="line thin" d="${brokenPath(positions)}"/>${points}`;
  return svgChart({ id: 'chart-drift-series', kind: 'drift-series', title: 'Drift severity of each stored report', description: `${series.length} drift reports stored in the period, by severity`, box }, body);
}
