import { describe, expect, it } from 'vitest';
import { SEVERITY_RULE, conceptSeverity, featureSeverity, overallSeverity } from '../../src/domain/drift/severity.js';

describe('severity rule hindsight-drift-severity v1', () => {
  it('is named and versioned', () => {
    expect(SEVERITY_RULE).toEqual({ name: 'hindsight-drift-severity', version: '1' });
  });

  it('features: significance decides whether, PSI bands how much; missing values and vanished features count', () => {
    const f = (testDrifted: boolean, psi: number | null, missingShift = 0, status: 'tested' | 'missing_in_current' | 'missing_in_reference' = 'tested') =>
      featureSeverity({ status, testDrifted, psi, missingShift });
    expect(f(false, 3)).toBe('none');
    expect(f(true, 0.02)).toBe('low');
    expect(f(true, 0.1)).toBe('medium');
    expect(f(true, 0.249)).toBe('medium');
    expect(f(true, 0.25)).toBe('high');
    expect(f(false, 0, 0.12)).toBe('medium');
    expect(f(false, 0, -0.3)).toBe('high');
    expect(f(true, 0.01, 0.3)).toBe('high');
    expect(f(false, null, 0, 'missing_in_current')).toBe('high');
    expect(f(false, null, 0, 'missing_in_reference')).toBe('low');
  });

  it('concept: only a significant change counts; degradation bands 5 % and 20 %; an improvement is low', () => {
    expect(conceptSeverity({ pValue: 0.2, degradation: 0.5 })).toBe('none');
    expect(conceptSeverity({ pValue: null, degradation: 0.5 })).toBe('none');
    expect(conceptSeverity({ pValue: 0.01, degradation: 0.02 })).toBe('medium');
    expect(conceptSeverity({ pValue: 0.01, degradation: 0.05 })).toBe('high');
    expect(conceptSeverity({ pValue: 0.01, degradation: 0.2 })).toBe('critical');
    expect(conceptSeverity({ pValue: 0.01, degradation: -0.3 })).toBe('low');
  });

  it('overall: the worst kind; half the features drifting raises data drift one step (at most high); concept plus moved inputs is critical', () => {
    const o = (features: ('low' | 'medium' | 'high')[], share: number, prediction: 'none' | 'low' | 'medium' | 'high', concept: 'none' | 'low' | 'medium' | 'high' | 'critical' | null) =>
      overallSeverity({ features, share, prediction, concept });
    expect(o([], 0, 'none', null).severity).toBe('none');
    expect(o(['low'], 0.1, 'none', 'none')).toEqual({ severity: 'low', levels: { data: 'low', prediction: 'none', concept: 'none' } });
    expect(o(['low', 'low'], 0.5, 'none', null).severity).toBe('medium');
    expect(o(['high', 'high', 'high'], 1, 'none', null).severity).toBe('high');
    expect(o([], 0, 'medium', 'none').severity).toBe('medium');
    expect(o([], 0, 'none', 'critical').severity).toBe('critical');
    expect(o([], 0, 'none', 'high').severity).toBe('high');
    expect(o(['medium'], 0.2, 'none', 'high').severity).toBe('critical');
    expect(o(['low'], 0.2, 'medium', 'high').severity).toBe('critical');
    expect(o(['low'], 0.2, 'low', 'high').severity).toBe('high');
    expect(o(['high'], 0.2, 'high', 'medium').severity).toBe('high');
  });
});
