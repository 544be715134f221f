import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { parse } from 'yaml';

/**
 * A request fuzzer driven by openapi.yaml, shared by the reliability scenario (bench/reliability/fuzz.ts,
 * 10,000+ requests over HTTP against a real process) and the quick test (test/security/fuzz.test.ts,
 * app.inject). For every operation it sends valid requests (the spec's examples and values generated from
 * the schemas, with the names and ids of seeded data so that they reach deep code), boundary values and
 * invalid ones (wrong types, missing required fields, extra properties, oversize strings, extreme numbers,
 * bad enums, bad path and query parameters, malformed JSON, wrong content types, no or bad credentials,
 * prototype-pollution keys, NUL characters), and checks each answer against the spec: no 5xx, a documented
 * status, a body matching the documented schema, and every 4xx as application/problem+json.
 * Everything random comes from one seeded PRNG: a run is reproduced by its seed.
 */

type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  id: string;
  parameters: { name: string; in: 'path' | 'query' | 'header'; required: boolean; schema: Schema; example?: unknown }[];
  body: { required: boolean; json?: Schema; examples: unknown[]; types: string[] } | null;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  isPublic: boolean;
}

export interface FuzzRequest {
  op: Operation;
  /** 'valid', 'boundary', or the name of the mutation. */
  variant: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The path was mangled so that it may match no route at all (a 404 from the router is then right). */
  offRoute?: boolean;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

export type Send = (request: FuzzRequest) => Promise<FuzzResponse>;

export interface Finding {
  kind: '5xx' | 'undocumented status' | 'schema mismatch' | 'not problem+json' | 'no answer';
  request: string;
  status: number | null;
  detail: string;
}

export interface FuzzKeys {
  admin: string;
  /** scope read only */
  read: string;
  /** scope ingest only */
  ingest: string;
  /** scopes ingest+read, limited to the regression model */
  otherModel: string;
}

// ---------------------------------------------------------------------------------------------------------
// PRNG

export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    // mulberry32
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[this.int(0, 3)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The spec

export interface Spec {
  doc: Schema;
  operations: Operation[];
}

export function loadSpec(file: string | URL): Spec {
  return specFrom(parse(readFileSync(file, 'utf8')) as Schema);
}

export function specFrom(doc: Schema): Spec {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const content = op.requestBody?.content as Record<string, Schema> | undefined;
      let body: Operation['body'] = null;
      if (content) {
        const json = content['application/json'];
        const examples: unknown[] = [];
        if (json) {
          if (json.example !== undefined) examples.push(json.example);
          for (const e of Object.values((json.examples ?? {}) as Record<string, { value?: unknown }>)) if (e && 'value' in e) examples.push(e.value);
          for (const e of (json.schema?.examples ?? []) as unknown[]) examples.push(e);
        }
        body = { required: op.requestBody.required === true, json: json?.schema, examples, types: Object.keys(content) };
      }
      operations.push({
        method: method.toUpperCase(),
        path,
        id: `${method.toUpperCase()} ${path}`,
        parameters: ((op.parameters ?? []) as Schema[]).map((p) => ({ name: p.name, in: p.in, required: p.required === true, schema: p.schema ?? {}, example: p.example })),
        body,
        responses: op.responses ?? {},
        isPublic: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  return { doc, operations };
}

// ---------------------------------------------------------------------------------------------------------
// Response validation

export class ResponseValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction | null>();

  constructor(private readonly spec: Spec) {
    this.ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false, allowUnionTypes: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: spec.doc.components } as Schema);
  }

  /** Every problem with this answer (empty: it is what the spec promises). */
  check(request: FuzzRequest, response: FuzzResponse): Finding[] {
    const what = `${request.method} ${request.url.slice(0, 200)} [${request.variant}]`;
    const found = (kind: Finding['kind'], detail: string): Finding => ({ kind, request: what, status: response.status, detail: detail.slice(0, 600) });
    const findings: Finding[] = [];
    const status = response.status;
    const type = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (status >= 500) findings.push(found('5xx', response.body.slice(0, 400)));
    if (status >= 400 && status < 500) {
      if (type !== 'application/problem+json') findings.push(found('not problem+json', `content-type ${type || '(none)'}: ${response.body.slice(0, 200)}`));
      else {
        const problem = safeJson(response.body) as Record<string, unknown> | undefined;
        if (!problem || typeof problem.type !== 'string' || typeof problem.title !== 'string' || typeof problem.detail !== 'string' || problem.status !== status) {
          findings.push(found('not problem+json', `not a Problem with status ${status}: ${response.body.slice(0, 200)}`));
        }
      }
    }
    if (status === 404 && request.offRoute && /^no route /.test(String((safeJson(response.body) as { detail?: unknown } | undefined)?.detail))) return findings;
    const documented = request.op.responses[String(status)] ?? request.op.responses[`${String(status)[0]}XX`] ?? request.op.responses.default;
    if (!documented) {
      findings.push(found('undocumented status', `${status} is not among ${Object.keys(request.op.responses).join(', ')}: ${response.body.slice(0, 300)}`));
      return findings;
    }
    const content = documented.content;
    if (!content || Object.keys(content).length === 0) {
      if (response.body.length > 0 && request.method !== 'HEAD') findings.push(found('schema mismatch', `${status} documents no body, got ${response.body.slice(0, 200)}`));
      return findings;
    }
    const media = content[type];
    if (!media) {
      findings.push(found('schema mismatch', `${status} with content-type ${type || '(none)'}, documented: ${Object.keys(content).join(', ')}`));
      return findings;
    }
    if (type === 'application/json' || type.endsWith('+json')) {
      const validate = this.validator(`${request.op.id} ${status} ${type}`, media.schema);
      if (validate) {
        const value = safeJson(response.body);
        if (value === undefined) findings.push(found('schema mismatch', `not JSON: ${response.body.slice(0, 200)}`));
        else if (!validate(value)) {
          const errors = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
          findings.push(found('schema mismatch', `${status} body does not match its schema: ${errors}; body ${response.body.slice(0, 300)}`));
        }
      }
    }
    return findings;
  }

  private validator(key: string, schema: Schema | undefined): ValidateFunction | null {
    if (!schema) return null;
    let validate = this.cache.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(rewriteRefs(schema) as Schema);
      this.cache.set(key, validate);
    }
    return validate;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Schema = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi${v}` : rewriteRefs(v);
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Seeded data: what valid requests name

export const SEED = {
  binary: 'nba-game-predictor',
  regression: 'delivery-eta',
  multiclass: 'match-result',
  versions: { 'nba-game-predictor': ['v3', 'v4'], 'delivery-eta': ['v7', 'v8'], 'match-result': ['m1'] } as Record<string, string[]>,
};

/**
 * Registers the models the spec's examples name (with the versions they name), labeled and unlabeled
 * predictions, an experiment, a drift report, a dataset, a webhook (a closed loopback port: deliveries
 * fail without leaving the machine), a retrain request, an alert; and the keys the fuzzer authenticates with.
 */
export async function seedFuzzData(send: Send, adminKey: string, spec: Spec, rng: Rng, webhookUrl: string): Promise<FuzzKeys> {
  const op = (method: string, path: string) => spec.operations.find((o) => o.method === method && o.path === path) ?? { method, path, id: `${method} ${path}`, parameters: [], body: null, responses: {}, isPublic: false };
  const call = async (method: string, url: string, body?: unknown, ok: number[] = [200, 201, 202]) => {
    const path = url.split('?')[0]!.replace(/\/v1\/models\/[^/]+/, '/v1/models/{model}');
    const response = await send({
      op: op(method, path),
      variant: 'seed',
      method,
      url,
      headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (!ok.includes(response.status)) throw new Error(`seed ${method} ${url}: ${response.status} ${response.body.slice(0, 500)}`);
    return safeJson(response.body) as Record<string, any>;
  };
  await call('POST', '/v1/models', { name: SEED.binary, task: 'binary', labels: ['BOS', 'LAL'], positiveLabel: 'LAL' });
  await call('POST', '/v1/models', { name: SEED.regression, task: 'regression' });
  await call('POST', '/v1/models', { name: SEED.multiclass, task: 'multiclass', labels: ['home', 'away', 'draw'] });
  for (const [model, versions] of Object.entries(SEED.versions)) {
    for (const [i, version] of versions.entries()) await call('POST', `/v1/models/${model}/versions`, { name: version, ...(i === 0 ? { status: 'production' } : {}) });
  }
  const now = Date.now();
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < 300; i++) {
    const at = new Date(now - (i + 1) * 3_600_000).toISOString();
    const prediction = rng.chance(0.5) ? 'LAL' : 'BOS';
    const labeled = i % 3 !== 0;
    items.push({
      model: SEED.binary,
      version: i % 4 === 0 ? 'v4' : 'v3',
      externalId: i === 0 ? '2024-10-18-LAL-BOS' : `seed-${i}`,
      features: { homeElo: 1400 + rng.int(0, 400), restDays: rng.int(0, 4), venue: rng.pick(['TD Garden', 'MSG', 'Crypto.com Arena']), backToBack: rng.chance(0.3) },
      prediction,
      confidence: 0.5 + rng.next() / 2,
      predictedAt: at,
      ...(labeled ? { actual: rng.chance(0.7) ? prediction : prediction === 'LAL' ? 'BOS' : 'LAL' } : {}),
    });
    const value = 20 + rng.next() * 40;
    items.push({
      model: SEED.regression,
      version: i % 4 === 0 ? 'v8' : 'v7',
      externalId: `eta-${i}`,
      features: { distanceKm: rng.next() * 20, zone: rng.pick(['north', 'south']) },
      prediction: value,
      predictedAt: at,
      ...(labeled ? { actual: value + (rng.next() - 0.5) * 10 } : {}),
    });
    const label = rng.pick(['home', 'away', 'draw']);
    items.push({ model: SEED.multiclass, externalId: `match-${i}`, features: { form: rng.next() }, prediction: label, probabilities: { home: 0.5, away: 0.3, draw: 0.2 }, predictedAt: at, ...(labeled ? { actual: rng.pick(['home', 'away', 'draw']) } : {}) });
  }
  await call('POST', '/v1/predictions/batch', { items });
  await call('POST', '/v1/experiments', { name: 'nba-v4-vs-v3', model: SEED.binary, arms: [{ version: 'v3', weight: 1 }, { version: 'v4', weight: 1 }], metric: 'accuracy', mode: 'sequential' });
  await call('POST', `/v1/models/${SEED.binary}/drift-reports`, { reference: '30d', current: '7d' });
  await call('POST', `/v1/models/${SEED.binary}/datasets`, { window: '30d', name: 'seed' });
  await call('PUT', `/v1/models/${SEED.binary}/webhook`, { url: webhookUrl });
  await call('PUT', `/v1/models/${SEED.regression}/webhook`, { url: webhookUrl });
  await call('POST', `/v1/models/${SEED.binary}/retrain-requests`, { reason: 'seed' });
  await call('POST', '/v1/alerts', { type: 'custom.seed', severity: 'warning', title: 'seeded', model: SEED.binary });
  await call('PUT', `/v1/models/${SEED.binary}/baseline`, { rows: items.filter((i) => i.model === SEED.binary).slice(0, 50).map((i) => ({ features: i.features, prediction: i.prediction })) });
  const key = async (body: unknown) => (await call('POST', '/v1/api-keys', body)).key as string;
  return {
    admin: adminKey,
    read: await key({ name: 'fuzz-read', scopes: ['read'] }),
    ingest: await key({ name: 'fuzz-ingest', scopes: ['ingest'] }),
    otherModel: await key({ name: 'fuzz-eta-only', scopes: ['ingest', 'read'], models: [SEED.regression] }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Generation

const BAD_STRINGS = ['', ' ', '..', '%00', '\u0000', 'A'.repeat(300), '-1', '__proto__', 'constructor', 'ü', "'; DROP TABLE models; --", '😀', '../../etc/passwd', '%', 'null', '0', '1e999', '\ud800'];
const JSON_GARBAGE = ['{', '[1,]', '{"a":1,}', 'NaN', 'undefined', "{'a':1}", '\uFEFF{}', '{"a":"\\u0000"}', '{"a":1}{"b":2}', '[[[[[[[[[[', 'nul', '"\\ud800"', '{"a":1e999}'];
const CONTENT_TYPES = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-16', 'application/x-ndjson', 'application/merge-patch+json', 'image/png'];

const MUTATIONS = [
  'wrong-type',
  'missing-required',
  'extra-property',
  'oversize-string',
  'number-extremes',
  'bad-enum',
  'bad-path-param',
  'bad-query',
  'malformed-json',
  'wrong-content-type',
  'no-auth',
  'bad-auth',
  'wrong-scope',
  'other-model',
  'proto-pollution',
  'non-object-body',
  'nul-and-surrogates',
  'deep-nesting',
  'unknown-id',
  'forged-cursor',
  'odd-headers',
] as const;

/** Cursors are opaque base64url JSON: forged ones must be refused (400), never reach SQL as they are. */
const FORGED_CURSORS = [
  ['\u0000', '\u0000'],
  ['2024-01-01T00:00:00Z', 'a\u0000b'],
  ['9999-99-99', 'x'],
  [1, 2],
  [null, null],
  ['x'],
  ['2024-01-01T00:00:00Z', 'x', 'y', 'z'],
  [{ a: 1 }, []],
  'not an array',
  ['\ud800', '\udfff'],
  ['-infinity', "'; DROP TABLE models; --"],
].map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));

export class RequestGenerator {
  /** Ids seen in answers, by kind (the path segment before `{id}`), so that requests can name real resources. */
  readonly pools = new Map<string, string[]>();
  private readonly patternArbitraries = new Map<string, fc.Arbitrary<string> | null>();
  private counter = 0;

  constructor(
    private readonly spec: Spec,
    readonly rng: Rng,
    private readonly keys: FuzzKeys,
    private readonly options: { webhookUrl: string; oversizeBytes: number },
  ) {}

  /** The next request: operations in turn, about 40 % valid or boundary, the rest one of the mutations. */
  next(): FuzzRequest {
    const op = this.spec.operations[this.counter++ % this.spec.operations.length]!;
    const roll = this.rng.next();
    const variant = roll < 0.32 ? 'valid' : roll < 0.4 ? 'boundary' : this.rng.pick(MUTATIONS);
    return this.build(op, variant);
  }

  build(op: Operation, variant: string): FuzzRequest {
    const boundary = variant === 'boundary';
    const params: Record<string, string> = {};
    for (const p of op.parameters.filter((q) => q.in === 'path')) params[p.name] = this.pathValue(op, p.name, p.schema, p.example);
    const query: [string, string][] = [];
    for (const p of op.parameters.filter((q) => q.in === 'query')) {
      if (!p.required && !this.rng.chance(boundary ? 0.6 : 0.35)) continue;
      const value = this.queryValue(op, p.name, p.schema, p.example, boundary);
      if (value !== undefined) query.push([p.name, value]);
    }
    let body: unknown = undefined;
    let contentType: string | undefined;
    if (op.body?.json) {
      const useExample = op.body.examples.length > 0 && this.rng.chance(0.55);
      body = useExample ? this.contextualise(structuredClone(this.rng.pick(op.body.examples)), op) : this.generate(op.body.json, { boundary, depth: 0, key: '', op });
      contentType = 'application/json';
    }
    let raw: string | undefined = body === undefined ? undefined : JSON.stringify(body);
    if (op.body?.types.includes('application/x-ndjson') && this.rng.chance(0.4)) {
      // The streamed form of the same rows: one JSON object per line, some lines broken when invalid.
      const rows = body && typeof body === 'object' && Array.isArray((body as { rows?: unknown[] }).rows) ? (body as { rows: unknown[] }).rows : [{ features: { a: 1 } }];
      const lines = rows.map((row) => JSON.stringify(row));
      if (variant !== 'valid' && variant !== 'boundary') {
        lines.splice(this.rng.int(0, lines.length), 0, this.rng.pick(['{', '{"features":{"a":"\\u0000"}}', '{"features":{"\\u0000":1}}', '{"features":{"__proto__":{"x":1}}}', '[]', 'null', '{"features":{}, "zzz":1}', '{"features":{"a":"x"},"prediction":"\\ud800"}', '']));
      }
      raw = lines.join(this.rng.chance(0.8) ? '\n' : '\r\n') + (this.rng.chance(0.5) ? '\n' : '');
      body = undefined;
      contentType = 'application/x-ndjson';
      if (variant === 'malformed-json' || variant === 'wrong-type' || variant === 'nul-and-surrogates') variant = `${variant}-ndjson`;
    }
    let authorization: string | undefined = op.isPublic ? undefined : `Bearer ${this.keys.admin}`;
    const extraHeaders: Record<string, string> = {};

    switch (variant) {
      case 'wrong-type':
      case 'missing-required':
      case 'extra-property':
      case 'oversize-string':
      case 'number-extremes':
      case 'bad-enum':
      case 'proto-pollution':
      case 'nul-and-surrogates': {
        if (contentType === 'application/x-ndjson') break;
        if (body === undefined || op.body?.json === undefined) {
          this.mutateQuery(op, query, variant);
          break;
        }
        const mutated = this.mutateBody(body, op.body.json, variant);
        raw = typeof mutated === 'string' ? mutated : JSON.stringify(mutated);
        break;
      }
      case 'bad-path-param': {
        const names = Object.keys(params);
        if (names.length === 0) this.mutateQuery(op, query, 'bad-query');
        else params[this.rng.pick(names)] = this.rng.pick(BAD_STRINGS);
        break;
      }
      case 'unknown-id': {
        const names = Object.keys(params);
        if (names.length === 0) this.mutateQuery(op, query, 'bad-query');
        else {
          const name = this.rng.pick(names);
          params[name] = name === 'model' ? `ghost-${this.rng.int(0, 999)}` : this.rng.chance(0.5) ? this.rng.uuid() : `unknown-${this.rng.int(0, 1e6)}`;
        }
        break;
      }
      case 'bad-query':
        this.mutateQuery(op, query, variant);
        break;
      case 'forged-cursor': {
        const at = query.findIndex(([k]) => k === 'cursor');
        const cursor = this.rng.chance(0.85) ? this.rng.pick(FORGED_CURSORS) : this.rng.pick(BAD_STRINGS);
        if (at >= 0) query[at] = ['cursor', cursor];
        else query.push(['cursor', cursor]);
        break;
      }
      case 'malformed-json':
        raw = this.rng.pick(JSON_GARBAGE);
        contentType = 'application/json';
        break;
      case 'wrong-content-type':
        contentType = this.rng.pick(CONTENT_TYPES);
        raw = raw ?? 'hello';
        if (contentType.startsWith('application/x-www-form')) raw = 'a=1&b=2';
        break;
      case 'non-object-body':
        raw = this.rng.pick(['null', '[]', '"text"', '123', 'true', '[{}]', '{}']);
        contentType = 'application/json';
        break;
      case 'deep-nesting': {
        const depth = this.rng.pick([50, 1_000, 20_000]);
        const nested = '['.repeat(depth) + ']'.repeat(depth);
        const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
        raw = op.body?.json && body && typeof body === 'object' && !Array.isArray(body) ? JSON.stringify(body).replace(/^\{/, `{"deep":${this.rng.chance(0.5) ? nested : objects},`) : nested;
        if (op.body?.json && typeof body === 'object' && body !== null && 'features' in body) raw = JSON.stringify(body).replace('"features":{', `"features":{"deep":${nested},`);
        contentType = 'application/json';
        break;
      }
      case 'odd-headers':
        extraHeaders['x-request-id'] = this.rng.pick(['', ' ', 'x'.repeat(500), '../../etc', 'id with spaces', '\u00e9t\u00e9', '<script>']);
        extraHeaders.accept = this.rng.pick(['text/html', 'application/xml', '*/*;q=0', 'application/problem+json', 'garbage']);
        extraHeaders['accept-encoding'] = this.rng.pick(['gzip', 'br', 'identity;q=0', 'x']);
        break;
      case 'no-auth':
        authorization = undefined;
        break;
      case 'bad-auth':
        authorization = this.rng.pick(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', `Bearer ${this.keys.admin}x`, 'Bearer hs_AAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', `bearer  ${'x'.repeat(5000)}`, 'Bearer a b', `Token ${this.keys.admin}`, 'Bearer \u00e9\u00e9']);
        break;
      case 'wrong-scope':
        authorization = `Bearer ${op.method === 'GET' ? this.keys.ingest : this.keys.read}`;
        break;
      case 'other-model':
        authorization = `Bearer ${this.keys.otherModel}`;
        break;
    }
    if (!op.isPublic && authorization === undefined && variant !== 'no-auth') authorization = `Bearer ${this.keys.admin}`;
    if (raw !== undefined && contentType === undefined) contentType = 'application/json';
    let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeUri(params[name] ?? ''));
    let offRoute = Object.values(params).some((v) => v === '' || v === '.' || v === '..');
    if (variant === 'bad-path-param' && this.rng.chance(0.15)) {
      path = path.replace(/[^/]+$/, (s) => s + this.rng.pick(['/', '//x', '%2F..', ';x=1']));
      offRoute = true;
    }
    const qs = query.map(([k, v]) => `${encodeUri(k)}=${encodeUri(v)}`).join('&');
    return {
      op,
      variant,
      method: op.method,
      url: qs ? `${path}?${qs}` : path,
      headers: { ...(authorization !== undefined ? { authorization } : {}), ...(raw !== undefined && contentType ? { 'content-type': contentType } : {}), ...extraHeaders },
      ...(raw !== undefined ? { body: raw } : {}),
      ...(offRoute ? { offRoute } : {}),
    };
  }

  /** Learns the ids in an answer (collections and created resources). */
  observe(request: FuzzRequest, response: FuzzResponse): void {
    if (response.status < 200 || response.status >= 300) return;
    const type = String(response.headers['content-type'] ?? '');
    if (!type.includes('json')) return;
    const body = safeJson(response.body) as Record<string, any> | undefined;
    if (!body || typeof body !== 'object') return;
    const kind = kindOf(request.op.path);
    if (!kind) return;
    const ids: string[] = [];
    if (typeof body.id === 'string') ids.push(body.id);
    if (Array.isArray(body.items)) for (const item of body.items.slice(0, 20)) if (item && typeof item.id === 'string') ids.push(item.id);
    if (Array.isArray(body.results)) for (const item of body.results.slice(0, 20)) if (item && typeof item.id === 'string') ids.push(item.id);
    if (kind === 'jobs' && Array.isArray(body.items)) for (const item of body.items) if (item && typeof item.name === 'string') this.remember('jobs', item.name);
    if (body.run && typeof body.run.id === 'string') ids.push(body.run.id);
    for (const id of ids) this.remember(kind === 'batch' ? 'predictions' : kind, id);
  }

  remember(kind: string, id: string): void {
    const pool = this.pools.get(kind) ?? [];
    if (pool.includes(id)) return;
    pool.push(id);
    if (pool.length > 200) pool.splice(0, pool.length - 200);
    this.pools.set(kind, pool);
  }

  // -- values --------------------------------------------------------------------------------------------

  private pathValue(op: Operation, name: string, schema: Schema, example: unknown): string {
    if (name === 'model') return this.rng.chance(0.85) ? this.rng.pick([SEED.binary, SEED.binary, SEED.regression, SEED.multiclass]) : this.string(schema, false);
    if (name === 'version') return this.rng.pick(Object.values(SEED.versions).flat());
    const kind = kindBeforeParam(op.path, name);
    const pool = this.pools.get(kind ?? '') ?? [];
    if (pool.length > 0 && this.rng.chance(0.85)) return this.rng.pick(pool);
    if (schema.enum) return String(this.rng.pick(schema.enum as unknown[]));
    if (example !== undefined && this.rng.chance(0.5)) return String(example);
    return this.string(schema, false);
  }

  private queryValue(op: Operation, name: string, schema: Schema, example: unknown, boundary: boolean): string | undefined {
    const models = [SEED.binary, SEED.regression];
    if (name === 'model') return this.rng.pick(models);
    if (['version', 'a', 'b'].includes(name)) return this.rng.pick(SEED.versions[SEED.binary]!);
    if (name === 'unit') return `user-${this.rng.int(0, 1000)}`;
    if (example !== undefined && this.rng.chance(0.4)) return String(example);
    const value = this.generate(schema, { boundary, depth: 0, key: name, op });
    if (value === undefined || value === null) return undefined;
    return Array.isArray(value) ? value.join(',') : String(value);
  }

  /** A value valid for the schema (best effort; `boundary` prefers the edges). */
  generate(schema: Schema | undefined, ctx: { boundary: boolean; depth: number; key: string; op: Operation }): unknown {
    if (!schema) return null;
    if (schema.$ref) return this.generate(this.resolve(schema.$ref), ctx);
    if (schema.const !== undefined) return schema.const;
    if (schema.enum) return this.rng.pick(schema.enum as unknown[]);
    if (schema.anyOf || schema.oneOf) return this.generate(this.rng.pick((schema.anyOf ?? schema.oneOf) as Schema[]), ctx);
    if (schema.allOf) return this.generate(Object.assign({}, ...(schema.allOf as Schema[])), ctx);
    let type = schema.type;
    if (Array.isArray(type)) {
      const nonNull = type.filter((t: string) => t !== 'null');
      type = nonNull.length > 0 && (this.rng.chance(0.9) || nonNull.length === type.length) ? this.rng.pick(nonNull) : 'null';
    }
    if (!type) type = schema.properties ? 'object' : this.rng.pick(['string', 'number', 'boolean']);
    const named = this.named(ctx.key, schema);
    if (named !== undefined && type === 'string') return named;
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return this.rng.chance(0.5);
      case 'integer':
      case 'number': {
        const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (type === 'integer' ? 1 : 1e-9) : ctx.boundary ? -1e6 : 0);
        const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (type === 'integer' ? 1 : 1e-9) : ctx.boundary ? 1e9 : Math.max(min, 100));
        if (ctx.boundary) return this.rng.pick([min, max, type === 'integer' ? Math.ceil(min) : min, type === 'integer' ? Math.floor(max) : max]);
        const v = min + this.rng.next() * (max - min);
        return type === 'integer' ? Math.max(Math.ceil(min), Math.min(Math.floor(max), Math.round(v))) : v;
      }
      case 'string':
        return this.string(schema, ctx.boundary);
      case 'array': {
        const lo = schema.minItems ?? 0;
        const hi = Math.min(schema.maxItems ?? 4, lo + 4, 50);
        const n = ctx.boundary ? this.rng.pick([lo, Math.min(schema.maxItems ?? hi, 50)]) : this.rng.int(lo, Math.max(lo, hi));
        const items = Array.from({ length: n }, () => this.generate(schema.items ?? {}, { ...ctx, depth: ctx.depth + 1 }));
        return schema.uniqueItems ? [...new Map(items.map((i) => [JSON.stringify(i), i])).values()] : items;
      }
      case 'object':
      default: {
        const out: Record<string, unknown> = {};
        if (ctx.depth > 6) return out;
        const required = new Set((schema.required ?? []) as string[]);
        for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
          if (!required.has(key) && !this.rng.chance(ctx.boundary ? 0.7 : 0.4)) continue;
          out[key] = this.generate(sub, { ...ctx, depth: ctx.depth + 1, key });
        }
        if (schema.additionalProperties && typeof schema.additionalProperties === 'object' && Object.keys(out).length === 0) {
          const n = this.rng.int(schema.minProperties ?? 0, Math.min(schema.maxProperties ?? 4, 4));
          for (let i = 0; i < n; i++) out[`f${i}`] = this.generate(schema.additionalProperties as Schema, { ...ctx, depth: ctx.depth + 1, key: `f${i}` });
        }
        return out;
      }
    }
  }

  /** Names that mean something here: the seeded models and versions, loopback webhook URLs. */
  private named(key: string, schema: Schema): string | undefined {
    if (key === 'model' && this.rng.chance(0.9)) return this.rng.pick([SEED.binary, SEED.regression, SEED.multiclass]);
    if ((key === 'version' || key === 'a' || key === 'b') && this.rng.chance(0.9)) return this.rng.pick(Object.values(SEED.versions).flat());
    if (key === 'predictionId') {
      const pool = this.pools.get('predictions') ?? [];
      if (pool.length > 0 && this.rng.chance(0.8)) return this.rng.pick(pool);
    }
    if (key === 'externalId' && this.rng.chance(0.5)) return this.rng.chance(0.5) ? '2024-10-18-LAL-BOS' : `seed-${this.rng.int(1, 299)}`;
    if (key === 'url' || schema.format === 'uri') return this.options.webhookUrl;
    if (schema.format === 'date-time') return new Date(Date.now() - this.rng.int(0, 30 * 86_400_000)).toISOString();
    if (schema.format === 'uuid') return this.rng.uuid();
    return undefined;
  }

  private string(schema: Schema, boundary: boolean): string {
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? 64;
    if (schema.pattern) {
      const fromPattern = this.matching(schema.pattern as string);
      if (fromPattern !== undefined && fromPattern.length >= min && fromPattern.length <= max) return fromPattern;
      const example = ((schema.examples ?? []) as unknown[]).find((e) => typeof e === 'string');
      if (example !== undefined) return example as string;
    }
    if (schema.format === 'date-time') return new Date(Date.now() - this.rng.int(0, 30 * 86_400_000)).toISOString();
    if (schema.format === 'uuid') return this.rng.uuid();
    if (schema.format === 'uri') return this.options.webhookUrl;
    if (schema.examples && this.rng.chance(0.5)) return String(this.rng.pick(schema.examples as unknown[]));
    const length = boundary ? this.rng.pick([Math.max(min, 1), Math.min(max, 2_000)]) : this.rng.int(Math.max(min, 1), Math.max(Math.max(min, 1), Math.min(max, 24)));
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 -_é';
    return Array.from({ length }, () => alphabet[this.rng.int(0, alphabet.length - 1)]).join('');
  }

  private matching(pattern: string): string | undefined {
    let arbitrary = this.patternArbitraries.get(pattern);
    if (arbitrary === undefined) {
      try {
        arbitrary = fc.stringMatching(new RegExp(pattern));
      } catch {
        arbitrary = null;
      }
      this.patternArbitraries.set(pattern, arbitrary);
    }
    if (!arbitrary) return undefined;
    return fc.sample(arbitrary, { seed: this.rng.int(0, 2 ** 31 - 1), numRuns: 1 })[0];
  }

  /** Examples name `nba-game-predictor` and friends, which are seeded; ids come from the pools. */
  private contextualise(example: unknown, op: Operation): unknown {
    if (example && typeof example === 'object' && !Array.isArray(example)) {
      const body = example as Record<string, unknown>;
      if (typeof body.predictionId === 'string') {
        const pool = this.pools.get('predictions') ?? [];
        if (pool.length > 0) body.predictionId = this.rng.pick(pool);
      }
      if (typeof body.url === 'string') body.url = this.options.webhookUrl;
      if (op.path === '/v1/predictions' && this.rng.chance(0.7)) {
        body.externalId = `fz-${this.rng.int(0, 5000)}`;
        delete body.version;
        body.predictedAt = new Date(Date.now() - this.rng.int(0, 7 * 86_400_000)).toISOString();
      }
      if (op.path === '/v1/experiments' && typeof body.name === 'string') body.name = `${body.name}-${this.rng.int(0, 1e6)}`;
      if (op.path === '/v1/models' && typeof body.name === 'string' && this.rng.chance(0.5)) body.name = `${body.name}-${this.rng.int(0, 1e6)}`;
      if (op.path === '/v1/api-keys' && this.rng.chance(0.5)) delete body.models;
    }
    return example;
  }

  // -- mutations -----------------------------------------------------------------------------------------

  private mutateBody(body: unknown, schema: Schema, variant: string): unknown {
    if (variant === 'proto-pollution') {
      const text = JSON.stringify(body);
      const payload = this.rng.pick(['"__proto__":{"polluted":"yes","isAdmin":true}', '"constructor":{"prototype":{"polluted":"yes"}}', '"prototype":{"polluted":"yes"}']);
      if (text.startsWith('{') && text !== '{}') return this.rng.chance(0.5) ? `{${payload},${text.slice(1)}` : text.replace(/"features":\{/, `"features":{${payload},`).replace(/^\{(?!")/, `{${payload}`);
      return `{${payload}}`;
    }
    const slots = collectSlots(body, schema, (ref) => this.resolve(ref));
    if (slots.length === 0) return variant === 'extra-property' ? { ...(body as object), zzzExtra: 1 } : this.rng.pick([[], 'x', 42]);
    const slot = this.rng.pick(slots);
    switch (variant) {
      case 'wrong-type':
        slot.set(this.rng.pick([42, -1, 'text', true, null, [], {}, [1, 'a'], 1.5]));
        break;
      case 'missing-required': {
        const withRequired = slots.filter((s) => s.requiredKeys.length > 0 && s.value && typeof s.value === 'object');
        if (withRequired.length === 0) {
          slot.set(undefined);
          break;
        }
        const s = this.rng.pick(withRequired);
        delete (s.value as Record<string, unknown>)[this.rng.pick(s.requiredKeys)];
        break;
      }
      case 'extra-property': {
        const objects = slots.filter((s) => s.value && typeof s.value === 'object' && !Array.isArray(s.value));
        const target = (objects.length > 0 ? this.rng.pick(objects).value : body) as Record<string, unknown>;
        target[this.rng.pick(['zzzExtra', 'admin', 'id', 'status', 'createdAt', 'modelId', 'keyHash'])] = this.rng.pick([1, 'x', true, { a: 1 }]);
        break;
      }
      case 'oversize-string': {
        const strings = slots.filter((s) => typeof s.value === 'string' || s.schema.type === 'string');
        const n = this.rng.pick([257, 1_025, 10_000, 100_000, this.options.oversizeBytes]);
        (strings.length > 0 ? this.rng.pick(strings) : slot).set('x'.repeat(n));
        break;
      }
      case 'number-extremes': {
        const numbers = slots.filter((s) => typeof s.value === 'number' || s.schema.type === 'number' || s.schema.type === 'integer');
        const v = this.rng.pick([-1, -1e308, 1e308, 2 ** 53 + 1, -(2 ** 31) - 1, 2 ** 31, 0, -0, 5e-324, 1.5, 0.1 + 0.2, 1e21]);
        if (numbers.length > 0) this.rng.pick(numbers).set(v);
        else return `${JSON.stringify(body).slice(0, -1)}${JSON.stringify(body) === '{}' ? '' : ','}"n":1e400}`;
        break;
      }
      case 'bad-enum': {
        const enums = slots.filter((s) => s.schema.enum);
        (enums.length > 0 ? this.rng.pick(enums) : slot).set(this.rng.pick(['zzz', 'ADMIN', '', 'production ', 1]));
        break;
      }
      case 'nul-and-surrogates': {
        const strings = slots.filter((s) => typeof s.value === 'string');
        const bad = this.rng.pick(['a\u0000b', '\u0000', '\ud800', 'x\udfffy', '\u202e', 'a\\u0000b']);
        if (strings.length > 0) this.rng.pick(strings).set(bad);
        else if (body && typeof body === 'object') (body as Record<string, unknown>)[this.rng.pick(['name', 'description', 'reason', 'x\u0000'])] = bad;
        break;
      }
    }
    return body;
  }

  private mutateQuery(op: Operation, query: [string, string][], _variant: string): void {
    const params = op.parameters.filter((p) => p.in === 'query');
    const choice = this.rng.int(0, 4);
    if (params.length === 0 || choice === 0) {
      query.push([this.rng.pick(['zzz', '__proto__', 'constructor[prototype][x]', 'limit', 'cursor']), this.rng.pick(BAD_STRINGS)]);
      return;
    }
    const p = this.rng.pick(params);
    const existing = query.findIndex(([k]) => k === p.name);
    const bad =
      choice === 1
        ? this.rng.pick(BAD_STRINGS)
        : choice === 2
          ? this.rng.pick(['-1', '0', '99999999999999999999', '1.5', '1e999', 'NaN', 'Infinity', 'true'])
          : choice === 3
            ? this.rng.pick(['2024-02-30T00:00:00Z', '0000-00-00T00:00:00Z', '9999-12-31T23:59:59Z', 'yesterday', '24x', '-7d', '0d', '100000000d', '1d1d'])
            : this.rng.pick(['zzz', 'ADMIN', 'x'.repeat(3000)]);
    if (existing >= 0 && this.rng.chance(0.7)) query[existing] = [p.name, bad];
    else query.push([p.name, bad]);
    if (this.rng.chance(0.1)) query.push([p.name, bad]);
  }

  private resolve(ref: string): Schema {
    const parts = ref.replace(/^#\//, '').split('/');
    let node: any = this.spec.doc;
    for (const part of parts) node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    return node ?? {};
  }
}

/** encodeURIComponent, with lone surrogates sent as the invalid UTF-8 they would be (%ED%A0%80). */
function encodeUri(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

interface Slot {
  value: unknown;
  schema: Schema;
  requiredKeys: string[];
  set(value: unknown): void;
}

/** Every value in the body with the schema describing it, and a setter. */
function collectSlots(body: unknown, schema: Schema, resolve: (ref: string) => Schema): Slot[] {
  const slots: Slot[] = [];
  const walk = (value: unknown, s: Schema, set: (v: unknown) => void, depth: number) => {
    if (depth > 8) return;
    if (s.$ref) s = resolve(s.$ref);
    if ((s.anyOf || s.oneOf) && value && typeof value === 'object') s = ((s.anyOf ?? s.oneOf) as Schema[]).find((b) => b.type === (Array.isArray(value) ? 'array' : 'object')) ?? s;
    slots.push({ value, schema: s, requiredKeys: (s.required ?? []) as string[], set });
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, s.items ?? {}, (v) => (value[i] = v), depth + 1));
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const sub = (s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : {})) as Schema;
        walk(record[key], sub, (v) => (v === undefined ? delete record[key] : (record[key] = v)), depth + 1);
      }
    }
  };
  walk(body, schema, () => {}, 0);
  return slots.slice(1).length > 0 ? slots.slice(1) : slots;
}

/** The kind of resource a path returns ids of: the last static segment (`/v1/models/{model}/drift-reports` → drift-reports). */
function kindOf(path: string): string | undefined {
  const segments = path.split('/').filter(Boolean);
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (s.startsWith('{')) continue;
    if (['acknowledge', 'resolve', 'result', 'conclude', 'promote', 'rollback', 'assignment', 'results', 'rows'].includes(s)) return undefined;
    return s;
  }
  return undefined;
}

function kindBeforeParam(path: string, name: string): string | undefined {
  const segments = path.split('/').filter(Boolean);
  const index = segments.indexOf(`{${name}}`);
  return index > 0 ? segments[index - 1] : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// A run

export interface FuzzRunOptions {
  send: Send;
  spec: Spec;
  seed: number;
  requests: number;
  concurrency: number;
  adminKey: string;
  /** A loopback URL nothing listens on: webhook targets that fail without leaving the machine. */
  webhookUrl: string;
  /** A string this long overflows the body limit (413). */
  oversizeBytes: number;
  log?: (message: string) => void;
}

export interface FuzzRunResult {
  seed: number;
  requests: number;
  byClass: Record<string, number>;
  byStatus: Record<string, number>;
  byVariant: Record<string, number>;
  operations: number;
  operationsCovered: number;
  /** Operations that answered a 2xx at least once. */
  operationsReached2xx: number;
  notReached2xx: string[];
  findings: Finding[];
  findingsByKind: Record<string, number>;
  prototypePolluted: boolean;
}

export async function runFuzz(options: FuzzRunOptions): Promise<FuzzRunResult> {
  const rng = new Rng(options.seed);
  const keys = await seedFuzzData(options.send, options.adminKey, options.spec, rng, options.webhookUrl);
  const generator = new RequestGenerator(options.spec, rng, keys, { webhookUrl: options.webhookUrl, oversizeBytes: options.oversizeBytes });
  const validator = new ResponseValidator(options.spec);
  // Prime the id pools with the seeded resources.
  for (const op of options.spec.operations.filter((o) => o.method === 'GET' && !o.path.endsWith('}') && !o.path.includes('{id}'))) {
    const request = generator.build(op, 'valid');
    const response = await options.send(request).catch(() => null);
    if (response) generator.observe(request, response);
  }

  const byClass: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const byVariant: Record<string, number> = {};
  const covered = new Set<string>();
  const reached = new Set<string>();
  const findings: Finding[] = [];
  let sent = 0;
  let answered = 0;
  const started = Date.now();
  // Requests are generated in order (reproducible for a seed); answers may arrive in any order.
  const worker = async () => {
    while (sent < options.requests) {
      sent++;
      const request = generator.next();
      let response: FuzzResponse;
      try {
        response = await options.send(request);
      } catch (error) {
        findings.push({ kind: 'no answer', request: `${request.method} ${request.url.slice(0, 200)} [${request.variant}]`, status: null, detail: error instanceof Error ? error.message : String(error) });
        byClass.error = (byClass.error ?? 0) + 1;
        continue;
      }
      const cls = `${String(response.status)[0]}xx`;
      byClass[cls] = (byClass[cls] ?? 0) + 1;
      byStatus[response.status] = (byStatus[response.status] ?? 0) + 1;
      byVariant[request.variant] = (byVariant[request.variant] ?? 0) + 1;
      covered.add(request.op.id);
      if (response.status < 300) reached.add(request.op.id);
      findings.push(...validator.check(request, response));
      generator.observe(request, response);
      answered++;
      if (options.log && answered % 2000 === 0) options.log(`fuzz: ${answered} requests, ${findings.length} findings, ${Math.round((answered * 1000) / (Date.now() - started))} req/s`);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  const findingsByKind: Record<string, number> = {};
  for (const f of findings) findingsByKind[f.kind] = (findingsByKind[f.kind] ?? 0) + 1;
  const probe = {} as Record<string, unknown>;
  return {
    seed: options.seed,
    requests: sent,
    byClass,
    byStatus,
    byVariant,
    operations: options.spec.operations.length,
    operationsCovered: covered.size,
    operationsReached2xx: reached.size,
    notReached2xx: options.spec.operations.map((o) => o.id).filter((id) => !reached.has(id)),
    findings,
    findingsByKind,
    prototypePolluted: probe.polluted !== undefined || probe.isAdmin !== undefined || (Object.prototype as Record<string, unknown>).polluted !== undefined,
  };
}

/** A seed from FUZZ_SEED, or a fresh one (printed, so that a failing run can be replayed). */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_SEED;
  if (raw !== undefined && raw !== '') {
    const seed = Number(raw);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw new Error(`FUZZ_SEED must be an integer from 0 to 4294967295, got "${raw}"`);
    return seed;
  }
  return Number.parseInt(randomUUID().replace(/-/g, '').slice(0, 8), 16);
}
