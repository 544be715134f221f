import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import { mulberry32 } from '../../src/stats/index.js';
import { call } from './app.js';

/** Helpers for the analytics route tests: seeded data, ingestion through the API, numeric comparison. */

export function random(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    normal(mean = 0, sd = 1): number {
      const u = Math.max(next(), 1e-12);
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    int(lo: number, hi: number): number {
      return lo + Math.floor(next() * (hi - lo + 1));
    },
    pick<T>(items: readonly T[]): T {
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** Logs the items through POST /v1/predictions/batch (in chunks), failing loudly on any refused item. */
export async function ingest(app: App, items: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < items.length; i += 5000) {
    const r = await call(app, 'POST', '/v1/predictions/batch', { items: items.slice(i, i + 5000) });
    if (r.statusCode !== 201) throw new Error(`batch: ${r.statusCode} ${r.body.slice(0, 2000)}`);
  }
}

export async function getJson(app: App, url: string) {
  const r = await call(app, 'GET', url);
  if (r.statusCode !== 200) throw new Error(`GET ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
}

/** |actual − expected| ≤ 1e-9·|expected| (+1e-12 for values at 0). */
export function expectClose(actual: unknown, expected: number, what = ''): void {
  expect(typeof actual, `${what}: ${String(actual)} should be a number`).toBe('number');
  const a = actual as number;
  expect(Math.abs(a - expected), `${what}: ${a} vs expected ${expected}`).toBeLessThanOrEqual(1e-9 * Math.abs(expected) + 1e-12);
}

export const iso = (ms: number) => new Date(ms).toISOString();
