import { type Severity, severityRank } from './drift/severity.js';

/**
 * The learning report's summary in words: a headline, what changed during the period, what needs attention,
 * and a status — `action` (retraining is needed, drift is high or worse, a critical alert is open, or a
 * retrain request failed), `watch` (anything else worth a look), `ok`. Pure: the service gathers the facts.
 */
export type ReportStatus = 'ok' | 'watch' | 'action';

export interface ReportSummary {
  status: ReportStatus;
  headline: string;
  changes: string[];
  attention: string[];
}

export interface SummaryFacts {
  periodLabel: string;
  metric: { name: 'accuracy' | 'mae'; higherIsBetter: boolean };
  overall: { value: number | null; sampleCount: number; predictionCount: number };
  /** The primary metric of the non-empty buckets, oldest first. */
  series: { start: string; value: number }[];
  trend: { direction: 'improving' | 'degrading' | 'stable'; reason: string };
  versionChanges: { at: string; action: 'promoted' | 'rolled_back'; version: string; previousVersion: string | null; reason: string | null }[];
  drift: { source: 'stored' | 'computed'; severity: Severity | null; recommendation: string | null; at: string | null };
  decision: { shouldRetrain: boolean; reasons: string[]; blockedBy: string[] } | null;
  requests: { createdAt: string; trigger: string; status: string; candidate: string | null; gateStatus: string | null; gateReason: string | null; failureReason: string | null }[];
  alerts: { severity: string; status: string; title: string; count: number }[];
  /** Systematic error segments, described ("tenure ≥ 24: accuracy 41% vs 86% elsewhere"). */
  segments: string[];
  ece: number | null;
  bias: { mean: number; pValue: number | null } | null;
}

const day = (iso: string) => iso.slice(0, 16).replace('T', ' ') + ' UTC';
const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
/** The first `max` items joined with "; ", and "; …" when there are more. */
const listed = (items: string[], max = 3) => `${items.slice(0, max).join('; ')}${items.length > max ? '; …' : ''}`;
/** A sentence ends with one full stop, not after an ellipsis. */
const sentence = (text: string) => (/[.…]$/.test(text) ? text : `${text}.`);
/** An alert's title inside its model's report: without the "<model>: " it starts with in cross-model lists. */
export const titleWithinModel = (title: string, model: string) => (title.startsWith(`${model}: `) ? title.slice(model.length + 2) : title);
const alertLine = (a: { severity: string; title: string; count: number }) => `${a.severity}: ${a.title}${a.count > 1 ? ` (×${a.count})` : ''}`;

export function formatMetric(name: 'accuracy' | 'mae', value: number): string {
  return name === 'accuracy' ? `${(100 * value).toFixed(1)}%` : value.toPrecision(3);
}

function movement(facts: SummaryFacts): string | null {
  const first = facts.series[0];
  const last = facts.series[facts.series.length - 1];
  if (!first || !last || facts.series.length < 2) return null;
  const { name } = facts.metric;
  const delta = last.value - first.value;
  const change = name === 'accuracy' ? `${delta >= 0 ? '+' : '−'}${Math.abs(100 * delta).toFixed(1)} points` : `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toPrecision(3)}`;
  return `${name} went from ${formatMetric(name, first.value)} (${day(first.start)}) to ${formatMetric(name, last.value)} (${day(last.start)}): ${change}`;
}

function requestLine(r: SummaryFacts['requests'][number]): string {
  const head = `retrain request of ${day(r.createdAt)} (${r.trigger}): ${r.status}`;
  if (r.status === 'failed') return `${head}${r.failureReason ? ` — ${r.failureReason}` : ''}`;
  if (r.candidate) return `${head}, candidate ${r.candidate}${r.gateStatus ? `, gate: ${r.gateStatus.replace('_', ' ')}` : ''}`;
  return head;
}

export function summarizeReport(facts: SummaryFacts): ReportSummary {
  const { metric, overall } = facts;
  const changes: string[] = [];
  const attention: string[] = [];
  let action = false;

  const moved = movement(facts);
  if (moved) changes.push(moved);
  for (const e of facts.versionChanges) {
    changes.push(
      e.action === 'promoted'
        ? `${e.version} promoted on ${day(e.at)}${e.previousVersion ? `, replacing ${e.previousVersion}` : ''}${e.reason ? ` (${e.reason})` : ''}`
        : `rolled back from ${e.previousVersion ?? '?'} to ${e.version} on ${day(e.at)}${e.reason ? ` (${e.reason})` : ''}`,
    );
  }
  for (const r of facts.requests) changes.push(requestLine(r));
  if (facts.alerts.length > 0) {
    const critical = facts.alerts.filter((a) => a.severity === 'critical').length;
    changes.push(`${plural(facts.alerts.length, 'alert')} seen${critical ? ` (${critical} critical)` : ''}: ${listed(facts.alerts.map((a) => a.title))}`);
  }

  if (overall.sampleCount === 0) {
    attention.push(
      overall.predictionCount === 0
        ? 'No predictions in the period: log them with POST /v1/predictions.'
        : `${plural(overall.predictionCount, 'prediction')} but no outcomes in the period: record them with POST /v1/outcomes.`,
    );
  }
  if (facts.decision?.shouldRetrain) {
    action = true;
    attention.push(`Retraining is needed: ${facts.decision.reasons.join('; ')}.`);
  } else if (facts.decision && facts.decision.reasons.length > 0) {
    attention.push(`Retraining would be needed (${facts.decision.reasons.join('; ')}) but is blocked: ${facts.decision.blockedBy.join('; ')}.`);
  }
  const severity = facts.drift.severity;
  if (severity && severityRank(severity) >= severityRank('medium')) {
    if (severityRank(severity) >= severityRank('high')) action = true;
    attention.push(`Drift is ${severity}${facts.drift.at ? ` (report of ${day(facts.drift.at)})` : ''}: ${facts.drift.recommendation ?? ''}`.trim());
  }
  if (facts.trend.direction === 'degrading') attention.push(`${metric.name} is degrading: ${facts.trend.reason}.`);
  const open = facts.alerts.filter((a) => a.status === 'open' && a.severity !== 'info');
  if (open.some((a) => a.severity === 'critical')) action = true;
  if (open.length > 0) attention.push(sentence(`${plural(open.length, 'open alert')}: ${listed(open.map(alertLine))}`));
  for (const r of facts.requests) {
    if (r.status === 'failed') {
      action = true;
      attention.push(`A retrain request failed: ${r.failureReason ?? 'no reason recorded'}.`);
    } else if (r.candidate && (r.gateStatus === 'awaiting_live' || r.gateStatus === 'kept')) {
      attention.push(`Candidate ${r.candidate} is before the validation gate: ${r.gateReason ?? 'waiting for live outcomes'}.`);
    }
  }
  if (facts.segments.length > 0) {
    attention.push(sentence(`Errors are systematic in ${plural(facts.segments.length, 'segment')}: ${listed(facts.segments)}`));
  }
  if (facts.ece !== null && facts.ece > 0.1) attention.push(`Probabilities are poorly calibrated: ECE ${facts.ece.toFixed(3)} (above 0.1).`);
  if (facts.bias && facts.bias.pValue !== null && facts.bias.pValue < 0.05) {
    attention.push(`Predictions are biased: mean error ${facts.bias.mean.toPrecision(3)} (${facts.bias.mean > 0 ? 'over' : 'under'}-predicting, one-sample t-test p = ${facts.bias.pValue.toExponential(1)}).`);
  }

  const status: ReportStatus = action ? 'action' : attention.length > 0 ? 'watch' : 'ok';
  const parts = [
    overall.value === null
      ? `No labeled predictions over ${facts.periodLabel}`
      : `${metric.name === 'accuracy' ? 'Accuracy' : 'MAE'} ${formatMetric(metric.name, overall.value)} over ${facts.periodLabel} (${plural(overall.sampleCount, 'labeled prediction')}), ${facts.trend.direction}`,
    severity ? `drift ${severity}` : null,
    facts.versionChanges.length > 0 ? `${plural(facts.versionChanges.length, 'version change')}` : null,
  ].filter((p): p is string => p !== null);
  const verdict = status === 'action' ? 'Action needed.' : status === 'watch' ? 'Worth a look.' : 'All good.';
  return { status, headline: `${parts.join('; ')}. ${verdict}`, changes, attention };
}
