import type { PrismaClient } from '../client.js';
import type { ApiKey } from '../generated/client.js';

export type { ApiKey } from '../generated/client.js';

export interface NewApiKey {
  name: string;
  prefix: string;
  keyHash: Buffer;
  scopes: string[];
  models: string[];
  expiresAt: Date | null;
}

export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(key: NewApiKey): Promise<ApiKey> {
    return this.prisma.apiKey.create({ data: { ...key, keyHash: new Uint8Array(key.keyHash) } });
  }

  findByHash(keyHash: Buffer): Promise<ApiKey | null> {
    return this.prisma.apiKey.findUnique({ where: { keyHash: new Uint8Array(keyHash) } });
  }

  list(limit: number, before?: { createdAt: Date; id: string }): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({
      where: before ? { OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }] } : {},
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  async revoke(id: string): Promise<ApiKey | null> {
    const key = await this.prisma.apiKey.findUnique({ where: { id } });
    if (!key) return null;
    if (key.revokedAt) return key;
    return this.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: at } });
  }

  /**
   * Stores the key when no usable admin key exists; serialised by an advisory lock so that replicas
   * starting together create one bootstrap key, not one each.
   */
  createBootstrapAdmin(key: NewApiKey): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('hindsight_bootstrap_admin_key'))`;
      const usable = await tx.apiKey.count({
        where: { scopes: { has: 'admin' }, models: { isEmpty: true }, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
      });
      if (usable > 0) return false;
      await tx.apiKey.create({ data: { ...key, keyHash: new Uint8Array(key.keyHash) } });
      return true;
    });
  }
}
