import { describe, expect, it } from 'vitest';
import { intervalSlot, nextIntervalSlot, parseTierJob, tierJobName, withinCatchUp } from '../../src/domain/job-schedule.js';
import { type DailyFacts, dailyAlerts, driftAlertSeverity } from '../../src/domain/learning-alerts.js';

/** The daily job's alert decisions and the scheduler's slot arithmetic: pure functions, no database. */

const base: DailyFacts = { modelId: 'm1', model: 'churn', performance: null, drift: null, stream: null, retrain: null };
const performance = (over: Partial<NonNullable<DailyFacts['performance']>> = {}): DailyFacts['performance'] => ({
  judged: true,
  window: '7d',
  metric: 'accuracy',
  value: 0.9,
  trend: 'stable',
  trendReason: 'no significant monotonic trend',
  breaches: [],
  ...over,
});
const drift = (over: Partial<NonNullable<DailyFacts['drift']>> = {}): DailyFacts['drift'] => ({
  reportId: 'r1',
  hasData: true,
  data: 'none',
  driftedFeatures: [],
  featureCount: 3,
  prediction: 'none',
  predictionDetail: null,
  concept: 'none',
  conceptDetail: null,
  ...over,
});
const retrain = (over: Partial<NonNullable<DailyFacts['retrain']>> = {}): DailyFacts['retrain'] => ({
  reasons: [],
  blockedBy: [],
  triggered: false,
  requestId: null,
  open: false,
  autoTrigger: true,
  ...over,
});

describe('dailyAlerts', () => {
  it('decides nothing from facts it could not measure', () => {
    expect(dailyAlerts(base)).toEqual([]);
    expect(dailyAlerts({ ...base, drift: drift({ hasData: false, data: 'high' }) })).toEqual([]);
  });

  it('raises a critical degradation on a breached threshold, a warning on a degrading trend, and resolves only when judged', () => {
    const breached = dailyAlerts({ ...base, performance: performance({ value: 0.55, breaches: ['accuracy 0.55 over the last 7d is below 0.7'] }) });
    expect(breached).toEqual([
      { action: 'raise', type: 'performance.degraded', severity: 'critical', title: "churn: performance below the policy's threshold", detail: 'accuracy 0.55 over the last 7d is below 0.7', dedupeKey: 'performance.degraded:m1' },
    ]);
    const trend = dailyAlerts({ ...base, performance: performance({ trend: 'degrading', trendReason: 'accuracy falls' }) });
    expect(trend).toMatchObject([{ action: 'raise', severity: 'warning', title: 'churn: accuracy is degrading', detail: 'trend: accuracy falls' }]);
    expect(dailyAlerts({ ...base, performance: performance() })).toEqual([
      { action: 'resolve', dedupeKey: 'performance.degraded:m1', resolution: 'accuracy is within the policy over the last 7d and not degrading' },
    ]);
    expect(dailyAlerts({ ...base, performance: performance({ judged: false }) })).toEqual([]);
  });

  it('maps drift severities to alert severities: low is not for people', () => {
    expect([null, 'none', 'low', 'medium', 'high', 'critical'].map((s) => driftAlertSeverity(s as never))).toEqual([null, null, null, 'warning', 'critical', 'critical']);
  });

  it('raises feature and concept drift naming what moved, and resolves the kinds that no longer drift', () => {
    const intents = dailyAlerts({
      ...base,
      drift: drift({ data: 'high', driftedFeatures: [{ name: 'homeElo', severity: 'high' }], concept: 'critical', conceptDetail: 'live accuracy 0.9 → 0.55' }),
    });
    expect(intents).toEqual([
      { action: 'raise', type: 'drift.feature', severity: 'critical', title: 'churn: input features drifted (high)', detail: '1 of 3 features drifted: homeElo (high) (drift report r1)', dedupeKey: 'drift.feature:m1' },
      { action: 'resolve', dedupeKey: 'drift.prediction:m1', resolution: 'the prediction distribution no longer drifts (drift report r1)' },
      {
        action: 'raise',
        type: 'drift.concept',
        severity: 'critical',
        title: 'churn: concept drift, live performance got worse (critical)',
        detail: 'live accuracy 0.9 → 0.55 (drift report r1)',
        dedupeKey: 'drift.concept:m1',
      },
    ]);
    // Concept drift that could not be measured (too few labels) neither raises nor resolves.
    expect(dailyAlerts({ ...base, drift: drift({ concept: null }) }).map((i) => i.dedupeKey)).toEqual(['drift.feature:m1', 'drift.prediction:m1']);
  });

  it('raises the stream detector’s drifts, and resolves once it is stable', () => {
    const at = new Date('2024-10-18T03:00:00Z');
    expect(dailyAlerts({ ...base, stream: { drifts: [{ detector: 'ddm', detectedAt: at, samples: 120 }], status: 'drift' } })).toMatchObject([
      { action: 'raise', type: 'drift.stream', severity: 'warning', detail: '1 drift signal since the last run; the latest at 2024-10-18T03:00:00.000Z after 120 outcomes' },
    ]);
    expect(dailyAlerts({ ...base, stream: { drifts: [], status: 'warning' } })).toEqual([]);
    expect(dailyAlerts({ ...base, stream: { drifts: [], status: 'stable' } })).toMatchObject([{ action: 'resolve', dedupeKey: 'drift.stream:m1' }]);
  });

  it('tells a started retraining from a needed one, and says nothing while the request or the cooldown holds it', () => {
    const started = dailyAlerts({ ...base, retrain: retrain({ reasons: ['accuracy low'], triggered: true, requestId: 'rr1', open: true }) });
    expect(started).toEqual([
      { action: 'raise', type: 'retrain.triggered', severity: 'info', title: 'churn: retraining started', detail: 'retrain request rr1 was sent to the training webhook: accuracy low', dedupeKey: 'retrain.triggered:m1' },
      { action: 'resolve', dedupeKey: 'retrain.recommended:m1', resolution: 'a retrain request is under way' },
    ]);
    const manual = dailyAlerts({ ...base, retrain: retrain({ reasons: ['accuracy low'], autoTrigger: false }) });
    expect(manual[1]).toMatchObject({ action: 'raise', type: 'retrain.recommended', severity: 'warning', detail: 'accuracy low. autoTrigger is off in the policy: start it with POST /v1/models/churn/retrain-requests' });
    const noWebhook = dailyAlerts({ ...base, retrain: retrain({ reasons: ['accuracy low'], blockedBy: ['no training webhook is configured'] }) });
    expect(noWebhook[1]).toMatchObject({ action: 'raise', type: 'retrain.recommended', detail: 'accuracy low. blocked: no training webhook is configured' });
    const cooling = dailyAlerts({ ...base, retrain: retrain({ reasons: ['accuracy low'], blockedBy: ['cooldown: until …'] }) });
    expect(cooling).toEqual([{ action: 'resolve', dedupeKey: 'retrain.triggered:m1', resolution: 'the retrain request is no longer open' }]);
    const inFlight = dailyAlerts({ ...base, retrain: retrain({ reasons: ['accuracy low'], blockedBy: ['request rr1 is still open'], open: true }) });
    expect(inFlight).toEqual([{ action: 'resolve', dedupeKey: 'retrain.recommended:m1', resolution: 'a retrain request is under way' }]);
    expect(dailyAlerts({ ...base, retrain: retrain() })).toEqual([
      { action: 'resolve', dedupeKey: 'retrain.triggered:m1', resolution: 'the retrain request is no longer open' },
      { action: 'resolve', dedupeKey: 'retrain.recommended:m1', resolution: 'retraining is no longer needed' },
    ]);
  });
});

describe('job schedule arithmetic', () => {
  it('names tier jobs and reads them back', () => {
    expect(tierJobName('nba', 'tier1')).toBe('tier:nba:tier1');
    expect(parseTierJob('tier:nba:tier1')).toEqual({ model: 'nba', tier: 'tier1' });
    expect(parseTierJob('tier:nba:')).toBeNull();
    expect(parseTierJob('daily-learning')).toBeNull();
  });

  it('puts interval slots at the multiples of the period since the epoch, in UTC', () => {
    const now = new Date('2024-10-18T13:47:12.345Z');
    expect(intervalSlot(now, 6 * 3_600_000).toISOString()).toBe('2024-10-18T12:00:00.000Z');
    expect(nextIntervalSlot(now, 6 * 3_600_000).toISOString()).toBe('2024-10-18T18:00:00.000Z');
    expect(intervalSlot(now, 3_600_000).toISOString()).toBe('2024-10-18T13:00:00.000Z');
    expect(withinCatchUp(new Date('2024-10-18T12:00:00Z'), now, 6 * 3_600_000)).toBe(true);
    expect(withinCatchUp(new Date('2024-10-18T12:00:00Z'), new Date('2024-10-18T15:00:00.001Z'), 6 * 3_600_000)).toBe(false);
  });
});
