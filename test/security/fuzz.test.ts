import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzSeed, loadSpec, runFuzz, type FuzzRunResult, type Send } from '../../bench/reliability/lib/openapi-fuzz.js';
import { ADMIN_KEY, createTestApp, type TestContext } from '../helpers/app.js';

/**
 * The quick version of the reliability fuzzer (bench/reliability/fuzz.ts): ~1,000 requests generated from
 * openapi.yaml for every operation, valid and invalid, through app.inject on a real database. No 5xx, every
 * status documented, every body matching its schema, every 4xx a problem+json. FUZZ_SEED replays a run.
 */
const REQUESTS = Number(process.env.FUZZ_TEST_REQUESTS ?? 1_000);
const BODY_LIMIT = 256 * 1024;

let ctx: TestContext;
let result: FuzzRunResult;
const seed = fuzzSeed();

beforeAll(async () => {
  ctx = await createTestApp({ RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_INGEST_PER_MINUTE: '0', BODY_LIMIT_BYTES: String(BODY_LIMIT), HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true' });
  const send: Send = async (request) => {
    const response = await ctx.app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.body !== undefined ? { payload: request.body } : {}) });
    return { status: response.statusCode, headers: response.headers, body: response.body };
  };
  result = await runFuzz({
    send,
    spec: loadSpec(new URL('../../openapi.yaml', import.meta.url)),
    seed,
    requests: REQUESTS,
    concurrency: 1,
    adminKey: ADMIN_KEY,
    webhookUrl: 'http://127.0.0.1:9/hooks/fuzz',
    oversizeBytes: BODY_LIMIT + 1,
  });
}, 120_000);
afterAll(() => ctx?.close());

describe(`requests generated from openapi.yaml (FUZZ_SEED=${seed})`, () => {
  it('covers every operation with valid and invalid requests', () => {
    expect(result.requests).toBe(REQUESTS);
    expect(result.operationsCovered).toBe(result.operations);
    expect(result.byVariant.valid).toBeGreaterThan(REQUESTS / 5);
  });

  it('answers no 5xx, only documented statuses, bodies matching the spec, every 4xx as problem+json', () => {
    const report = result.findings.slice(0, 15).map((f) => `${f.kind}: ${f.request} → ${f.status}: ${f.detail}`);
    expect(report, `seed ${seed}: ${JSON.stringify(result.findingsByKind)}`).toEqual([]);
    expect(result.byClass['5xx'] ?? 0).toBe(0);
  });

  it('leaves Object.prototype unpolluted', () => {
    expect(result.prototypePolluted).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
