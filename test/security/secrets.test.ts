import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, call, createTestApp, type TestContext } from '../helpers/app.js';
import { binaryModel, createModel } from '../helpers/fixtures.js';

/**
 * Secrets are never stored or logged in plain text. Keys are created, used (accepted, refused for their
 * scope or model, revoked, expired, mistyped), webhook secrets created and rotated; then every line the
 * app's pino logger wrote (at trace level, through a real logger stream) and every row of every table
 * (dumped with pg) are searched: no key, no key secret, no bootstrap admin key, no webhook secret appears,
 * while the key prefixes and secret hints do (so the search looked in the right places). Webhook secrets
 * must be recoverable to sign with: they are sealed with HINDSIGHT_SECRETS_KEY (AES-256-GCM), set here as
 * in production; without it they are stored marked `plain:`, as the README says.
 * (test/routes/auth.test.ts checks the same of a real server process's stdout at debug level.)
 */
let t: TestContext;
const lines: string[] = [];
const secrets = new Map<string, string>();
const prefixes: string[] = [];

async function dumpDatabase(sql: pg.Pool): Promise<string> {
  const { rows: tables } = await sql.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`);
  const parts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql.query<{ dump: string | null }>(`SELECT string_agg(t::text, E'\\n') AS dump FROM "${name}" t`);
    parts.push(`-- ${name}\n${rows[0]!.dump ?? ''}`);
  }
  return parts.join('\n');
}

beforeAll(async () => {
  const secretsKey = randomBytes(32).toString('base64');
  t = await createTestApp({ LOG_LEVEL: 'trace', HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true', HINDSIGHT_SECRETS_KEY: secretsKey }, { logStream: { write: (line: string) => void lines.push(line) } });
  secrets.set('bootstrap admin key', ADMIN_KEY);
  secrets.set('HINDSIGHT_SECRETS_KEY', secretsKey);
  await createModel(t.app, binaryModel('a'), 'v1');
  await createModel(t.app, binaryModel('b'), 'v1');

  const created: { id: string; key: string; prefix: string; name: string }[] = [];
  for (const body of [
    { name: 'reader', scopes: ['read'] },
    { name: 'serving a', scopes: ['ingest', 'read'], models: ['a'] },
    { name: 'admin', scopes: ['admin'] },
    { name: 'to revoke', scopes: ['read'] },
    { name: 'to expire', scopes: ['read'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
  ]) {
    const r = await call(t.app, 'POST', '/v1/api-keys', body);
    expect(r.statusCode, r.body).toBe(201);
    const key = r.json();
    created.push(key);
    secrets.set(`key "${key.name}"`, key.key);
    secrets.set(`secret part of key "${key.name}"`, key.key.slice(key.prefix.length + 1));
    prefixes.push(key.prefix);
  }
  const [reader, serving, admin, toRevoke, toExpire] = created as [(typeof created)[0], (typeof created)[0], (typeof created)[0], (typeof created)[0], (typeof created)[0]];
  // Used: accepted, refused for a scope, refused for a model, revoked, expired, mistyped.
  expect((await call(t.app, 'GET', '/v1/models', undefined, reader.key)).statusCode).toBe(200);
  expect((await call(t.app, 'POST', '/v1/models', { name: 'c', task: 'regression' }, reader.key)).statusCode).toBe(403);
  expect((await call(t.app, 'POST', '/v1/predictions', { model: 'a', features: { x: 1 }, prediction: 'LAL' }, serving.key)).statusCode).toBe(201);
  expect((await call(t.app, 'POST', '/v1/predictions', { model: 'b', features: { x: 1 }, prediction: 'LAL' }, serving.key)).statusCode).toBe(403);
  expect((await call(t.app, 'GET', '/v1/api-keys', undefined, admin.key)).statusCode).toBe(200);
  expect((await call(t.app, 'GET', '/v1/models', undefined, toRevoke.key)).statusCode).toBe(200);
  expect((await call(t.app, 'DELETE', `/v1/api-keys/${toRevoke.id}`)).statusCode).toBe(200);
  expect((await call(t.app, 'GET', '/v1/models', undefined, toRevoke.key)).statusCode).toBe(401);
  await t.sql.query(`UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [toExpire.id]);
  expect((await call(t.app, 'GET', '/v1/models', undefined, toExpire.key)).statusCode).toBe(401);
  expect((await call(t.app, 'GET', '/v1/models', undefined, `${admin.key}x`)).statusCode).toBe(401);
  expect((await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Basic ${admin.key}` } })).statusCode).toBe(401);
  expect((await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${admin.key} ${admin.key}` } })).statusCode).toBe(401);

  // A signed dataset download URL (as a trainer sends it, no key): its signature is a credential until it expires.
  const signature = randomBytes(32).toString('hex');
  secrets.set('dataset download signature', signature);
  const download = await t.app.inject({ method: 'GET', url: `/v1/datasets/${randomUUID()}/rows?format=jsonl&expires=${Math.floor(Date.now() / 1000) + 60}&signature=${signature}` });
  expect(download.statusCode).toBeGreaterThanOrEqual(400);

  // Webhook signing secrets: the training webhook (created, then rotated) and a subscription.
  const hook = await call(t.app, 'PUT', '/v1/models/a/webhook', { url: 'http://127.0.0.1:9/hook' });
  expect(hook.statusCode, hook.body).toBe(201);
  secrets.set('training webhook secret', hook.json().secret);
  const rotated = await call(t.app, 'PUT', '/v1/models/a/webhook', { url: 'http://127.0.0.1:9/hook', rotateSecret: true });
  expect(rotated.statusCode, rotated.body).toBe(200);
  secrets.set('rotated training webhook secret', rotated.json().secret);
  const subscription = await call(t.app, 'POST', '/v1/models/a/subscriptions', { url: 'http://127.0.0.1:9/sub', events: ['model.version.promoted'] });
  expect(subscription.statusCode, subscription.body).toBe(201);
  secrets.set('subscription secret', subscription.json().secret);
  for (const [name, value] of [...secrets]) if (value.startsWith('whsec_')) secrets.set(`${name} (key bytes)`, value.slice('whsec_'.length));
  await t.app.close();
}, 60_000);
afterAll(() => t?.sql.end());

describe('secrets in plain text', () => {
  it('appear in no log line, at trace level', () => {
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(20);
    expect(log).toContain('/v1/api-keys');
    expect(log).toContain('incoming request');
    expect(log).toContain('signature=[redacted]');
    for (const [name, value] of secrets) expect(log.includes(value), `${name} is in the log`).toBe(false);
  });

  it('appear in no row of any table; only hashes, prefixes and hints are stored', async () => {
    const dump = await dumpDatabase(t.sql);
    for (const prefix of prefixes) expect(dump).toContain(prefix);
    expect(dump).toContain('whsec_');
    for (const [name, value] of secrets) expect(dump.includes(value), `${name} is stored in plain text`).toBe(false);
    const { rows } = await t.sql.query(`SELECT * FROM api_keys LIMIT 1`);
    // The hash column holds a digest, not the key.
    const columns = Object.keys(rows[0] as object);
    expect(columns.some((c) => /hash/.test(c)), columns.join(', ')).toBe(true);
  });
});
