import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonlLine } from '../../src/domain/dataset-format.js';
import { ADMIN_KEY, call, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';
import { createRetrainingApp, seedBinary, startReceiver, type Receiver } from '../helpers/retraining.js';

let ctx: TestContext;
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  ctx = await createRetrainingApp();
  await createModel(ctx.app, binaryModel('nba'), 'v1');
  await seedBinary(ctx.app, 'nba', { n: 30, correct: 20, prefix: 'a' });
  await call(ctx.app, 'POST', '/v1/models/nba/versions', { name: 'v2' });
  await seedBinary(ctx.app, 'nba', { n: 10, correct: 9, version: 'v2', prefix: 'b' });
  // Unlabeled predictions never enter a dataset.
  await call(ctx.app, 'POST', '/v1/predictions', { model: 'nba', features: { homeElo: 1 }, prediction: 'LAL' });
});
afterAll(() => ctx.close());

async function freeze(body: Record<string, unknown> = {}) {
  const r = await call(ctx.app, 'POST', '/v1/models/nba/datasets', body);
  if (r.statusCode !== 201) throw new Error(`freeze: ${r.statusCode} ${r.body}`);
  return r.json();
}

const rows = (id: string, format = 'jsonl', key: string | null = ADMIN_KEY) =>
  ctx.app.inject({ method: 'GET', url: `/v1/datasets/${id}/rows?format=${format}`, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('datasets', () => {
  it('freeze the labeled predictions of a window with row count, feature schema and content hash', async () => {
    const d = await freeze({ window: '7d', name: 'week', description: 'all versions' });
    expect(d).toMatchObject({
      model: 'nba',
      number: 1,
      name: 'week',
      description: 'all versions',
      version: null,
      rowCount: 40,
      featureSchema: { homeElo: 'number', restDays: 'number', venue: 'string' },
      retrainRequestId: null,
    });
    expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(d.window.to) - Date.parse(d.window.from)).toBe(7 * 86_400_000);
    expect(d.links.jsonl).toBe(`http://127.0.0.1:3000/v1/datasets/${d.id}/rows?format=jsonl`);
    expect((await call(ctx.app, 'GET', `/v1/datasets/${d.id}`)).json()).toEqual(d);
  });

  it('export the same bytes on every read, whose SHA-256 is the stored hash', async () => {
    const d = await freeze();
    const first = await rows(d.id);
    const second = await rows(d.id);
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('application/x-ndjson');
    expect(first.headers['content-disposition']).toBe(`attachment; filename="nba-dataset-${d.number}.jsonl"`);
    expect(first.rawPayload.equals(second.rawPayload)).toBe(true);
    expect(sha256(first.rawPayload)).toBe(d.sha256);
    expect(first.headers.etag).toBe(`"${d.sha256}"`);
    expect(Number(first.headers['content-length'])).toBe(d.bytes);
    const lines = first.body.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(40);
    const row = JSON.parse(lines[0]!);
    expect(Object.keys(row)).toEqual(['predictionId', 'externalId', 'version', 'predictedAt', 'prediction', 'actual', 'features']);
    expect(Object.keys(row.features)).toEqual(['homeElo', 'restDays', 'venue']);
    const times = lines.map((l) => Date.parse(JSON.parse(l).predictedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(lines.map((l) => JSON.parse(l).version))).toEqual(new Set(['v1', 'v2']));
  });

  it('export CSV: fixed columns, one column per feature (sorted), RFC 4180 quoting', async () => {
    const d = await freeze({ version: 'v2' });
    expect(d.rowCount).toBe(10);
    const csv = await rows(d.id, 'csv');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const records = csv.body.split('\r\n');
    expect(records.pop()).toBe('');
    expect(records[0]).toBe('predictionId,externalId,version,predictedAt,prediction,actual,features.homeElo,features.restDays,features.venue');
    expect(records).toHaveLength(11);
    expect(csv.body).toContain(',"Crypto.com Arena, ""LA"""');
    expect(records[1]).toMatch(/^[^,]+,b-v2-0,v2,\d{4}-\d\d-\d\dT[^,]+Z,LAL,LAL,1500,0,TD Garden$/);
    expect((await rows(d.id, 'csv')).body).toBe(csv.body);
  });

  it('take the last N labeled predictions, numbered per model, and never change afterwards', async () => {
    const d = await freeze({ last: 5 });
    expect(d.rowCount).toBe(5);
    expect(d.window).toMatchObject({ last: 5 });
    const before = (await rows(d.id)).body;
    await seedBinary(ctx.app, 'nba', { n: 5, correct: 5, prefix: 'late', end: Date.now() - 1_000, spanMs: 500 });
    const after = await rows(d.id);
    expect(after.body).toBe(before);
    expect(sha256(after.rawPayload)).toBe(d.sha256);
    const newer = await freeze({ last: 5 });
    expect(newer.number).toBe(d.number + 1);
    expect(newer.sha256).not.toBe(d.sha256);
    const list = (await call(ctx.app, 'GET', '/v1/models/nba/datasets?limit=2')).json();
    expect(list.items.map((x: { number: number }) => x.number)).toEqual([newer.number, d.number]);
    const next = (await call(ctx.app, 'GET', `/v1/models/nba/datasets?limit=2&cursor=${list.nextCursor}`)).json();
    expect(next.items[0].number).toBe(d.number - 1);
  });

  it('may be empty, with the hash of no bytes', async () => {
    const d = await freeze({ from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' });
    expect(d).toMatchObject({ rowCount: 0, bytes: 0, featureSchema: {}, sha256: sha256('') });
    expect((await rows(d.id)).body).toBe('');
    expect((await rows(d.id, 'csv')).body).toBe('predictionId,externalId,version,predictedAt,prediction,actual\r\n');
  });

  it('refuse bad windows and unknown versions, naming the field', async () => {
    const mixed = problem(await call(ctx.app, 'POST', '/v1/models/nba/datasets', { window: '7d', last: 5 }), 400);
    expect(mixed.errors?.map((e) => e.path)).toEqual(['/body/window', '/body/last']);
    const version = problem(await call(ctx.app, 'POST', '/v1/models/nba/datasets', { version: 'v9' }), 422);
    expect(version.errors?.[0]?.path).toBe('/body/version');
    problem(await call(ctx.app, 'POST', '/v1/models/ghost/datasets', {}), 404);
    problem(await call(ctx.app, 'GET', '/v1/datasets/00000000-0000-4000-8000-000000000000'), 404);
    problem(await call(ctx.app, 'GET', '/v1/datasets/not-a-uuid'), 400);
  });

  it('are limited to the models a key may use', async () => {
    const d = await freeze({ last: 3 });
    await createModel(ctx.app, binaryModel('other'));
    const key = (await call(ctx.app, 'POST', '/v1/api-keys', { name: 'other-only', scopes: ['read'], models: ['other'] })).json().key as string;
    problem(await call(ctx.app, 'GET', `/v1/datasets/${d.id}`, undefined, key), 403);
    problem(await rows(d.id, 'jsonl', key), 403);
    problem(await rows(d.id, 'jsonl', null), 401);
  });
});

describe('signed download URLs', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    await call(ctx.app, 'PUT', '/v1/models/nba/webhook', { url: receiver.url });
  });
  afterAll(() => receiver.close());

  it('download the dataset of a retrain request without an API key, until they expire', async () => {
    const request = (await call(ctx.app, 'POST', '/v1/models/nba/retrain-requests', { reason: 'download test', dataset: { last: 7 } })).json();
    await ctx.app.services.delivery.runOnce();
    const data = JSON.parse(receiver.received.at(-1)!.body).data;
    expect(data.dataset).toMatchObject({ id: request.dataset.id, rows: 7, format: 'jsonl' });
    const url = new URL(data.dataset.downloadUrl);
    expect(url.searchParams.get('format')).toBe('jsonl');
    const expires = Number(url.searchParams.get('expires'));
    expect(expires * 1000 - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    const keyless = await ctx.app.inject({ method: 'GET', url: url.pathname + url.search });
    expect(keyless.statusCode).toBe(200);
    expect(sha256(keyless.rawPayload)).toBe(data.dataset.sha256);
    const signature = url.searchParams.get('signature')!;
    const forged = `${url.pathname}?format=jsonl&expires=${expires + 1}&signature=${signature}`;
    problem(await ctx.app.inject({ method: 'GET', url: forged }), 401);
    const other = (await call(ctx.app, 'POST', '/v1/models/nba/datasets', { last: 2 })).json();
    problem(await ctx.app.inject({ method: 'GET', url: `/v1/datasets/${other.id}/rows?format=jsonl&expires=${expires}&signature=${signature}` }), 401);
    problem(await ctx.app.inject({ method: 'GET', url: `${url.pathname}?format=jsonl&expires=1000&signature=${signature}` }), 401);
  });
});

describe('a large dataset', () => {
  it('streams through a server-side cursor with flat memory', async () => {
    const rowsWanted = 300_000;
    const d = await freeze({ last: 1 });
    await ctx.sql.query(
      `INSERT INTO dataset_rows (dataset_id, seq, prediction_id, external_id, version, predicted_at, features, predicted_label, actual_label)
       SELECT $1, 1 + i, 'p-' || i, 'game-' || i, 'v1', now() - i * interval '1 second',
         jsonb_build_object('homeElo', 1500 + i % 300, 'restDays', i % 5, 'venue', 'Arena number ' || (i % 97), 'note', repeat('x', 120)), 'LAL', 'BOS'
       FROM generate_series(1, $2) AS i`,
      [d.id, rowsWanted],
    );
    // The export announces its length (Content-Length): make the stored size match the rows added here.
    let added = 0;
    const at = new Date();
    for (let i = 1; i <= rowsWanted; i++) {
      const features = { homeElo: 1500 + (i % 300), restDays: i % 5, venue: `Arena number ${i % 97}`, note: 'x'.repeat(120) };
      added += Buffer.byteLength(jsonlLine({ predictionId: `p-${i}`, externalId: `game-${i}`, version: 'v1', predictedAt: at, features, predictedLabel: 'LAL', predictedValue: null, actualLabel: 'BOS', actualValue: null }));
    }
    await ctx.sql.query('UPDATE datasets SET byte_size = byte_size + $2 WHERE id = $1', [d.id, added]);
    const address = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (ctx.app.server.address() as AddressInfo).port;
    expect(address).toContain(String(port));
    const baseline = memory();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, memory())), 100);
    let bytes = 0;
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: `/v1/datasets/${d.id}/rows?format=jsonl`, headers: { authorization: `Bearer ${ADMIN_KEY}` } }, (response) => {
          response.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            for (const byte of chunk) if (byte === 10) lines++;
          });
          response.on('end', resolve);
          response.on('error', reject);
        })
        .on('error', reject);
    });
    clearInterval(sampler);
    expect(lines).toBe(rowsWanted + 1);
    expect(bytes).toBe(d.bytes + added);
    expect(bytes).toBeGreaterThan(60_000_000);
    // Holding the export (or its rows) in memory would take more than its size; streaming, a few batches.
    expect(peak - baseline).toBeLessThan(bytes / 5);
  }, 120_000);
});

// Live memory, after a full collection (garbage of already-sent rows would otherwise count).
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

function memory(): number {
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}
