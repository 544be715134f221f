import { describe, expect, it } from 'vitest';
import { type DecisionMeasurements, decideRetrain, defaultPolicy, resolvePolicy } from '../../src/domain/retrain-policy.js';
import { UnprocessableError, ValidationError } from '../../src/errors.js';

const NOW = new Date('2024-10-19T06:00:00Z');

const healthy = (over: Partial<DecisionMeasurements> = {}): DecisionMeasurements => ({
  window: { samples: 400, accuracy: 0.7, mae: null, rmse: null, mape: null },
  lastN: { samples: 10, accuracy: 0.7 },
  drift: null,
  openRequest: null,
  lastCompletedAt: null,
  webhook: { status: 'active', reason: null },
  ...over,
});

const check = (decision: ReturnType<typeof decideRetrain>, name: string) => decision.checks.find((c) => c.name === name)!;

function errorsOf(run: () => unknown): { status: number; paths: string[]; messages: string[] } {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError || error instanceof UnprocessableError) {
      return { status: error.status, paths: (error.errors ?? []).map((e) => e.path), messages: (error.errors ?? []).map((e) => e.message) };
    }
    throw error;
  }
  throw new Error('expected an error');
}

describe('retrain policy: defaults and validation', () => {
  it('has the defaults of DESIGN §5, fitted to the task', () => {
    expect(defaultPolicy('binary')).toEqual({
      minSamples: 50,
      window: '7d',
      accuracyBelow: null,
      lastN: { n: 10, accuracyBelow: 0.55 },
      maxMape: null,
      maxMae: null,
      maxRmse: null,
      driftSeverity: 'high',
      cooldown: '6h',
      autoTrigger: false,
      minImprovement: 0.02,
      autoRollback: true,
      trainingWindow: '30d',
      tiers: [],
    });
    expect(defaultPolicy('regression')).toMatchObject({ lastN: null, maxMape: 30 });
    expect(resolvePolicy('multiclass', {})).toEqual(defaultPolicy('multiclass'));
  });

  it('replaces the whole policy: omitted fields take defaults, null switches a check off', () => {
    const p = resolvePolicy('binary', { accuracyBelow: 0.9, lastN: null, driftSeverity: null, cooldown: null, tiers: [{ name: 'tier1', every: '1h' }] });
    expect(p).toMatchObject({ accuracyBelow: 0.9, lastN: null, driftSeverity: null, cooldown: null, minSamples: 50, tiers: [{ name: 'tier1', every: '1h' }] });
  });

  it('names every invalid field (400)', () => {
    const e = errorsOf(() =>
      resolvePolicy('binary', {
        minSamples: 0,
        window: '7 days',
        cooldown: '0h',
        trainingWindow: '9999d',
        accuracyBelow: 1.5,
        lastN: { n: 0, accuracyBelow: 0 },
        minImprovement: 1,
        driftSeverity: 'none' as never,
        tiers: [
          { name: 'tier1', every: '1h' },
          { name: 'Tier 2', every: 'daily' },
          { name: 'tier1', every: '24h' },
        ],
      }),
    );
    expect(e.status).toBe(400);
    expect(e.paths.sort()).toEqual(
      [
        '/body/minSamples',
        '/body/window',
        '/body/cooldown',
        '/body/trainingWindow',
        '/body/accuracyBelow',
        '/body/lastN/n',
        '/body/lastN/accuracyBelow',
        '/body/minImprovement',
        '/body/driftSeverity',
        '/body/tiers/1/name',
        '/body/tiers/1/every',
        '/body/tiers/2/name',
      ].sort(),
    );
    expect(e.messages.find((m) => m.includes('duplicates'))).toMatch(/tier 0/);
    expect(e.messages.join(' ')).toMatch(/e\.g\. 1h, 6h, 24h/);
  });

  it('refuses checks that do not fit the task (422)', () => {
    const regression = errorsOf(() => resolvePolicy('regression', { accuracyBelow: 0.8, lastN: { n: 10, accuracyBelow: 0.5 } }));
    expect(regression).toMatchObject({ status: 422, paths: ['/body/accuracyBelow', '/body/lastN'] });
    const classification = errorsOf(() => resolvePolicy('binary', { maxMape: 20, maxMae: 1, maxRmse: 2 }));
    expect(classification).toMatchObject({ status: 422, paths: ['/body/maxMape', '/body/maxMae', '/body/maxRmse'] });
    // Explicitly switching them off is fine.
    expect(resolvePolicy('binary', { maxMape: null }).maxMape).toBeNull();
  });
});

describe('the retrain decision', () => {
  const policy = { ...defaultPolicy('binary'), accuracyBelow: 0.6 };

  it('passes every check of a healthy model, listing each with value, threshold, window and result', () => {
    const d = decideRetrain('binary', policy, healthy(), NOW);
    expect(d).toMatchObject({ shouldRetrain: false, reasons: [], blockedBy: [] });
    expect(d.checks.map((c) => [c.name, c.kind, c.result])).toEqual([
      ['minSamples', 'precondition', 'pass'],
      ['accuracy', 'trigger', 'pass'],
      ['lastNAccuracy', 'trigger', 'pass'],
      ['mape', 'trigger', 'skipped'],
      ['mae', 'trigger', 'skipped'],
      ['rmse', 'trigger', 'skipped'],
      ['drift', 'trigger', 'skipped'],
      ['openRequest', 'guard', 'pass'],
      ['cooldown', 'guard', 'pass'],
      ['webhook', 'guard', 'pass'],
    ]);
    expect(check(d, 'accuracy')).toMatchObject({ value: 0.7, threshold: 0.6, window: '7d' });
    expect(check(d, 'drift').detail).toBe('no drift report');
  });

  it('retrains when accuracy falls below the threshold, with the reason', () => {
    const d = decideRetrain('binary', policy, healthy({ window: { samples: 400, accuracy: 0.52, mae: null, rmse: null, mape: null } }), NOW);
    expect(d.shouldRetrain).toBe(true);
    expect(d.reasons).toEqual(['accuracy 0.52 over the last 7d is below 0.6']);
  });

  it('says "not enough samples" and judges no metric below minSamples', () => {
    const d = decideRetrain('binary', policy, healthy({ window: { samples: 12, accuracy: 0.1, mae: null, rmse: null, mape: null } }), NOW);
    expect(d.shouldRetrain).toBe(false);
    expect(check(d, 'minSamples')).toMatchObject({ result: 'insufficient_data', value: 12, threshold: 50 });
    expect(check(d, 'minSamples').detail).toMatch(/^not enough samples/);
    expect(check(d, 'accuracy').result).toBe('insufficient_data');
  });

  it('judges the last N labeled predictions on their own count', () => {
    const low = decideRetrain('binary', policy, healthy({ lastN: { samples: 10, accuracy: 0.4 } }), NOW);
    expect(low.reasons).toEqual(['accuracy 0.4 over the last 10 labeled predictions is below 0.55']);
    const few = decideRetrain('binary', policy, healthy({ lastN: { samples: 7, accuracy: 0.1 } }), NOW);
    expect(check(few, 'lastNAccuracy')).toMatchObject({ result: 'insufficient_data', window: 'last 10' });
  });

  it('checks MAPE, MAE and RMSE limits for regression', () => {
    const p = resolvePolicy('regression', { maxMae: 3, maxRmse: 5 });
    const d = decideRetrain('regression', p, healthy({ window: { samples: 100, accuracy: null, mae: 3.5, rmse: 4, mape: 35 }, lastN: null }), NOW);
    expect(d.checks.filter((c) => c.result === 'fail').map((c) => c.name)).toEqual(['mape', 'mae']);
    expect(check(d, 'rmse').result).toBe('pass');
    expect(check(d, 'accuracy').result).toBe('skipped');
    const undefinedMape = decideRetrain('regression', p, healthy({ window: { samples: 100, accuracy: null, mae: 1, rmse: 1, mape: null }, lastN: null }), NOW);
    expect(check(undefinedMape, 'mape').result).toBe('insufficient_data');
  });

  it('retrains on drift at or above the policy severity, from a recent report only', () => {
    const report = (severity: string, ageMs = 3_600_000) => ({ severity, reportId: 'r1', createdAt: new Date(NOW.getTime() - ageMs) });
    expect(decideRetrain('binary', policy, healthy({ drift: report('critical') }), NOW).shouldRetrain).toBe(true);
    expect(decideRetrain('binary', policy, healthy({ drift: report('high') }), NOW).shouldRetrain).toBe(true);
    expect(check(decideRetrain('binary', policy, healthy({ drift: report('medium') }), NOW), 'drift').result).toBe('pass');
    expect(check(decideRetrain('binary', policy, healthy({ drift: report('high', 8 * 86_400_000) }), NOW), 'drift').result).toBe('skipped');
    expect(check(decideRetrain('binary', { ...policy, driftSeverity: null }, healthy({ drift: report('critical') }), NOW), 'drift').result).toBe('skipped');
  });

  it('is blocked by an open request, the cooldown or a missing webhook, and says so', () => {
    const failing = { window: { samples: 400, accuracy: 0.5, mae: null, rmse: null, mape: null } };
    const open = decideRetrain('binary', policy, healthy({ ...failing, openRequest: { id: 'req-1', status: 'delivered', createdAt: NOW } }), NOW);
    expect(open).toMatchObject({ shouldRetrain: false, reasons: ['accuracy 0.5 over the last 7d is below 0.6'] });
    expect(open.blockedBy[0]).toMatch(/req-1/);
    const cooling = decideRetrain('binary', policy, healthy({ ...failing, lastCompletedAt: new Date(NOW.getTime() - 3_600_000) }), NOW);
    expect(check(cooling, 'cooldown')).toMatchObject({ result: 'fail', value: '2024-10-19T11:00:00.000Z', threshold: '6h' });
    const over = decideRetrain('binary', policy, healthy({ ...failing, lastCompletedAt: new Date(NOW.getTime() - 7 * 3_600_000) }), NOW);
    expect(over.shouldRetrain).toBe(true);
    const missing = decideRetrain('binary', policy, healthy({ ...failing, webhook: { status: 'missing', reason: null } }), NOW);
    expect(missing.blockedBy).toEqual(['no training webhook: configure one with PUT /v1/models/{model}/webhook']);
    // A guard alone is no reason to retrain.
    expect(decideRetrain('binary', policy, healthy({ webhook: { status: 'disabled', reason: '410' } }), NOW).blockedBy).toEqual([]);
  });
});
