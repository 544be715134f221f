import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretKey } from './secrets.js';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the signed content is
 * `${webhook-id}.${webhook-timestamp}.${body}`, the signature `v1,` + base64 HMAC-SHA256 with the secret's
 * decoded bytes. Several signatures are separated by spaces: during a secret rotation every message is
 * signed with both secrets, and a receiver holding either one verifies it.
 */

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  return createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

export function signatureHeader(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => `v1,${sign(secret, id, timestamp, body)}`).join(' ');
}

/** The headers of one delivery attempt. The timestamp is of the attempt (seconds), the id of the message. */
export function webhookHeaders(secrets: string[], id: string, body: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Hindsight-Webhooks/1.0',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, id, timestamp, body),
  };
}

export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type VerifyFailure = 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature';

/**
 * Verifies a request signed the same way (used for trainers' callbacks): the timestamp within ±5 minutes
 * of now, and any v1 signature matching any of the secrets, compared in constant time.
 */
export function verifySignature(
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string | Buffer,
  secrets: string[],
  now: Date,
): { ok: true } | { ok: false; failure: VerifyFailure } {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, failure: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, failure: 'bad-timestamp' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, failure: 'stale-timestamp' };
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  const given = signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = createHmac('sha256', secretKey(secret)).update(content).digest();
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { ok: true };
  }
  return { ok: false, failure: 'bad-signature' };
}
