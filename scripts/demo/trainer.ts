import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { type Label, type Stump, V1_RULE, describeStump, fitStump, predict } from './world.js';

/**
 * A small training service on 127.0.0.1 (what a team would run behind its training webhook): it verifies the
 * signed `retrain.requested` webhook, answers 202 at once, downloads the frozen dataset through its keyless
 * signed URL, checks its SHA-256, "trains" a decision stump on it, and calls back — signed with the same
 * secret, so it needs no API key — with the new version and its training metrics.
 */

export interface Training {
  webhookId: string;
  retrainRequestId: string;
  reasons: string[];
  dataset: { number: number; rows: number; sha256: string };
  stump: Stump;
  accuracy: number;
  /** v1's accuracy on the same rows (what the trainer had to beat). */
  productionAccuracy: number;
  version: string;
  callback: { status: number; body: any };
}

export interface Trainer {
  url: string;
  /** Set once the webhook's secret is known (PUT …/webhook answers it once). */
  setSecret(secret: string): void;
  /** Resolves when a retrain request has been trained and called back (rejects on any failure). */
  trained(timeoutMs: number): Promise<Training>;
  close(): Promise<void>;
}

interface Event {
  type: string;
  data: { retrainRequestId: string; reasons: string[]; dataset: { number: number; rows: number; sha256: string; downloadUrl: string }; callbackUrl: string };
}

export async function startTrainer(version: string): Promise<Trainer> {
  let secret: string | null = null;
  let settle: { resolve: (t: Training) => void; reject: (e: Error) => void } | null = null;
  let outcome: { value?: Training; error?: Error } | null = null;
  const finish = (o: { value?: Training; error?: Error }) => {
    outcome ??= o;
    if (settle) (o.error ? settle.reject(o.error) : settle.resolve(o.value!));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let event: Event;
      try {
        if (req.method !== 'POST' || !secret) throw new Error('not ready');
        // Verify over the exact bytes received: the signature covers "id.timestamp.body".
        event = new Webhook(secret).verify(raw, req.headers as Record<string, string>) as Event;
      } catch {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(202).end();
      if (outcome) return; // a redelivery of the message already handled (same webhook-id)
      train(event, String(req.headers['webhook-id']), secret, version).then(
        (value) => finish({ value }),
        (error: Error) => finish({ error }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/retrain`,
    setSecret: (s) => {
      secret = s;
    },
    trained(timeoutMs) {
      if (outcome) return outcome.error ? Promise.reject(outcome.error) : Promise.resolve(outcome.value!);
      return new Promise<Training>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the trainer received no retrain webhook within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
        settle = {
          resolve: (t) => (clearTimeout(timer), resolve(t)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        };
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function train(event: Event, webhookId: string, secret: string, version: string): Promise<Training> {
  const { dataset, callbackUrl, retrainRequestId } = event.data;
  const download = await fetch(dataset.downloadUrl, { signal: AbortSignal.timeout(30_000) });
  if (!download.ok) throw new Error(`the trainer could not download the dataset: ${download.status} ${await download.text()}`);
  const bytes = Buffer.from(await download.arrayBuffer());
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== dataset.sha256) throw new Error(`dataset #${dataset.number}: SHA-256 ${sha256} differs from the webhook's ${dataset.sha256}`);
  const rows = bytes
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { features: Record<string, unknown>; actual: Label; prediction: Label });
  if (rows.length !== dataset.rows) throw new Error(`dataset #${dataset.number}: ${rows.length} rows, the webhook said ${dataset.rows}`);
  const { stump, accuracy } = fitStump(rows);
  const productionAccuracy = rows.filter((r) => predict(V1_RULE, r.features as never).prediction === r.actual).length / Math.max(1, rows.length);

  const body = JSON.stringify({
    status: 'succeeded',
    version,
    metrics: { accuracy: round(accuracy), trainingRows: rows.length },
    artifactUri: `demo://stump/${stump.feature}/${stump.above}-above/${stump.threshold}`,
    description: `decision stump: ${describeStump(stump)}`,
  });
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const now = new Date();
  const response = await fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, now, body) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`the callback was refused: ${response.status} ${JSON.stringify(answer)}`);
  return { webhookId, retrainRequestId, reasons: event.data.reasons, dataset, stump, accuracy, productionAccuracy, version, callback: { status: response.status, body: answer } };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
