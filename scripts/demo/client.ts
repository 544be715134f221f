import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** A failure the demo explains: what went wrong, and what to do about it. */
export class DemoError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface Problem {
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** An answer the caller did not expect: the status and the problem+json body. */
export class ApiError extends DemoError {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly problem: Problem | null,
    body: string,
  ) {
    super(`${method} ${url} answered ${status}: ${problem?.detail ?? body.slice(0, 500)}`);
  }
}

const ROOT = path.resolve(import.meta.dirname, '../..');

const START_HINT = 'start it in another terminal with `npm start` and wait for "Hindsight is ready", or set HINDSIGHT_URL to where it runs';

/** Where Hindsight runs: HINDSIGHT_URL (or HS, as in the README's walkthrough), else http://127.0.0.1:$PORT (3000), as `npm start` serves. */
export function resolveBase(env: NodeJS.ProcessEnv): string {
  const explicit = env.HINDSIGHT_URL?.trim() || env.HS?.trim();
  const base = explicit || `http://127.0.0.1:${env.PORT?.trim() || '3000'}`;
  if (!/^https?:\/\/[^\s/]+/.test(base)) throw new DemoError(`HINDSIGHT_URL must be an http(s) URL such as http://127.0.0.1:3000, got "${base}"`);
  return base.replace(/\/+$/, '');
}

/** Where `npm start` keeps the generated admin key in embedded mode: beside EMBEDDED_PG_DATA_DIR (default .data/postgres). */
export function keyFile(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(path.resolve(ROOT, env.EMBEDDED_PG_DATA_DIR?.trim() || '.data/postgres')), 'admin-key');
}

export interface Key {
  key: string;
  /** Where it came from, for messages. */
  source: string;
}

/** KEY (or HINDSIGHT_ADMIN_KEY), else the admin key `npm start` keeps in .data/admin-key in embedded mode. */
export async function resolveKey(env: NodeJS.ProcessEnv): Promise<Key> {
  for (const name of ['KEY', 'HINDSIGHT_ADMIN_KEY'] as const) {
    const value = env[name]?.trim();
    if (value) return { key: value, source: name };
  }
  const file = keyFile(env);
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new DemoError(
      `no API key: KEY is not set and ${path.relative(process.cwd(), file) || file} ${reason}`,
      '`npm start` (embedded mode, no HINDSIGHT_ADMIN_KEY) writes the admin key it generates there on its first start: start it in another terminal, ' +
        'or set KEY to an admin API key (KEY=hs_… npm run demo)',
    );
  }
  if (!text) throw new DemoError(`no API key: ${file} is empty`, 'set KEY to an admin API key (KEY=hs_… npm run demo)');
  return { key: text, source: path.relative(process.cwd(), file) || file };
}

/** Why a fetch failed, in a few words: "connect ECONNREFUSED 127.0.0.1:3000" rather than "fetch failed". */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.message) return cause.message;
  if ((error as Error).name === 'TimeoutError') return 'no answer within the time limit';
  return (error as Error).message;
}

/** The Hindsight API with an admin key: JSON in and out, a clear error for any unexpected status. */
export class Hindsight {
  constructor(
    readonly base: string,
    private readonly key: string,
  ) {}

  async request<T = any>(method: string, url: string, body?: unknown, expected: number[] = [200, 201, 202]): Promise<{ status: number; body: T }> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${url}`, {
        method,
        headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new DemoError(`${method} ${this.base}${url} failed: ${reasonOf(error)}`, `is Hindsight still running? If not, ${START_HINT}`);
    }
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!expected.includes(response.status)) throw new ApiError(method, url, response.status, parsed as Problem | null, text);
    return { status: response.status, body: parsed as T };
  }

  get<T = any>(url: string): Promise<T> {
    return this.request<T>('GET', url).then((r) => r.body);
  }

  post<T = any>(url: string, body: unknown): Promise<T> {
    return this.request<T>('POST', url, body).then((r) => r.body);
  }

  put<T = any>(url: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', url, body).then((r) => r.body);
  }

  /** A non-JSON answer (the report page), as text. */
  async text(url: string): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${url}`, { headers: { authorization: `Bearer ${this.key}` }, signal: AbortSignal.timeout(60_000) });
    } catch (error) {
      throw new DemoError(`GET ${this.base}${url} failed: ${reasonOf(error)}`, `is Hindsight still running? If not, ${START_HINT}`);
    }
    const body = await response.text();
    if (response.status !== 200) throw new ApiError('GET', url, response.status, null, body);
    return body;
  }

  /** Sends items in batches of up to 5,000, failing on any refused item. */
  async batch(url: string, items: unknown[]): Promise<void> {
    for (let i = 0; i < items.length; i += 5000) {
      const result = await this.post<{ failed: number; results: { status: string; error?: { detail: string } }[] }>(url, { items: items.slice(i, i + 5000) });
      if (result.failed > 0) {
        const first = result.results.find((r) => r.status === 'failed');
        throw new DemoError(`${url}: ${result.failed} items refused, e.g. ${first?.error?.detail ?? 'unknown'}`);
      }
    }
  }
}

/** Checks that Hindsight answers at `base` and accepts the key. */
export async function connect(base: string, key: Key): Promise<Hindsight> {
  let ready: Response;
  try {
    ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new DemoError(`Hindsight is not running at ${base} (${reasonOf(error)})`, START_HINT);
  }
  if (ready.status !== 200) {
    throw new DemoError(`${base}/readyz answered ${ready.status}: Hindsight is not ready (${(await ready.text()).slice(0, 300)})`, 'wait for "Hindsight is ready" in its log, then run the demo again');
  }
  const client = new Hindsight(base, key.key);
  try {
    await client.get('/v1/api-keys?limit=1');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      throw new DemoError(
        `the API key from ${key.source} was refused (${error.status}): ${error.problem?.detail ?? ''}`,
        'the demo needs an admin key of the Hindsight at ' + base + ': set KEY=<admin key>, or run it beside the embedded server whose .data/admin-key it reads',
      );
    }
    throw error;
  }
  return client;
}
