import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * The webhook receiver of the `webhooks` fault scenario: one HTTP server on 127.0.0.1 whose paths
 * (`/hook/<mode>/<model>/<retrain|promotion>`) fail in one way on the first attempt of each message (by
 * `webhook-id`) and answer 200 afterwards — `gone` answers 410 every time — and a second server for the
 * `refused` mode that only starts listening when told. Every request is recorded with whether its Standard
 * Webhooks signature verifies.
 */

export type Mode = 'ok' | 'timeout' | '5xx' | 'retry-after' | '4xx' | 'reset' | 'refused' | 'slow-body' | 'slow-ok' | 'redirect' | 'gone';

export const RETRY_AFTER_S = 8;
const SLOW_BODY_MS = 20_000;

export interface Hit {
  at: number;
  path: string;
  id: string;
  body: string;
  answer: string;
  signatureOk: boolean;
}

/** The receiver (all modes but `refused`, which has its own port that starts listening late). */
export function startReceiver(secrets: Map<string, string>) {
  const hits: Hit[] = [];
  const seen = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const id = String(req.headers['webhook-id'] ?? '');
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const [, , mode, model, kind] = path.split('/') as [string, string, Mode, string, string];
      let signatureOk = false;
      try {
        new Webhook(secrets.get(`${model}/${kind}`) ?? '').verify(body, req.headers as Record<string, string>);
        signatureOk = true;
      } catch {
        signatureOk = false;
      }
      const hit: Hit = { at: Date.now(), path, id, body, answer: '', signatureOk };
      hits.push(hit);
      const answer = (status: number, headers: Record<string, string> = {}, text = '') => {
        hit.answer = String(status);
        res.writeHead(status, headers);
        res.end(text);
      };
      const index = Number(model?.split('-').pop() ?? 0);
      if (mode === 'gone') return answer(410, {}, 'gone');
      if (n > 1 || mode === 'ok' || mode === 'refused' || path.startsWith('/followed')) return answer(200, {}, 'ok');
      switch (mode) {
        case 'timeout':
          hit.answer = 'hang';
          hanging.add(res);
          return;
        case '5xx':
          return answer([500, 502, 503][index % 3]!, {}, 'upstream trouble');
        case 'retry-after':
          return answer(503, { 'retry-after': String(RETRY_AFTER_S) }, 'busy');
        case '4xx':
          return answer([400, 404, 422][index % 3]!, {}, 'bad request');
        case 'reset':
          hit.answer = 'reset';
          req.socket.destroy();
          return;
        case 'redirect':
          return answer(302, { location: `/followed${path}` });
        case 'slow-body':
        case 'slow-ok': {
          // The status line at once, then the body a few bytes a second for longer than the attempt timeout.
          hit.answer = mode === 'slow-ok' ? '200 (slow body)' : '500 (slow body)';
          res.writeHead(mode === 'slow-ok' ? 200 : 500, { 'content-type': 'text/plain' });
          const started = Date.now();
          const drip = setInterval(() => {
            if (res.destroyed || Date.now() - started > SLOW_BODY_MS) {
              clearInterval(drip);
              if (!res.destroyed) res.end('.');
              return;
            }
            res.write('.');
          }, 1_000);
          return;
        }
        default:
          return answer(200, {}, 'ok');
      }
    });
  };
  const server = http.createServer(handler);
  const refused = http.createServer(handler);
  return {
    hits,
    server,
    refused,
    async close() {
      for (const res of hanging) res.destroy();
      for (const s of [server, refused]) {
        s.closeAllConnections();
        if (s.listening) await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };
}

export const listen = (server: http.Server, port = 0) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
