import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiKeysRepository } from '../db/repositories/api-keys.js';
import { type Principal, type Scope } from '../domain/access.js';
import { NotFoundError, UnauthorizedError } from '../errors.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const POSITIVE_TTL_MS = 10_000;
const NEGATIVE_TTL_MS = 2_000;
const TOUCH_INTERVAL_MS = 60_000;

function base62(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (let i = 0; i < bytes.length && out.length < length; i++) if (bytes[i]! < 248) out += BASE62[bytes[i]! % 62];
  return out.length === length ? out : out + base62(length - out.length);
}

/** Keys are 190-bit random secrets, so a fast hash (not a password KDF) is the right way to store them. */
export const hashKey = (key: string) => createHash('sha256').update(key).digest();

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  models: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export const viewApiKey = (k: ApiKey): ApiKeyView => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  models: k.models,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

interface CacheEntry {
  key: ApiKey | null;
  until: number;
}

/**
 * Creates keys (shown once, stored as SHA-256), and authenticates bearer tokens. Lookups are cached for a
 * few seconds so that ingestion does not pay a query per request; a revocation made on this replica is
 * effective at once, on other replicas within POSITIVE_TTL_MS.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly touched = new Map<string, number>();
  private readonly adminKeyHash: Buffer | undefined;

  constructor(
    private readonly repo: ApiKeysRepository,
    adminKey: string | undefined,
    private readonly onTouchError: (error: unknown) => void = () => {},
  ) {
    this.adminKeyHash = adminKey ? hashKey(adminKey) : undefined;
  }

  async create(input: { name: string; scopes: Scope[]; models?: string[]; expiresAt?: Date | null }): Promise<{ key: string; record: ApiKey }> {
    const prefix = `hs_${base62(8)}`;
    const key = `${prefix}_${base62(32)}`;
    const record = await this.repo.create({
      name: input.name,
      prefix,
      keyHash: hashKey(key),
      scopes: [...new Set(input.scopes)],
      models: [...new Set(input.models ?? [])],
      expiresAt: input.expiresAt ?? null,
    });
    return { key, record };
  }

  list(limit: number, before?: { createdAt: Date; id: string }) {
    return this.repo.list(limit, before);
  }

  async revoke(id: string): Promise<ApiKey> {
    const key = await this.repo.revoke(id);
    if (!key) throw new NotFoundError('API key', id, '/params/id');
    this.cache.delete(Buffer.from(key.keyHash).toString('hex'));
    return key;
  }

  /** Generates and stores an admin key when none is configured or usable; returns it to be printed once. */
  async bootstrapAdminKey(): Promise<string | undefined> {
    if (this.adminKeyHash) return undefined;
    if ((await this.repo.countUsableAdminKeys(new Date())) > 0) return undefined;
    const { key } = await this.create({ name: 'bootstrap admin', scopes: ['admin'] });
    return key;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!authorization) throw new UnauthorizedError('send an API key as "Authorization: Bearer <key>"');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <key>"');
    const hash = hashKey(match[1]!);
    if (this.adminKeyHash && timingSafeEqual(hash, this.adminKeyHash)) {
      return { keyId: null, name: 'HINDSIGHT_ADMIN_KEY', scopes: new Set<Scope>(['admin']), models: null };
    }
    const key = await this.lookup(hash);
    const now = Date.now();
    if (!key) throw new UnauthorizedError('the API key is not valid');
    if (key.revokedAt) throw new UnauthorizedError(`the API key ${key.prefix} was revoked`);
    if (key.expiresAt && key.expiresAt.getTime() <= now) throw new UnauthorizedError(`the API key ${key.prefix} expired at ${key.expiresAt.toISOString()}`);
    this.touch(key, now);
    return {
      keyId: key.id,
      name: key.name,
      scopes: new Set(key.scopes as Scope[]),
      models: key.models.length > 0 ? new Set(key.models) : null,
    };
  }

  private async lookup(hash: Buffer): Promise<ApiKey | null> {
    const cacheKey = hash.toString('hex');
    const now = Date.now();
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > now) return cached.key;
    const key = await this.repo.findByHash(hash);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { key, until: now + (key ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) });
    return key;
  }

  /** Records last use at most once a minute per key, off the request path. */
  private touch(key: ApiKey, now: number): void {
    if ((this.touched.get(key.id) ?? 0) + TOUCH_INTERVAL_MS > now) return;
    this.touched.set(key.id, now);
    this.repo.touch(key.id, new Date(now)).catch(this.onTouchError);
  }
}
