import http from 'node:http';
import autocannon from 'autocannon';
import { Samples } from './stats.js';

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  /** Successful (2xx) responses per second over the run. */
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** Latency of 2xx responses, in ms, measured per request (not autocannon's 1 ms-bucketed histogram). */
  latency: LatencySummary;
  /** The first non-2xx answer, for the error message. */
  firstFailure?: string;
}

export interface ClosedLoopOptions {
  url: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** A fresh body per request. */
  body: () => string;
  signal: AbortSignal;
}

/**
 * Closed-loop HTTP load with autocannon (keep-alive connections, each sending its next request when the
 * previous answered). Latencies come from autocannon's per-response hrtime figure, kept at full resolution.
 */
export function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const latencies = new Samples();
  let firstFailure: string | undefined;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        headers: { 'content-type': 'application/json', ...options.headers },
        requests: [
          {
            method: 'POST',
            path: options.path,
            setupRequest: (request) => ({ ...request, body: options.body() }),
            onResponse: (status, body) => {
              if ((status < 200 || status > 299) && firstFailure === undefined) firstFailure = `${status} ${String(body).slice(0, 500)}`;
            },
          },
        ],
      },
      (error, result) => {
        options.signal.removeEventListener('abort', abort);
        if (error) return reject(error);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const ok = result['2xx'];
        resolve({
          rps: ok / seconds,
          ok,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds,
          latency: latencies.summary(),
          firstFailure,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode <= 299) latencies.push(responseTime);
    });
    const abort = () => instance.stop();
    options.signal.addEventListener('abort', abort, { once: true });
  });
}

/** A keep-alive POST that resolves with status and body (for batch requests, where autocannon adds nothing). */
export function post(agent: http.Agent, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
