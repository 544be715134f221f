import { describe, expect, it } from 'vitest';
import { isSamePrediction, type StoredPrediction } from '../../src/domain/prediction-identity.js';
import type { PredictionBody } from '../../src/domain/prediction-rules.js';

const stored: StoredPrediction = {
  id: 'p-1',
  modelName: 'nba',
  versionName: 'v3',
  externalId: 'g-1',
  unit: null,
  features: { elo: 1620.5, venue: 'home', injured: false, note: null },
  predictedLabel: 'LAL',
  predictedValue: null,
  confidence: 0.78,
  probabilities: { LAL: 0.78, BOS: 0.22 },
  predictedAt: new Date('2024-10-18T23:00:00Z'),
  outcome: { actualLabel: 'BOS', actualValue: null, observedAt: new Date('2024-10-19T01:30:00Z'), source: 'ground_truth' },
};

const body: PredictionBody = {
  model: 'nba',
  externalId: 'g-1',
  features: { note: null, injured: false, venue: 'home', elo: 1620.5 },
  prediction: 'LAL',
  confidence: 0.78,
  probabilities: { BOS: 0.22, LAL: 0.78 },
};

describe('isSamePrediction', () => {
  it('matches the same content whatever the key order, with defaults left out', () => {
    expect(isSamePrediction(body, stored)).toBe(true);
    expect(isSamePrediction({ ...body, version: 'v3', predictedAt: '2024-10-19T01:00:00+02:00' }, stored)).toBe(true);
    expect(isSamePrediction({ ...body, actual: 'BOS' }, stored)).toBe(true);
    expect(isSamePrediction({ ...body, actual: 'BOS', observedAt: '2024-10-19T01:30:00.000Z', source: 'ground_truth' }, stored)).toBe(true);
  });

  it('tells every changed field apart', () => {
    const changes: Partial<PredictionBody>[] = [
      { model: 'other' },
      { id: 'p-2' },
      { externalId: 'g-2' },
      { unit: 'u-1' },
      { version: 'v2' },
      { predictedAt: '2024-10-18T23:00:01Z' },
      { prediction: 'BOS' },
      { confidence: 0.77 },
      { confidence: undefined },
      { probabilities: { LAL: 0.7, BOS: 0.3 } },
      { probabilities: undefined },
      { features: { ...body.features, elo: 1620.6 } },
      { features: { ...body.features, extra: 1 } },
      { features: { elo: 1620.5, venue: 'home', injured: false } },
      { actual: 'LAL' },
      { actual: 'BOS', source: 'human' },
      { actual: 'BOS', observedAt: '2024-10-19T01:31:00Z' },
    ];
    for (const change of changes) expect(isSamePrediction({ ...body, ...change }, stored), JSON.stringify(change)).toBe(false);
    expect(isSamePrediction({ ...body, actual: 'BOS' }, { ...stored, outcome: null })).toBe(false);
  });

  it('compares regression values as numbers', () => {
    const regression = { ...stored, predictedLabel: null, predictedValue: 12.5, confidence: null, probabilities: null, outcome: null };
    expect(isSamePrediction({ model: 'nba', externalId: 'g-1', features: body.features, prediction: 12.5 }, regression)).toBe(true);
    expect(isSamePrediction({ model: 'nba', externalId: 'g-1', features: body.features, prediction: 12.25 }, regression)).toBe(false);
  });
});
