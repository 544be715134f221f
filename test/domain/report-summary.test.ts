import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { bucketForSpan, parseReportPeriod } from '../../src/domain/report-period.js';
import { type SummaryFacts, summarizeReport, titleWithinModel } from '../../src/domain/report-summary.js';

const calm: SummaryFacts = {
  periodLabel: 'the last 7d',
  metric: { name: 'accuracy', higherIsBetter: true },
  overall: { value: 0.9, sampleCount: 1200, predictionCount: 1300 },
  series: [
    { start: '2024-10-12T00:00:00.000Z', value: 0.91 },
    { start: '2024-10-18T00:00:00.000Z', value: 0.89 },
  ],
  trend: { direction: 'stable', reason: 'no significant monotonic trend' },
  versionChanges: [],
  drift: { source: 'stored', severity: 'none', recommendation: 'No drift.', at: '2024-10-18T06:00:00.000Z' },
  decision: { shouldRetrain: false, reasons: [], blockedBy: [] },
  requests: [],
  alerts: [],
  segments: [],
  ece: 0.03,
  bias: null,
};

describe('the learning report summary', () => {
  it('is ok when nothing needs attention, and says what changed', () => {
    const s = summarizeReport(calm);
    expect(s.status).toBe('ok');
    expect(s.headline).toBe('Accuracy 90.0% over the last 7d (1,200 labeled predictions), stable; drift none. All good.');
    expect(s.changes).toEqual(['accuracy went from 91.0% (2024-10-12 00:00 UTC) to 89.0% (2024-10-18 00:00 UTC): −2.0 points']);
    expect(s.attention).toEqual([]);
  });

  it('calls for action on a needed retrain, high drift, a critical alert or a failed request', () => {
    expect(summarizeReport({ ...calm, decision: { shouldRetrain: true, reasons: ['accuracy 0.6 below 0.75'], blockedBy: [] } }).status).toBe('action');
    expect(summarizeReport({ ...calm, drift: { ...calm.drift, severity: 'high', recommendation: 'Retrain on recent data.' } }).status).toBe('action');
    expect(summarizeReport({ ...calm, alerts: [{ severity: 'critical', status: 'open', title: 'rolled back', count: 2 }] }).attention).toEqual(['1 open alert: critical: rolled back (×2).']);
    expect(summarizeReport({ ...calm, alerts: [{ severity: 'critical', status: 'acknowledged', title: 'rolled back', count: 1 }] }).status).toBe('ok');
    const failed = summarizeReport({ ...calm, requests: [{ createdAt: '2024-10-17T06:00:00.000Z', trigger: 'auto', status: 'failed', candidate: null, gateStatus: null, gateReason: null, failureReason: 'delivery failed 8 times' }] });
    expect(failed.status).toBe('action');
    expect(failed.changes).toContain('retrain request of 2024-10-17 06:00 UTC (auto): failed — delivery failed 8 times');
  });

  it('asks for a look at medium drift, a degrading trend, a candidate before the gate, segments, calibration, bias', () => {
    const s = summarizeReport({
      ...calm,
      metric: { name: 'mae', higherIsBetter: false },
      overall: { value: 2.5, sampleCount: 10, predictionCount: 10 },
      trend: { direction: 'degrading', reason: 'mae increases over 7 buckets' },
      drift: { ...calm.drift, severity: 'medium', recommendation: 'Investigate.' },
      requests: [{ createdAt: '2024-10-17T06:00:00.000Z', trigger: 'auto', status: 'succeeded', candidate: 'v4', gateStatus: 'awaiting_live', gateReason: 'waiting for live outcomes', failureReason: null }],
      segments: ['rain = true: mean error −6.36 vs −0.07 elsewhere (n = 278)'],
      ece: 0.2,
      bias: { mean: -2.25, pValue: 1e-10 },
    });
    expect(s.status).toBe('watch');
    expect(s.headline).toBe('MAE 2.50 over the last 7d (10 labeled predictions), degrading; drift medium. Worth a look.');
    expect(s.attention).toEqual([
      'Drift is medium (report of 2024-10-18 06:00 UTC): Investigate.',
      'mae is degrading: mae increases over 7 buckets.',
      'Candidate v4 is before the validation gate: waiting for live outcomes.',
      'Errors are systematic in 1 segment: rain = true: mean error −6.36 vs −0.07 elsewhere (n = 278).',
      'Probabilities are poorly calibrated: ECE 0.200 (above 0.1).',
      'Predictions are biased: mean error -2.25 (under-predicting, one-sample t-test p = 1.0e-10).',
    ]);
  });

  it('lists at most three items of a kind, ending with an ellipsis rather than a full stop after it', () => {
    const alerts = ['a', 'b', 'c', 'd'].map((title, i) => ({ severity: i === 0 ? 'critical' : 'warning', status: 'open', title, count: 1 }));
    const s = summarizeReport({ ...calm, alerts, segments: ['s1', 's2', 's3', 's4'] });
    expect(s.attention).toEqual(['4 open alerts: critical: a; warning: b; warning: c; …', 'Errors are systematic in 4 segments: s1; s2; s3; …']);
    expect(s.changes).toContain('4 alerts seen (1 critical): a; b; c; …');
  });

  it('says when there is nothing to measure', () => {
    const s = summarizeReport({ ...calm, overall: { value: null, sampleCount: 0, predictionCount: 40 }, series: [], drift: { source: 'computed', severity: null, recommendation: null, at: null } });
    expect(s.headline).toBe('No labeled predictions over the last 7d. Worth a look.');
    expect(s.attention).toEqual(['40 predictions but no outcomes in the period: record them with POST /v1/outcomes.']);
  });
});

describe('the report period', () => {
  const now = new Date('2024-10-18T12:00:00.000Z');
  it('is a duration ending now (default 7d) or from + to, with buckets sized to it', () => {
    expect(parseReportPeriod({}, now)).toEqual({ from: new Date('2024-10-11T12:00:00.000Z'), to: now, label: '7d', bucket: 'day' });
    expect(parseReportPeriod({ period: '48h' }, now).bucket).toBe('hour');
    expect(parseReportPeriod({ from: '2024-01-01T00:00:00Z', to: '2024-06-01T00:00:00Z' }, now)).toMatchObject({ bucket: 'week', label: '2024-01-01T00:00:00.000Z – 2024-06-01T00:00:00.000Z' });
    expect([bucketForSpan(2 * 86_400_000), bucketForSpan(2 * 86_400_000 + 1), bucketForSpan(60 * 86_400_000), bucketForSpan(60 * 86_400_000 + 1)]).toEqual(['hour', 'day', 'day', 'week']);
  });

  it('names the parameter of a bad period', () => {
    const error = (query: Record<string, string>) => {
      try {
        parseReportPeriod(query, now);
      } catch (e) {
        return (e as ValidationError).errors;
      }
      throw new Error('no error');
    };
    expect(error({ period: 'week' })![0]!.path).toBe('/query/period');
    expect(error({ from: '2024-10-01T00:00:00Z' })![0]!.path).toBe('/query/to');
    expect(error({ period: '7d', to: '2024-10-01T00:00:00Z' })!.map((e) => e.path)).toEqual(['/query/period', '/query/to']);
    // At most 3660 days, as `period`: the weekly history of a longer span would exceed the bucket limit.
    expect(error({ from: '0001-01-01T00:00:00Z', to: '2024-10-01T00:00:00Z' })).toEqual([{ path: '/query/from', message: 'the period from `from` to `to` must be at most 3660d long' }]);
    expect(parseReportPeriod({ from: '2014-10-01T00:00:00Z', to: '2024-10-01T00:00:00Z' }, now).bucket).toBe('week');
  });
});

describe('titleWithinModel', () => {
  it('drops the "<model>: " an alert title starts with, and leaves other titles alone', () => {
    expect(titleWithinModel('churn: input features drifted (high)', 'churn')).toBe('input features drifted (high)');
    expect(titleWithinModel('churn-v2: input features drifted (high)', 'churn')).toBe('churn-v2: input features drifted (high)');
    expect(titleWithinModel('Webhook disabled', 'churn')).toBe('Webhook disabled');
  });
});
