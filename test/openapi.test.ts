import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestApp, type TestContext } from './helpers/app.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(() => ctx.close());

describe('OpenAPI', () => {
  it('openapi.yaml is what the app generates (run `npm run openapi` after changing a route)', async () => {
    const committed = await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8');
    expect(committed).toBe(ctx.app.swagger({ yaml: true }));
  });

  it('documents every route with a summary, tags, an example body and the auth scheme', async () => {
    const spec = parse(await readFile(new URL('../openapi.yaml', import.meta.url), 'utf8'));
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const operations = Object.entries(spec.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.length).toBeGreaterThan(15);
    for (const { path, method, op } of operations) {
      expect(op.summary, `${method} ${path} summary`).toBeTruthy();
      expect(op.tags?.length, `${method} ${path} tags`).toBeGreaterThan(0);
      const isPublic = ['/healthz', '/readyz'].includes(path);
      expect(op.security, `${method} ${path} security`).toEqual(isPublic ? [] : [{ bearerAuth: [] }]);
      const body = op.requestBody?.content?.['application/json'];
      if (body) expect(body.example ?? body.examples ?? body.schema.examples, `${method} ${path} example`).toBeTruthy();
    }
  });

  it('serves Swagger UI and the spec without a key', async () => {
    const ui = await ctx.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
    const spec = await ctx.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(spec.statusCode).toBe(200);
    expect(spec.json().openapi).toBe('3.1.0');
  });
});
