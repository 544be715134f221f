import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from '../lib/children.js';
import { freePort } from '../lib/net.js';
import { type Scenario, check } from './lib/harness.js';
import { type FuzzRequest, type FuzzResponse, type Send, fuzzSeed, loadSpec, runFuzz } from './lib/openapi-fuzz.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);
const BODY_LIMIT = 1024 * 1024;

/**
 * Requests generated from openapi.yaml for every operation — valid (the spec's examples and values generated
 * from the schemas, naming seeded models, versions and ids), boundary and invalid (see
 * bench/reliability/lib/openapi-fuzz.ts) — against the real server process on a real PostgreSQL, rate limits
 * off. Every answer must be documented for its operation, match its schema, and every 4xx be problem+json;
 * no 5xx. FUZZ_REQUESTS (10,000), FUZZ_SEED (printed; replays the same requests), FUZZ_CONCURRENCY (8).
 * Then a second process with a tiny rate limit: its 429 is documented and problem+json with Retry-After.
 */
export const fuzzScenario: Scenario = {
  id: 'fuzz',
  title: 'Requests generated from openapi.yaml for every operation: valid, boundary and invalid',
  async run(ctx) {
    const seed = fuzzSeed();
    ctx.log(`fuzz: FUZZ_SEED=${seed}, ${REQUESTS} requests, concurrency ${CONCURRENCY}`);
    const spec = loadSpec(path.join(REPO_ROOT, 'openapi.yaml'));
    const databaseUrl = await ctx.cluster.createDatabase('hindsight_rel_fuzz');
    const server = await ctx.startHindsight('fuzz', databaseUrl, {
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_INGEST_PER_MINUTE: '0',
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      // Webhook targets are a closed loopback port: deliveries fail without leaving the machine.
      HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true',
    });
    const closedPort = await freePort();
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });
    const send: Send = (request) => httpSend(server.url, request, agent);

    const started = Date.now();
    const result = await runFuzz({
      send,
      spec,
      seed,
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      adminKey: ctx.adminKey,
      webhookUrl: `http://127.0.0.1:${closedPort}/hooks/fuzz`,
      oversizeBytes: BODY_LIMIT + 1,
      log: ctx.log,
    });
    const seconds = (Date.now() - started) / 1000;
    // Nothing it sent broke the process: it still answers, and logged no unhandled error.
    const alive = await httpSend(server.url, { op: spec.operations[0]!, variant: 'probe', method: 'GET', url: '/healthz', headers: {} }, agent).catch(() => null);
    await server.stop();
    const log = readFileSync(server.logFile, 'utf8');
    const unhandledLines = log.split('\n').filter((line) => line.includes('unhandled error'));
    const unhandled = unhandledLines.length;
    for (const line of unhandledLines.slice(0, 5)) ctx.log(`fuzz: the server logged ${line.slice(0, 3000)}`);
    agent.destroy();

    const rateLimit = await rateLimitCheck(ctx, databaseUrl, spec);

    for (const finding of result.findings.slice(0, 20)) ctx.log(`fuzz finding: ${finding.kind}: ${finding.request} → ${finding.status}: ${finding.detail}`);
    const count = (kind: string) => result.findingsByKind[kind] ?? 0;
    const examples = (kind: string) =>
      result.findings
        .filter((f) => f.kind === kind)
        .slice(0, 3)
        .map((f) => `${f.request} → ${f.status}: ${f.detail.slice(0, 200)}`)
        .join(' | ');
    return {
      id: 'fuzz',
      title: this.title,
      figures: {
        seed,
        requests: result.requests,
        'requests/s': Math.round(result.requests / seconds),
        '2xx': result.byClass['2xx'] ?? 0,
        '3xx': result.byClass['3xx'] ?? 0,
        '4xx': result.byClass['4xx'] ?? 0,
        '5xx': result.byClass['5xx'] ?? 0,
        'no answer': count('no answer'),
        'statuses seen': Object.keys(result.byStatus).join(', '),
        'undocumented statuses': count('undocumented status'),
        'schema mismatches': count('schema mismatch'),
        '4xx not problem+json': count('not problem+json'),
        'unhandled errors logged': unhandled,
        operations: result.operations,
        'operations covered': result.operationsCovered,
        'operations answering 2xx': `${result.operationsReached2xx}${result.notReached2xx.length ? ` (not: ${result.notReached2xx.join(', ')})` : ''}`,
        'valid + boundary requests': (result.byVariant.valid ?? 0) + (result.byVariant.boundary ?? 0),
        'invalid requests': result.requests - (result.byVariant.valid ?? 0) - (result.byVariant.boundary ?? 0),
        '429 check': rateLimit.detail,
      },
      checks: [
        check(`at least ${REQUESTS.toLocaleString('en-US')} requests sent`, result.requests >= REQUESTS),
        check('every operation in openapi.yaml was called', result.operationsCovered === result.operations, `${result.operationsCovered} of ${result.operations}`),
        check('no 5xx', (result.byClass['5xx'] ?? 0) === 0 && unhandled === 0, `${result.byClass['5xx'] ?? 0} 5xx, ${unhandled} unhandled errors logged: ${examples('5xx')}`),
        check('every request answered', count('no answer') === 0, examples('no answer')),
        check('every status is documented for its operation', count('undocumented status') === 0, examples('undocumented status')),
        check('every body matches its schema in openapi.yaml', count('schema mismatch') === 0, examples('schema mismatch')),
        check('every 4xx is application/problem+json with the Problem shape', count('not problem+json') === 0, examples('not problem+json')),
        check('the process survived', alive?.status === 200),
        check('a 429 is documented, problem+json, with Retry-After', rateLimit.ok, rateLimit.detail),
      ],
    };
  },
};

/** A second process with RATE_LIMIT_PER_MINUTE=5: the sixth request in a minute gets a documented 429. */
async function rateLimitCheck(ctx: Parameters<Scenario['run']>[0], databaseUrl: string, spec: ReturnType<typeof loadSpec>): Promise<{ ok: boolean; detail: string }> {
  const server = await ctx.startHindsight('fuzz-rate-limit', databaseUrl, { RATE_LIMIT_PER_MINUTE: '5' });
  const agent = new http.Agent({ keepAlive: true });
  try {
    const op = spec.operations.find((o) => o.method === 'GET' && o.path === '/v1/models')!;
    let limited: FuzzResponse | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const response = await httpSend(server.url, { op, variant: 'rate', method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${ctx.adminKey}` } }, agent);
      if (response.status === 429) limited = response;
    }
    if (!limited) return { ok: false, detail: 'no 429 after 10 requests' };
    const body = JSON.parse(limited.body) as Record<string, unknown>;
    const ok =
      op.responses['429'] !== undefined &&
      String(limited.headers['content-type']).startsWith('application/problem+json') &&
      body.status === 429 &&
      Number(limited.headers['retry-after']) > 0;
    return { ok, detail: `429 after 5 requests, Retry-After ${String(limited.headers['retry-after'])}, ${String(limited.headers['content-type'])}` };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

function httpSend(base: string, request: FuzzRequest, agent: http.Agent): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const payload = request.body === undefined ? undefined : Buffer.from(request.body);
    const req = http.request(
      base + request.url,
      { method: request.method, agent, headers: { ...request.headers, ...(payload ? { 'content-length': String(payload.length) } : {}) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error('timed out after 120 s')));
    req.on('error', reject);
    req.end(payload);
  });
}
