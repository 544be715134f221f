import { describe, expect, it } from 'vitest';
import {
  type DdmState,
  ddmInitialState,
  ddmUpdate,
  type DetectorStatus,
  pageHinkleyInitialState,
  pageHinkleyUpdate,
  type PageHinkleyState,
} from '../../src/stats/index.js';

// Indices of the first warning/drift come from a line-by-line Python transcription of river's
// drift.binary.DDM and drift.PageHinkley run on the same deterministic streams.

function runDdm(stream: boolean[]): { status: DetectorStatus[]; state: DdmState } {
  let state = ddmInitialState();
  const status: DetectorStatus[] = [];
  for (const e of stream) {
    // Round-trip through JSON at every step: the state must survive storage unchanged.
    const r = ddmUpdate(JSON.parse(JSON.stringify(state)) as DdmState, e);
    state = r.state;
    status.push(r.status);
  }
  return { status, state };
}

describe('ddm (river DDM)', () => {
  it('warns at 616 and signals drift at 636 when the error rate jumps from 10% to 50%', () => {
    const stream = [
      ...Array.from({ length: 600 }, (_, i) => i % 10 === 0),
      ...Array.from({ length: 400 }, (_, i) => i % 2 === 0),
    ];
    const { status } = runDdm(stream);
    expect(status.indexOf('warning')).toBe(616);
    expect(status.indexOf('drift')).toBe(636);
    expect(status.slice(0, 616).every((s) => s === 'stable')).toBe(true);
  });

  it('stays silent during the warm-up and resets after a drift', () => {
    const { status: warm } = runDdm(Array.from({ length: 30 }, (_, i) => i > 20));
    expect(warm.every((s) => s === 'stable')).toBe(true);
    // 40 correct predictions then one error: p_min = s_min = 0, so any error is a drift (as in river).
    const { status, state } = runDdm([...Array.from({ length: 40 }, () => false), true]);
    expect(status.at(-1)).toBe('drift');
    expect(state.n).toBe(41);
    const next = ddmUpdate(state, false);
    expect(next.state.n).toBe(1);
    expect(next.status).toBe('stable');
  });

  it('keeps a plain-JSON state', () => {
    const { state } = runDdm([false, true, false]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state.pMin).toBeNull();
  });
});

function runPh(stream: number[]): DetectorStatus[] {
  let state: PageHinkleyState = pageHinkleyInitialState();
  return stream.map((x) => {
    const r = pageHinkleyUpdate(JSON.parse(JSON.stringify(state)) as PageHinkleyState, x);
    state = r.state;
    return r.status;
  });
}

describe('pageHinkley (river PageHinkley, defaults)', () => {
  it('detects an upward shift at 1010', () => {
    const stream = [...Array.from({ length: 1000 }, (_, i) => i % 2), ...Array.from({ length: 1000 }, (_, i) => 4 + (i % 4))];
    expect(runPh(stream).indexOf('drift')).toBe(1010);
  });

  it('detects a downward shift at 1008 in mode "both"', () => {
    const stream = [...Array.from({ length: 1000 }, (_, i) => 5 + (i % 4)), ...Array.from({ length: 1000 }, (_, i) => i % 2)];
    expect(runPh(stream).indexOf('drift')).toBe(1008);
  });

  it('ignores a downward shift in mode "up" and never warns', () => {
    let state = pageHinkleyInitialState();
    const seen = new Set<DetectorStatus>();
    for (const x of [...Array.from({ length: 500 }, () => 6), ...Array.from({ length: 500 }, () => 0)]) {
      const r = pageHinkleyUpdate(state, x, { mode: 'up' });
      state = r.state;
      seen.add(r.status);
    }
    expect([...seen]).toEqual(['stable']);
  });
});
