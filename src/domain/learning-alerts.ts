import type { Severity } from './drift/severity.js';
import type { TrendDirection } from './trend.js';

/**
 * Which alerts the daily job raises and which it resolves for one model, from what it measured. Pure: the
 * job gathers the facts, this decides, the alert service applies. A fact that could not be measured (its
 * step failed, or there was too little data to judge) neither raises nor resolves: the alert stays as it was.
 */

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface DailyFacts {
  modelId: string;
  model: string;
  performance: {
    /** Enough labeled predictions in the window to judge the thresholds (the decision's minSamples). */
    judged: boolean;
    window: string;
    metric: string;
    value: number | null;
    trend: TrendDirection | null;
    trendReason: string | null;
    /** The retrain decision's failed performance checks (accuracy, last-N, MAPE, MAE, RMSE), in words. */
    breaches: string[];
  } | null;
  drift: {
    reportId: string;
    /** Both windows had predictions: a "none" means no drift rather than no data. */
    hasData: boolean;
    data: Severity;
    driftedFeatures: { name: string; severity: Severity }[];
    featureCount: number;
    prediction: Severity;
    predictionDetail: string | null;
    /** Concept drift's severity when live performance got worse; "none" otherwise (or not measurable: null). */
    concept: Severity | null;
    conceptDetail: string | null;
  } | null;
  stream: {
    /** Drifts the stream detectors signalled since the last run (not alerted yet). */
    drifts: { detector: string; detectedAt: Date; samples: number }[];
    /** The detector's state now. */
    status: 'stable' | 'warning' | 'drift' | null;
  } | null;
  retrain: {
    /** Reasons to retrain (the decision's failed triggers). */
    reasons: string[];
    blockedBy: string[];
    triggered: boolean;
    requestId: string | null;
    /** A retrain request of the model is open (pending or delivered). */
    open: boolean;
    autoTrigger: boolean;
  } | null;
}

export type AlertIntent =
  | { action: 'raise'; type: string; severity: AlertSeverity; title: string; detail: string; dedupeKey: string }
  | { action: 'resolve'; dedupeKey: string; resolution: string };

/** Drift severity → alert severity: low drift is for monitoring, not for people. */
export function driftAlertSeverity(severity: Severity | null): AlertSeverity | null {
  if (severity === 'medium') return 'warning';
  if (severity === 'high' || severity === 'critical') return 'critical';
  return null;
}

export const ALERT_TYPES = {
  degraded: 'performance.degraded',
  feature: 'drift.feature',
  prediction: 'drift.prediction',
  concept: 'drift.concept',
  stream: 'drift.stream',
  retrainTriggered: 'retrain.triggered',
  retrainRecommended: 'retrain.recommended',
  srm: 'experiment.srm',
  concluded: 'experiment.concluded',
  jobFailed: 'job.failed',
} as const;

export const modelKey = (type: string, modelId: string) => `${type}:${modelId}`;

export function dailyAlerts(f: DailyFacts): AlertIntent[] {
  return [...performanceAlerts(f), ...driftAlerts(f), ...streamAlerts(f), ...retrainAlerts(f)];
}

function performanceAlerts(f: DailyFacts): AlertIntent[] {
  const p = f.performance;
  const key = modelKey(ALERT_TYPES.degraded, f.modelId);
  if (!p) return [];
  const degrading = p.trend === 'degrading';
  if (p.breaches.length > 0 || degrading) {
    const parts = [...p.breaches, ...(degrading && p.trendReason ? [`trend: ${p.trendReason}`] : [])];
    return [
      {
        action: 'raise',
        type: ALERT_TYPES.degraded,
        severity: p.breaches.length > 0 ? 'critical' : 'warning',
        title: p.breaches.length > 0 ? `${f.model}: performance below the policy's threshold` : `${f.model}: ${p.metric} is degrading`,
        detail: parts.join('; '),
        dedupeKey: key,
      },
    ];
  }
  return p.judged ? [{ action: 'resolve', dedupeKey: key, resolution: `${p.metric} is within the policy over the last ${p.window} and not degrading` }] : [];
}

function driftAlerts(f: DailyFacts): AlertIntent[] {
  const d = f.drift;
  if (!d || !d.hasData) return [];
  const intents: AlertIntent[] = [];
  const cleared = (type: string, what: string) => intents.push({ action: 'resolve', dedupeKey: modelKey(type, f.modelId), resolution: `${what} no longer drifts (drift report ${d.reportId})` });
  const feature = driftAlertSeverity(d.data);
  if (feature) {
    const named = d.driftedFeatures.slice(0, 10).map((x) => `${x.name} (${x.severity})`);
    intents.push({
      action: 'raise',
      type: ALERT_TYPES.feature,
      severity: feature,
      title: `${f.model}: input features drifted (${d.data})`,
      detail: `${d.driftedFeatures.length} of ${d.featureCount} features drifted: ${named.join(', ')}${d.driftedFeatures.length > 10 ? ', …' : ''} (drift report ${d.reportId})`,
      dedupeKey: modelKey(ALERT_TYPES.feature, f.modelId),
    });
  } else cleared(ALERT_TYPES.feature, 'the input data');
  const prediction = driftAlertSeverity(d.prediction);
  if (prediction) {
    intents.push({
      action: 'raise',
      type: ALERT_TYPES.prediction,
      severity: prediction,
      title: `${f.model}: the model's predictions drifted (${d.prediction})`,
      detail: `${d.predictionDetail ?? 'the distribution of the model’s outputs moved'} (drift report ${d.reportId})`,
      dedupeKey: modelKey(ALERT_TYPES.prediction, f.modelId),
    });
  } else cleared(ALERT_TYPES.prediction, 'the prediction distribution');
  if (d.concept !== null) {
    const concept = driftAlertSeverity(d.concept);
    if (concept) {
      intents.push({
        action: 'raise',
        type: ALERT_TYPES.concept,
        severity: concept,
        title: `${f.model}: concept drift, live performance got worse (${d.concept})`,
        detail: `${d.conceptDetail ?? 'the errors changed between the windows'} (drift report ${d.reportId})`,
        dedupeKey: modelKey(ALERT_TYPES.concept, f.modelId),
      });
    } else cleared(ALERT_TYPES.concept, 'live performance');
  }
  return intents;
}

function streamAlerts(f: DailyFacts): AlertIntent[] {
  const s = f.stream;
  if (!s) return [];
  const key = modelKey(ALERT_TYPES.stream, f.modelId);
  const last = s.drifts[s.drifts.length - 1];
  if (last) {
    return [
      {
        action: 'raise',
        type: ALERT_TYPES.stream,
        severity: 'warning',
        title: `${f.model}: the ${last.detector} detector flagged a drift in the outcomes`,
        detail: `${s.drifts.length} drift signal${s.drifts.length === 1 ? '' : 's'} since the last run; the latest at ${last.detectedAt.toISOString()} after ${last.samples} outcomes`,
        dedupeKey: key,
      },
    ];
  }
  return s.status === 'stable' ? [{ action: 'resolve', dedupeKey: key, resolution: 'the stream detector is stable again' }] : [];
}

function retrainAlerts(f: DailyFacts): AlertIntent[] {
  const r = f.retrain;
  if (!r) return [];
  const intents: AlertIntent[] = [];
  const triggeredKey = modelKey(ALERT_TYPES.retrainTriggered, f.modelId);
  const recommendedKey = modelKey(ALERT_TYPES.retrainRecommended, f.modelId);
  if (r.triggered) {
    intents.push({
      action: 'raise',
      type: ALERT_TYPES.retrainTriggered,
      severity: 'info',
      title: `${f.model}: retraining started`,
      detail: `retrain request ${r.requestId} was sent to the training webhook: ${r.reasons.join('; ')}`,
      dedupeKey: triggeredKey,
    });
  } else if (!r.open) {
    intents.push({ action: 'resolve', dedupeKey: triggeredKey, resolution: 'the retrain request is no longer open' });
  }
  // Needed, not started, and not merely waiting for the request in flight or for the cooldown.
  const waiting = r.open || r.blockedBy.every((b) => b.startsWith('cooldown'));
  if (r.reasons.length > 0 && !r.triggered && !(r.blockedBy.length > 0 && waiting)) {
    const why = r.blockedBy.length > 0 ? `blocked: ${r.blockedBy.join('; ')}` : r.autoTrigger ? 'not started' : 'autoTrigger is off in the policy: start it with POST /v1/models/' + f.model + '/retrain-requests';
    intents.push({
      action: 'raise',
      type: ALERT_TYPES.retrainRecommended,
      severity: 'warning',
      title: `${f.model}: retraining is needed`,
      detail: `${r.reasons.join('; ')}. ${why}`,
      dedupeKey: recommendedKey,
    });
  } else if (r.reasons.length === 0 || r.triggered || r.open) {
    intents.push({ action: 'resolve', dedupeKey: recommendedKey, resolution: r.reasons.length === 0 ? 'retraining is no longer needed' : 'a retrain request is under way' });
  }
  return intents;
}
