import { describe, expect, it } from 'vitest';
import { parseDriftWindows } from '../../src/domain/window.js';
import { ValidationError } from '../../src/errors.js';

const now = new Date('2024-10-18T12:00:00.000Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(ms);

function errorsOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors!;
  }
  throw new Error('expected a ValidationError');
}

describe('parseDriftWindows', () => {
  it('defaults: the current window is the last 7 days, the reference the 30 days before it', () => {
    expect(parseDriftWindows({}, { now })).toEqual({
      current: { kind: 'range', from: at(now.getTime() - 7 * DAY), to: now },
      reference: { kind: 'range', from: at(now.getTime() - 37 * DAY), to: at(now.getTime() - 7 * DAY) },
    });
  });

  it('relative: current ends now, the reference ends where the current window starts', () => {
    expect(parseDriftWindows({ reference: '14d', current: '24h' }, { now })).toEqual({
      current: { kind: 'range', from: at(now.getTime() - DAY), to: now },
      reference: { kind: 'range', from: at(now.getTime() - 15 * DAY), to: at(now.getTime() - DAY) },
    });
  });

  it('explicit ranges, mixed with relative ones (a relative reference ends at currentFrom)', () => {
    const w = parseDriftWindows({ currentFrom: '2024-10-01T00:00:00Z', currentTo: '2024-10-08T00:00:00Z', reference: '7d' }, { now });
    expect(w.reference).toEqual({ kind: 'range', from: new Date('2024-09-24T00:00:00Z'), to: new Date('2024-10-01T00:00:00Z') });
    const e = parseDriftWindows({ referenceFrom: '2024-01-01T00:00:00Z', referenceTo: '2024-02-01T00:00:00Z' }, { now });
    expect(e.reference).toEqual({ kind: 'range', from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-02-01T00:00:00Z') });
    expect(e.current.to).toEqual(now);
  });

  it('reference=baseline', () => {
    expect(parseDriftWindows({ reference: 'baseline', current: '3d' }, { now }).reference).toEqual({ kind: 'baseline' });
  });

  it('windows may overlap, or be the same', () => {
    const same = { referenceFrom: '2024-10-01T00:00:00Z', referenceTo: '2024-10-08T00:00:00Z', currentFrom: '2024-10-01T00:00:00Z', currentTo: '2024-10-08T00:00:00Z' };
    const w = parseDriftWindows(same, { now });
    expect(w.reference).toEqual(w.current);
  });

  it('names the parameter in every error, under the given prefix', () => {
    expect(errorsOf(() => parseDriftWindows({ reference: 'month' }, { now }))).toEqual([
      { path: '/query/reference', message: 'must be a duration: a positive integer and a unit m, h, d or w (e.g. 24h, 7d, 30d), or "baseline"' },
    ]);
    expect(errorsOf(() => parseDriftWindows({ current: '7d', currentTo: '2024-10-01T00:00:00Z' }, { now })).map((e) => e.path)).toEqual(['/query/current', '/query/currentTo']);
    expect(errorsOf(() => parseDriftWindows({ referenceTo: '2024-10-01T00:00:00Z' }, { now }))).toEqual([{ path: '/query/referenceFrom', message: 'is required with referenceTo' }]);
    expect(errorsOf(() => parseDriftWindows({ reference: 'baseline', referenceTo: '2024-10-01T00:00:00Z' }, { now, prefix: '/body' }))).toEqual([
      { path: '/body/referenceTo', message: 'cannot be combined with reference=baseline' },
    ]);
    expect(errorsOf(() => parseDriftWindows({ currentFrom: '2024-10-02T00:00:00Z', currentTo: '2024-10-01T00:00:00Z' }, { now }))).toEqual([
      { path: '/query/currentFrom', message: 'must be before currentTo' },
    ]);
  });
});
