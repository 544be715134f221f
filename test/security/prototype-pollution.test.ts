import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, call, createTestApp, problem, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

/**
 * Prototype-pollution bodies are refused on every operation that takes a body (taken from the app's own
 * OpenAPI document, so a new route is covered): `__proto__`, `constructor.prototype` and `prototype` keys,
 * at the top level or nested in objects and arrays, as JSON or as NDJSON lines — a 400 naming the key, and
 * nothing stored. In query strings they are inert. Object.prototype is never polluted.
 * (test/routes/bad-input.test.ts has the prediction cases with their exact paths.)
 */
let t: TestContext;
const POLLUTED = 'polluted-by-test';

interface BodyOperation {
  method: string;
  url: string;
  example: Record<string, unknown>;
}
const operations: BodyOperation[] = [];

const fill = (path: string) => path.replace('{model}', 'a').replace('{version}', 'v1').replace('{name}', 'daily-learning').replace(/\{id\}/g, '00000000-0000-4000-8000-000000000000');

const payloads = (example: Record<string, unknown>): [string, string, RegExp][] => {
  const inner = JSON.stringify(example).slice(1, -1);
  const rest = inner ? `,${inner}` : '';
  return [
    [`{"__proto__":{"polluted":"${POLLUTED}"}${rest}}`, 'top-level __proto__', /\/body\/__proto__$/],
    [`{"constructor":{"prototype":{"polluted":"${POLLUTED}"}}${rest}}`, 'top-level constructor.prototype', /\/body\/constructor$/],
    [`{"prototype":{"polluted":"${POLLUTED}"}${rest}}`, 'top-level prototype', /\/body\/prototype$/],
    [`{"nested":{"deeper":[{"a":1},{"__proto__":{"polluted":"${POLLUTED}"}}]}${rest}}`, '__proto__ nested in an array', /\/body\/nested\/deeper\/1\/__proto__$/],
  ];
};

beforeAll(async () => {
  t = await createTestApp({ HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true' });
  await createModel(t.app, binaryModel('a'), 'v1');
  const spec = t.app.swagger() as { paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { examples?: unknown[] }; example?: unknown; examples?: Record<string, { value: unknown }> }> } }>> };
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const json = op.requestBody?.content?.['application/json'];
      if (!json) continue;
      const example = (json.example ?? Object.values(json.examples ?? {})[0]?.value ?? json.schema?.examples?.[0] ?? {}) as Record<string, unknown>;
      operations.push({ method: method.toUpperCase(), url: fill(path), example });
    }
  }
});
afterAll(() => t?.close());

async function pollutionStored(): Promise<number> {
  const { rows: tables } = await t.sql.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
  let found = 0;
  for (const { name } of tables) {
    const { rows } = await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}" t WHERE t::text LIKE '%${POLLUTED}%'`);
    found += rows[0]!.n;
  }
  return found;
}

describe('prototype pollution', () => {
  it('is refused (400 naming the key) on every operation that takes a JSON body', async () => {
    expect(operations.length).toBeGreaterThan(20);
    for (const op of operations) {
      for (const [body, what, path] of payloads(op.example)) {
        const response = await call(t.app, op.method as 'POST', op.url, body);
        const p = problem(response, 400);
        expect(p.errors?.[0]?.path, `${op.method} ${op.url}, ${what}: ${response.body}`).toMatch(path);
        expect(p.errors?.[0]?.message).toMatch(/prototype pollution/);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(await pollutionStored()).toBe(0);
  });

  it('is refused in batch items and NDJSON baseline lines', async () => {
    const batch = await call(t.app, 'POST', '/v1/predictions/batch', `{"items":[{"model":"a","features":{"x":1},"prediction":"LAL"},{"model":"a","features":{"constructor":{"prototype":{"polluted":"${POLLUTED}"}}},"prediction":"LAL"}]}`);
    expect(problem(batch, 400).errors?.[0]?.path).toBe('/body/items/1/features/constructor');
    const ndjson = await t.app.inject({
      method: 'PUT',
      url: '/v1/models/a/baseline',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/x-ndjson' },
      payload: `{"features":{"x":1},"prediction":"LAL"}\n{"features":{"__proto__":{"polluted":"${POLLUTED}"}},"prediction":"LAL"}\n`,
    });
    const p = problem(ndjson, 400);
    expect(p.errors?.[0]?.path).toBe('/body/line/2/features/__proto__');
    expect(await pollutionStored()).toBe(0);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('is inert in query strings', async () => {
    for (const url of ['/v1/models', '/v1/models/a/predictions', '/v1/alerts', '/v1/experiments']) {
      for (const query of [`__proto__[polluted]=${POLLUTED}`, `constructor[prototype][polluted]=${POLLUTED}`, `__proto__.polluted=${POLLUTED}`, `__proto__=${POLLUTED}`]) {
        const response = await call(t.app, 'GET', `${url}?${query}`);
        expect([200, 400], `${url}?${query}: ${response.body}`).toContain(response.statusCode);
        if (response.statusCode === 400) problem(response, 400);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('__proto__.polluted');
  });
});
