import type { LearningReport } from '../report.js';
import { clip, int, num, pValue, pct } from './format.js';
import { coord, html } from './html.js';
import { type Box, type Html, empty, linear, niceTicks, svgChart, xAxis, yAxis } from './svg.js';

/** Distribution charts: drift per feature, the residual histogram, the reliability diagram. */

/** PSI bands of the severity rule: below 0.1 low, from 0.1 medium, from 0.25 high. */
const PSI_BANDS = [
  { at: 0.1, label: '0.1 medium' },
  { at: 0.25, label: '0.25 high' },
];
/** PSI beyond this is off the scale (a bar to the edge, marked): the bands stay readable. */
const PSI_SCALE_MAX = 1;

/**
 * One bar per feature: its PSI between the reference and the current window (the effect size every feature
 * has, whatever its test), against the severity thresholds; coloured by whether its own test found drift.
 */
export function driftFeaturesChart(report: LearningReport): Html {
  const features = report.drift.latest?.features ?? [];
  // The section's text already says why (the report's recommendation).
  if (features.length === 0) return empty('No features compared, so nothing to chart.');
  const row = 26;
  const box: Box = { width: 760, height: 44 + row * features.length + 30, left: 190, right: 200, top: 40, bottom: 30 };
  const psis = features.map((f) => f.psi ?? 0);
  const max = Math.min(PSI_SCALE_MAX, Math.max(0.3, ...psis)) * 1.08;
  const x = linear(0, max, box.left, box.width - box.right);
  const bands = PSI_BANDS.map(
    (b, i) =>
      html`<g class="threshold"><title>PSI ${b.label}: the severity rule's band</title><line x1="${coord(x(b.at))}" x2="${coord(x(b.at))}" y1="${box.top - 6 - (1 - i) * 12}" y2="${coord(box.height - box.bottom)}"/><text x="${coord(x(b.at) + 3)}" y="${box.top - 8 - (1 - i) * 12}">PSI ${b.label}</text></g>`,
  );
  const bars = features.map((f, i) => {
    const top = box.top + i * row + 4;
    const test = f.method ? `${f.method} ${num(f.statistic)}${f.pValue === null ? '' : ` · p ${pValue(f.adjustedPValue ?? f.pValue)}`}` : f.status.replaceAll('_', ' ');
    const tip = `${f.feature}: ${f.drifted ? `drifted (${f.severity})` : 'not drifted'}; PSI ${num(f.psi)}; ${test}${f.threshold === null ? '' : ` (threshold ${num(f.threshold)})`}`;
    const psi = f.psi ?? 0;
    const end = x(Math.min(psi, max));
    return html`<g class="feature"><title>${tip}</title><text class="name" x="${box.left - 8}" y="${top + 13}" text-anchor="end">${clip(f.feature, 26)}</text><rect class="bar ${f.drifted ? 'drifted' : 'stable'} sev-${f.severity}" x="${box.left}" y="${top}" width="${coord(Math.max(1, end - box.left))}" height="${row - 8}"/>${psi > max ? html`<text class="overflow" x="${coord(end - 4)}" y="${top + 13}" text-anchor="end">${num(psi, 2)} ▸</text>` : null}<text class="value" x="${box.width - box.right + 8}" y="${top + 13}">${f.drifted ? '● ' : '○ '}${clip(test, 28)}</text></g>`;
  });
  const ticks = niceTicks(0, max, 5).map((t) => ({ at: x(t), label: num(t, 2) }));
  const body = html`${xAxis(box, ticks)}${bands}${bars}`;
  const drifted = features.filter((f) => f.drifted).length;
  return svgChart(
    { id: 'chart-drift', kind: 'drift', title: 'Drift per feature (PSI)', description: `PSI of ${features.length} features between the reference and the current window; ${drifted} drifted by their test (filled bars).`, box },
    body,
  );
}

export function histogramChart(report: LearningReport): Html {
  const h = report.errors.histogram;
  if (h.bins.length === 0) {
    return empty(
      report.performance.overall.sampleCount === 0
        ? 'No residuals: no prediction of the period has its outcome yet.'
        : report.model.task === 'regression'
          ? 'No residuals in the period.'
          : 'No residuals in the period: a classification residual is 1 − P(actual label), so predictions need probabilities or a confidence.',
    );
  }
  const box: Box = { width: 480, height: 260, left: 44, right: 12, top: 12, bottom: 30 };
  const lo = h.bins[0]!.lower;
  const hi = h.bins[h.bins.length - 1]!.upper;
  const single = hi === lo;
  const x = single ? linear(lo - 1, lo + 1, box.left, box.width - box.right) : linear(lo, hi, box.left, box.width - box.right);
  const top = Math.max(...h.bins.map((b) => b.count));
  const y = linear(0, top * 1.1, box.height - box.bottom, box.top);
  const bars = h.bins.map((b) => {
    const left = single ? x(lo) - 20 : x(b.lower) + 0.5;
    const width = single ? 40 : Math.max(1, x(b.upper) - x(b.lower) - 1);
    return html`<rect class="bar residual" x="${coord(left)}" y="${coord(y(b.count))}" width="${coord(width)}" height="${coord(y(0) - y(b.count))}"><title>[${num(b.lower)}, ${num(b.upper)}): ${int(b.count)} (${pct(b.count / Math.max(1, h.n))})</title></rect>`;
  });
  const mean = report.errors.mean;
  const lines = [
    report.model.task === 'regression' && lo < 0 && hi > 0 ? html`<line class="zero" x1="${coord(x(0))}" x2="${coord(x(0))}" y1="${box.top}" y2="${coord(y(0))}"><title>zero error</title></line>` : null,
    mean !== null && mean >= lo && mean <= hi ? html`<line class="mean" x1="${coord(x(mean))}" x2="${coord(x(mean))}" y1="${box.top}" y2="${coord(y(0))}"><title>mean ${num(mean)}</title></line>` : null,
  ];
  const xTicks = (single ? [lo] : niceTicks(lo, hi, 5)).map((t) => ({ at: x(t), label: num(t, 3) }));
  const body = html`${yAxis(box, niceTicks(0, top * 1.1, 4).filter((t) => Number.isInteger(t)), y, (v) => int(v))}${xAxis(box, xTicks)}${bars}${lines}`;
  return svgChart(
    { id: 'chart-residuals', kind: 'residuals', title: `Distribution of the residual (${h.residual})`, description: `${int(h.n)} residuals in ${h.bins.length} equal-width bins; the dashed line is the mean.`, box },
    body,
  );
}

/** Observed frequency of the positive label against the mean predicted probability, per bin, and the diagonal of perfect calibration. */
export function reliabilityChart(report: LearningReport): Html {
  const c = report.calibration;
  if (!c.available) return empty(c.note ? `${c.note[0]!.toUpperCase()}${c.note.slice(1)}.` : 'Calibration is not available.');
  const box: Box = { width: 400, height: 380, left: 56, right: 24, top: 16, bottom: 44 };
  const x = linear(0, 1, box.left, box.width - box.right);
  const y = linear(0, 1, box.height - box.bottom, box.top);
  const filled = c.bins.filter((b) => b.count > 0 && b.meanPredicted !== null && b.fractionPositive !== null);
  const most = Math.max(1, ...filled.map((b) => b.count));
  const path = filled.map((b, i) => `${i === 0 ? 'M' : 'L'}${coord(x(b.meanPredicted!))},${coord(y(b.fractionPositive!))}`).join('');
  const points = filled.map(
    (b) =>
      html`<circle class="point calibration" cx="${coord(x(b.meanPredicted!))}" cy="${coord(y(b.fractionPositive!))}" r="${coord(3 + 6 * Math.sqrt(b.count / most))}"><title>P(positive) in [${num(b.lower, 2)}, ${num(b.upper, 2)}): mean predicted ${num(b.meanPredicted)}, observed ${num(b.fractionPositive)} (n = ${int(b.count)})</title></circle>`,
  );
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const body = html`${yAxis(box, ticks, y, (v) => num(v, 2))}${xAxis(box, ticks.map((t) => ({ at: x(t), label: num(t, 2) })))}<line class="diagonal" x1="${coord(x(0))}" y1="${coord(y(0))}" x2="${coord(x(1))}" y2="${coord(y(1))}"><title>perfect calibration</title></line><path class="line" d="${path}"/>${points}<text class="axis-label" x="${coord((box.left + box.width - box.right) / 2)}" y="${box.height - 6}" text-anchor="middle">mean predicted P(positive)</text>`;
  return svgChart(
    { id: 'chart-calibration', kind: 'calibration', title: 'Reliability diagram', description: `${filled.length} non-empty probability bins against the diagonal; ECE ${num(c.ece)} over ${int(c.probabilityCount)} predictions.`, box },
    body,
  );
}
