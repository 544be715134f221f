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

function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw new UnauthorizedError('send an API key as "Authorization: Bearer <key>"');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <key>"');
  return match[1]!;
}

function newSecret(): { key: string; prefix: string; keyHash: Buffer } {
  const prefix = `hs_${base62(8)}`;
  const key = `${prefix}_${base62(32)}`;
  return { key, prefix, keyHash: hashKey(key) };
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
  /** null: not a valid key. */
  principal: Principal | null;
  until: number;
}

const ADMIN_PRINCIPAL: Principal = { keyId: null, name: 'HINDSIGHT_ADMIN_KEY', scopes: new Set<Scope>(['admin']), models: null };

const principalOf = (key: ApiKey): Principal => ({
  keyId: key.id,
  name: key.name,
  scopes: new Set(key.scopes as Scope[]),
  models: key.models.length > 0 ? new Set(key.models) : null,
});

/**
 * Creates keys (shown once, stored as SHA-256), and authenticates bearer tokens. Lookups are cached for a
 * few seconds so that ingestion does not pay a query per request; a revocation made on this replica is
 * effective at once, on other replicas within POSITIVE_TTL_MS.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly touched = new Map<string, number>();
  /** Bumped by every revocation: a lookup that raced with one must not cache what it read. */
  private revocations = 0;
  private readonly adminKeyHash: Buffer | undefined;

  constructor(
    private readonly repo: ApiKeysRepository,
    adminKey: string | undefined,
    private readonly onTouchError: (error: unknown) => void = () => {},
  ) {
    this.adminKeyHash = adminKey ? hashKey(adminKey) : undefined;
  }

  async create(input: { name: string; scopes: Scope[]; models?: string[]; expiresAt?: Date | null }): Promise<{ key: string; record: ApiKey }> {
    const { key, ...secret } = newSecret();
    const record = await this.repo.create({
      name: input.name,
      ...secret,
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
    this.revocations++;
    for (const [token, entry] of this.cache) if (entry.key?.id === key.id) this.cache.delete(token);
    return key;
  }

  /** Generates and stores an admin key when none is configured or usable; returns it to be printed once. */
  async bootstrapAdminKey(): Promise<string | undefined> {
    if (this.adminKeyHash) return undefined;
    const { key, ...secret } = newSecret();
    const created = await this.repo.createBootstrapAdmin({ name: 'bootstrap admin', ...secret, scopes: ['admin'], models: [], expiresAt: null });
    return created ? key : undefined;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    const now = Date.now();
    const cached = this.cache.get(token);
    return this.check(cached && cached.until > now ? cached : await this.resolve(token, now), now);
  }

  /** The principal when the key is in the cache (the common case, answered without a promise); else undefined. */
  authenticateCached(authorization: string | undefined): Principal | undefined {
    const token = bearerToken(authorization);
    const now = Date.now();
    const cached = this.cache.get(token);
    return cached && cached.until > now ? this.check(cached, now) : undefined;
  }

  private check(entry: CacheEntry, now: number): Principal {
    const key = entry.key;
    if (!entry.principal) throw new UnauthorizedError('the API key is not valid');
    if (key?.revokedAt) throw new UnauthorizedError(`the API key ${key.prefix} was revoked`);
    if (key?.expiresAt && key.expiresAt.getTime() <= now) throw new UnauthorizedError(`the API key ${key.prefix} expired at ${key.expiresAt.toISOString()}`);
    if (key) this.touch(key, now);
    return entry.principal;
  }

  /**
   * Looks a token up by its hash. The result is cached under the token itself (which is in this process's
   * memory anyway while its request runs), so that a cached request costs one Map lookup and no hashing.
   */
  private async resolve(token: string, now: number): Promise<CacheEntry> {
    const hash = hashKey(token);
    if (this.adminKeyHash && timingSafeEqual(hash, this.adminKeyHash)) {
      const entry = { key: null, principal: ADMIN_PRINCIPAL, until: Number.POSITIVE_INFINITY };
      this.cache.set(token, entry);
      return entry;
    }
    const revocations = this.revocations;
    const key = await this.repo.findByHash(hash);
    const entry: CacheEntry = { key, principal: key ? principalOf(key) : null, until: now + (key ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) };
    // A revocation committed while this query ran may have read the key before it: serve this one request
    // (it was concurrent with the revocation) but do not cache a possibly stale record for POSITIVE_TTL_MS.
    if (revocations !== this.revocations) return entry;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, entry);
    return entry;
  }

  /** Records last use at most once a minute per key, off the request path. */
  private touch(key: ApiKey, now: number): void {
    if ((this.touched.get(key.id) ?? 0) + TOUCH_INTERVAL_MS > now) return;
    this.touched.set(key.id, now);
    this.repo.touch(key.id, new Date(now)).catch(this.onTouchError);
  }
}
