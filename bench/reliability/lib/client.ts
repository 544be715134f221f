import http from 'node:http';

/**
 * The client side of the fault tests: a well-behaved serving client that sends each prediction with a
 * stable id and retries it (same id, same body) until it is acknowledged, backing off on 503/429 (honouring
 * Retry-After up to a cap, so that the runs stay short) and on connection errors.
 */

export interface Answer {
  /** null: no HTTP answer (connection refused or reset, timeout). */
  status: number | null;
  body: unknown;
  retryAfterSeconds: number | null;
  error: string | null;
  ms: number;
}

// One keep-alive pool, like a serving process with its HTTP client.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });

export function post(url: string, key: string, body: unknown, timeoutMs = 10_000): Promise<Answer> {
  const started = performance.now();
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Omit<Answer, 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...answer, ms: performance.now() - started });
    };
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': payload.length } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error: NodeJS.ErrnoException) => done({ status: null, body: null, retryAfterSeconds: null, error: error.code ?? error.message }));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retryAfter = Number(response.headers['retry-after']);
          done({
            status: response.statusCode ?? null,
            body: text ? safeJson(text) : null,
            retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
            error: null,
          });
        });
      },
    );
    const timer = setTimeout(() => {
      done({ status: null, body: null, retryAfterSeconds: null, error: 'TIMEOUT' });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => done({ status: null, body: null, retryAfterSeconds: null, error: error.code ?? error.message }));
    request.end(payload);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Exponential backoff from 100 ms, capped at 1 s, ±50 % jitter; Retry-After honoured up to `maxRetryAfterMs`. */
export function backoff(attempt: number, retryAfterSeconds: number | null, maxRetryAfterMs = 2_000): number {
  const base = Math.min(1_000, 100 * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random());
  return retryAfterSeconds === null ? base : Math.max(base, Math.min(retryAfterSeconds * 1000, maxRetryAfterMs));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts of answers by kind: `201`, `503`, `ECONNREFUSED`… */
export class Tally {
  readonly counts = new Map<string, number>();
  add(answer: Answer): void {
    const kind = answer.status === null ? (answer.error ?? 'error') : String(answer.status);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }
  get(kind: string): number {
    return this.counts.get(kind) ?? 0;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort());
  }
}

/** Runs `tick(i)` at `perSecond`, open loop (a slow answer does not slow the schedule), until `untilMs` (Date.now()). */
export async function openLoop(perSecond: number, untilMs: number, tick: (i: number) => void): Promise<void> {
  const start = Date.now();
  let i = 0;
  while (Date.now() < untilMs) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(Math.min(wait, untilMs - Date.now()));
    if (Date.now() >= untilMs) break;
    tick(i++);
  }
}
