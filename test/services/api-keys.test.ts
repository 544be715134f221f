import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysRepository } from '../../src/db/repositories/api-keys.js';
import { ApiKeyService } from '../../src/services/api-keys.js';
import { createTestApp, type TestContext } from '../helpers/app.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestApp();
});
afterAll(() => ctx.close());

describe('bootstrap admin key', () => {
  it('is generated once even when several replicas start together, and never again while it is usable', async () => {
    const replicas = Array.from({ length: 5 }, () => new ApiKeyService(new ApiKeysRepository(ctx.app.services.db.prisma), undefined));
    const generated = (await Promise.all(replicas.map((r) => r.bootstrapAdminKey()))).filter(Boolean);
    expect(generated).toHaveLength(1);
    const principal = await replicas[3]!.authenticate(`Bearer ${generated[0]}`);
    expect([...principal.scopes]).toEqual(['admin']);
    expect(await replicas[0]!.bootstrapAdminKey()).toBeUndefined();
  });

  it('is not generated when HINDSIGHT_ADMIN_KEY is configured', async () => {
    const service = new ApiKeyService(new ApiKeysRepository(ctx.app.services.db.prisma), 'configured-admin-key-0123456789');
    expect(await service.bootstrapAdminKey()).toBeUndefined();
  });
});
