import { describe, expect, it } from 'vitest';
import { echoWindow, parseDuration, parseWindow } from '../../src/domain/window.js';
import { ValidationError } from '../../src/errors.js';

const now = new Date('2024-10-18T12:00:00.000Z');
const DAY = 86_400_000;

function errorsOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors!;
  }
  throw new Error('expected a ValidationError');
}

describe('parseDuration', () => {
  it('reads <n> + m, h, d, w', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('24h')).toBe(DAY);
    expect(parseDuration('7d')).toBe(7 * DAY);
    expect(parseDuration('2w')).toBe(14 * DAY);
  });

  it('refuses anything else', () => {
    for (const text of ['', '7', 'd', '0d', '-1d', '1.5h', '7D', '7days', '01d', ' 7 d']) expect(parseDuration(text), text).toBeNull();
  });
});

describe('parseWindow', () => {
  it('defaults to the 7 days ending now, half-open', () => {
    expect(parseWindow({}, { now })).toEqual({ kind: 'range', from: new Date(now.getTime() - 7 * DAY), to: now });
  });

  it('takes a duration, a range or the last N', () => {
    expect(parseWindow({ window: '24h' }, { now })).toEqual({ kind: 'range', from: new Date(now.getTime() - DAY), to: now });
    expect(parseWindow({ from: '2024-10-01T00:00:00Z', to: '2024-10-02T00:00:00+02:00' }, { now })).toEqual({
      kind: 'range',
      from: new Date('2024-10-01T00:00:00Z'),
      to: new Date('2024-10-01T22:00:00Z'),
    });
    expect(parseWindow({ last: 10 }, { now })).toEqual({ kind: 'last', n: 10 });
  });

  it('allows a caller-specific default, or none', () => {
    expect(parseWindow({}, { now, defaultWindow: '30d' })).toMatchObject({ from: new Date(now.getTime() - 30 * DAY) });
    expect(errorsOf(() => parseWindow({}, { now, defaultWindow: null }))).toEqual([{ path: '/query/window', message: expect.stringMatching(/is required/) }]);
  });

  it('refuses a mix of forms, naming every parameter involved', () => {
    expect(errorsOf(() => parseWindow({ window: '7d', last: 5 }, { now })).map((e) => e.path)).toEqual(['/query/window', '/query/last']);
    const mixed = errorsOf(() => parseWindow({ from: '2024-10-01T00:00:00Z', to: '2024-10-02T00:00:00Z', last: 5 }, { now }));
    expect(mixed.map((e) => e.path)).toEqual(['/query/from', '/query/to', '/query/last']);
    expect(mixed[2]!.message).toMatch(/cannot be combined with from\/to/);
  });

  it('refuses invalid values with the parameter named', () => {
    expect(errorsOf(() => parseWindow({ window: 'week' }, { now }))).toEqual([{ path: '/query/window', message: expect.stringMatching(/duration/) }]);
    expect(errorsOf(() => parseWindow({ window: '9999d' }, { now }))).toEqual([{ path: '/query/window', message: 'must be at most 3660d' }]);
    expect(errorsOf(() => parseWindow({ last: 0 }, { now }))[0]!.path).toBe('/query/last');
    expect(errorsOf(() => parseWindow({ last: 2.5 }, { now }))[0]!.path).toBe('/query/last');
    expect(errorsOf(() => parseWindow({ from: '2024-10-01T00:00:00Z' }, { now }))).toEqual([{ path: '/query/to', message: 'is required with from' }]);
    expect(errorsOf(() => parseWindow({ to: '2024-10-01T00:00:00Z' }, { now }))).toEqual([{ path: '/query/from', message: 'is required with to' }]);
    expect(errorsOf(() => parseWindow({ from: 'yesterday', to: '2024-10-01T00:00:00Z' }, { now }))[0]!.path).toBe('/query/from');
    expect(errorsOf(() => parseWindow({ from: '2024-10-01T00:00:00Z', to: '2024-10-01T00:00:00Z' }, { now }))).toEqual([
      { path: '/query/from', message: 'must be before to' },
    ]);
  });

  it('names the parameters as the caller calls them (two windows in one request)', () => {
    const errors = errorsOf(() =>
      parseWindow({ from: '2024-10-01T00:00:00Z' }, { now, prefix: '/query', names: { window: 'referenceWindow', from: 'referenceFrom', to: 'referenceTo', last: 'referenceLast' } }),
    );
    expect(errors).toEqual([{ path: '/query/referenceTo', message: 'is required with referenceFrom' }]);
  });
});

describe('echoWindow', () => {
  it('echoes a range as ISO bounds, the last N with the span they cover', () => {
    expect(echoWindow({ kind: 'range', from: new Date(0), to: now })).toEqual({ from: '1970-01-01T00:00:00.000Z', to: '2024-10-18T12:00:00.000Z' });
    expect(echoWindow({ kind: 'last', n: 5 }, { first: new Date(0), last: now })).toEqual({ last: 5, from: '1970-01-01T00:00:00.000Z', to: '2024-10-18T12:00:00.000Z' });
    expect(echoWindow({ kind: 'last', n: 5 })).toEqual({ last: 5, from: null, to: null });
  });
});
