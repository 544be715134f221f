import { describe, expect, it } from 'vitest';
import { type DetectorRecord, type StreamEvent, initialDetector, observe } from '../../src/domain/drift/stream.js';
import { ddmInitialState, ddmUpdate, mulberry32 } from '../../src/stats/index.js';

const at = (i: number) => new Date(Date.UTC(2024, 9, 1) + i * 1000);

function feed(record: DetectorRecord, outcomes: { correct?: boolean; absoluteError?: number }[], start = 0): StreamEvent[] {
  const events: StreamEvent[] = [];
  outcomes.forEach((o, i) => {
    const e = observe(record, { predictionId: `p${start + i}`, recordedAt: at(start + i), correct: o.correct ?? null, absoluteError: o.absoluteError ?? null });
    if (e) events.push(e);
  });
  return events;
}

describe('streaming detectors', () => {
  it('DDM: the record follows river’s DDM exactly, and a rise of the error rate is a drift event', () => {
    const rnd = mulberry32(5);
    const stream = [...Array.from({ length: 500 }, () => rnd() < 0.2), ...Array.from({ length: 300 }, () => rnd() < 0.6)];
    const record = initialDetector('ddm');
    const events = feed(record, stream.map((error) => ({ correct: !error })));
    // The same stream through the stats state machine directly.
    let state = ddmInitialState();
    let drifts = 0;
    for (const error of stream) {
      const r = ddmUpdate(state, error);
      state = r.state;
      if (r.status === 'drift') drifts++;
    }
    expect(record.state).toEqual(state);
    expect(record.driftCount).toBe(drifts);
    const drift = events.find((e) => e.kind === 'drift')!;
    expect(drift.samples).toBeGreaterThan(500 - 1);
    expect(Number(drift.predictionId.slice(1))).toBeGreaterThanOrEqual(500);
    expect(record.totalSamples).toBe(800);
    expect(record.lastDriftAt).toEqual(at(Number(events.filter((e) => e.kind === 'drift').at(-1)!.predictionId.slice(1))));
  });

  it('DDM: after a drift the next outcome starts a new run', () => {
    const record = initialDetector('ddm');
    feed(record, [...Array.from({ length: 100 }, (_, i) => ({ correct: i % 4 !== 0 })), ...Array.from({ length: 100 }, () => ({ correct: false }))]);
    const firstDrift = record.lastDriftAt!;
    expect(firstDrift).not.toBeNull();
    if (record.status === 'drift') {
      feed(record, [{ correct: true }], 1000);
      expect(record.samples).toBe(1);
      expect(record.runStartedAt).toEqual(at(1000));
    }
  });

  it('Page–Hinkley: errors scaled by the run’s first 30, stable on noise, a drift when the error grows', () => {
    const rnd = mulberry32(9);
    const noise = (scale: number) => Math.abs((rnd() - 0.5) * 2 * scale);
    const small = initialDetector('page-hinkley');
    const large = initialDetector('page-hinkley');
    // The same stream in two units (×1000): the detector sees the same scaled errors.
    const base = Array.from({ length: 400 }, () => noise(1));
    feed(small, base.map((e) => ({ absoluteError: e })));
    feed(large, base.map((e) => ({ absoluteError: e * 1000 })));
    expect(small.status).toBe('stable');
    expect(large.driftCount).toBe(small.driftCount);
    expect(small.samples).toBe(400);
    const events = feed(small, Array.from({ length: 200 }, () => ({ absoluteError: 3 + noise(1) })), 400);
    expect(events.some((e) => e.kind === 'drift')).toBe(true);
  });

  it('ignores outcomes without the detector’s input', () => {
    const ddm = initialDetector('ddm');
    expect(feed(ddm, [{ absoluteError: 1 }])).toEqual([]);
    expect(ddm.totalSamples).toBe(0);
  });
});
