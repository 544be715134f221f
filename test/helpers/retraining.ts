import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppOverrides, App } from '../../src/app.js';
import { call, createTestApp, type TestContext } from './app.js';

/**
 * Helpers for the retraining-loop tests: an app with the loop's test seams (fast retry schedule, short
 * timeout, private targets allowed), a real HTTP receiver on 127.0.0.1, and seeded labeled predictions.
 */

/** Delays shrunk ~1000×, no jitter: the schedule's shape, in milliseconds. */
export const FAST_SCHEDULE = [0, 5, 10, 10, 10, 10, 10, 10];

export function createRetrainingApp(overrides: AppOverrides = {}, env: Record<string, string> = {}): Promise<TestContext> {
  return createTestApp(
    { HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true', ...env },
    { ...overrides, delivery: { schedule: FAST_SCHEDULE, jitter: 0, timeoutMs: 2_000, ...overrides.delivery } },
  );
}

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Responder = (request: Received) => { status: number; headers?: Record<string, string>; body?: string; hang?: boolean } | Promise<{ status: number; headers?: Record<string, string>; body?: string; hang?: boolean }>;

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Replace how the next requests are answered (default 200). */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records every request and answers as told. */
export async function startReceiver(path = '/hooks/retrain'): Promise<Receiver> {
  let responder: Responder = () => ({ status: 200, body: 'ok' });
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const entry: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now() };
      received.push(entry);
      Promise.resolve(responder(entry)).then((answer) => {
        if (answer.hang) {
          hanging.add(res);
          return;
        }
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    received,
    respond(next) {
      responder = next;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Logs `n` labeled predictions of a binary model (labels BOS/LAL), `correct` of them right, over the hour
 * (or `spanMs`) before `end` (default a minute ago), through the batch API.
 */
export async function seedBinary(app: App, model: string, opts: { n: number; correct: number; version?: string; end?: number; prefix?: string; spanMs?: number }): Promise<void> {
  const end = opts.end ?? Date.now() - 60_000;
  const span = opts.spanMs ?? 3_600_000;
  const items = Array.from({ length: opts.n }, (_, i) => {
    const prediction = i % 2 === 0 ? 'LAL' : 'BOS';
    // The wrong ones spread evenly over the rows (exactly n − correct of them).
    const wrongs = opts.n - opts.correct;
    const wrong = Math.floor(((i + 1) * wrongs) / opts.n) > Math.floor((i * wrongs) / opts.n);
    const actual = wrong ? (prediction === 'LAL' ? 'BOS' : 'LAL') : prediction;
    return {
      model,
      ...(opts.version ? { version: opts.version } : {}),
      externalId: `${opts.prefix ?? 'g'}-${opts.version ?? 'p'}-${i}`,
      features: { homeElo: 1500 + i, restDays: i % 4, venue: i % 3 === 0 ? 'TD Garden' : 'Crypto.com Arena, "LA"' },
      prediction,
      confidence: 0.7,
      predictedAt: new Date(end - Math.floor((span * (opts.n - i)) / opts.n)).toISOString(),
      actual,
    };
  });
  for (let i = 0; i < items.length; i += 5000) {
    const r = await call(app, 'POST', '/v1/predictions/batch', { items: items.slice(i, i + 5000) });
    if (r.statusCode !== 201) throw new Error(`seed: ${r.statusCode} ${r.body.slice(0, 1000)}`);
  }
}

/** Polls `check` until it returns a truthy value (or fails after `timeoutMs`). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
