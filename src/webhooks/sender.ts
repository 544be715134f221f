import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { type TargetPolicy, guardedLookup, hostOf, refusedRange } from './ssrf.js';

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The Retry-After header of a failed answer, as sent. */
  retryAfter: string | undefined;
}

const SNIPPET_BYTES = 512;

/**
 * POSTs one webhook. Success is a 2xx; any other status — redirects included, which are never followed —
 * is a failure described in `error` (with the start of the body). The whole exchange is bounded by
 * `timeoutMs`. The target is checked again here (scheme, IP literal, and every address DNS returns at
 * connection time), whatever was checked when the URL was saved.
 */
export function postWebhook(target: string, headers: Record<string, string>, body: string, options: { timeoutMs: number; policy: TargetPolicy }): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refuse = (error: string): Promise<SendResult> => Promise.resolve({ ok: false, statusCode: null, durationMs: elapsed(), error, retryAfter: undefined });
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return refuse('refused: the URL is invalid');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.policy.allowPrivate)) return refuse(`refused: ${url.protocol} URLs are not allowed (https only)`);
  const host = hostOf(url);
  if (isIP(host)) {
    const refused = refusedRange(host, options.policy.allowPrivate);
    if (refused) return refuse(`refused: ${host} is a ${refused} address`);
  }
  const client = url.protocol === 'https:' ? https : http;

  return new Promise((resolve) => {
    let settled = false;
    let statusCode: number | null = null;
    let snippet = '';
    let retryAfter: string | undefined;
    const finish = (result: Omit<SendResult, 'durationMs' | 'statusCode' | 'retryAfter'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, statusCode, retryAfter, durationMs: elapsed() });
    };
    const failure = () => {
      const text = snippet.replace(/\s+/g, ' ').trim().slice(0, 200);
      if (statusCode !== null && statusCode >= 300 && statusCode < 400) {
        return `HTTP ${statusCode}: a redirect${location ? ` to ${location.slice(0, 200)}` : ''}, not followed`;
      }
      return `HTTP ${statusCode}${text ? `: ${text}` : ''}`;
    };
    let location: string | undefined;

    const request = client.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, lookup: guardedLookup(options.policy), agent: false },
      (response) => {
        statusCode = response.statusCode ?? null;
        retryAfter = typeof response.headers['retry-after'] === 'string' ? response.headers['retry-after'] : undefined;
        location = typeof response.headers.location === 'string' ? response.headers.location : undefined;
        if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
          response.resume();
          finish({ ok: true, error: null });
          return;
        }
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (snippet.length < SNIPPET_BYTES) snippet += chunk;
          if (snippet.length >= SNIPPET_BYTES) {
            finish({ ok: false, error: failure() });
            request.destroy();
          }
        });
        response.on('end', () => finish({ ok: false, error: failure() }));
        response.on('error', () => finish({ ok: false, error: failure() }));
      },
    );
    const timer = setTimeout(() => {
      // A receiver that answered a status but never finished its body failed with that status.
      finish({ ok: false, error: statusCode !== null ? failure() : `timed out after ${options.timeoutMs} ms` });
      request.destroy();
    }, options.timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (statusCode !== null) return finish({ ok: false, error: failure() });
      finish({ ok: false, error: describeError(error) });
    });
    request.end(body);
  });
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EREFUSEDTARGET') return error.message;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the receiver',
    ENOTFOUND: 'the host does not resolve',
    EAI_AGAIN: 'DNS lookup failed temporarily',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    CERT_HAS_EXPIRED: 'the TLS certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
    ERR_TLS_CERT_ALTNAME_INVALID: 'the TLS certificate does not match the host',
  };
  return error.code && known[error.code] ? `${known[error.code]} (${error.code})` : `${error.code ? `${error.code}: ` : ''}${error.message}`;
}
