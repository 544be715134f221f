import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { nextDelay, parseRetryAfter, RETRY_SCHEDULE_MS } from '../../src/webhooks/schedule.js';
import { SecretBox, generateSecret, secretHint } from '../../src/webhooks/secrets.js';
import { verifySignature, webhookHeaders } from '../../src/webhooks/signature.js';

describe('Standard Webhooks signatures', () => {
  const secret = generateSecret();
  const body = JSON.stringify({ type: 'retrain.requested', timestamp: '2024-10-19T06:00:00.000Z', data: { model: 'nba-game-predictor' } });
  const now = new Date();

  it('are accepted by the standardwebhooks library, and its signatures by ours', () => {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = webhookHeaders([secret], 'msg_1', body, now);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    const theirs = new Webhook(secret).sign('msg_2', now, body);
    const ts = String(Math.floor(now.getTime() / 1000));
    expect(verifySignature({ id: 'msg_2', timestamp: ts, signature: theirs }, body, [secret], now)).toEqual({ ok: true });
  });

  it('are refused when the body, the secret or the time is wrong', () => {
    const headers = webhookHeaders([secret], 'msg_1', body, now);
    const read = { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'] };
    expect(verifySignature(read, `${body} `, [secret], now)).toEqual({ ok: false, failure: 'bad-signature' });
    expect(verifySignature(read, body, [generateSecret()], now)).toEqual({ ok: false, failure: 'bad-signature' });
    expect(verifySignature(read, body, [secret], new Date(now.getTime() + 6 * 60_000))).toEqual({ ok: false, failure: 'stale-timestamp' });
    expect(verifySignature({ ...read, timestamp: 'soon' }, body, [secret], now)).toEqual({ ok: false, failure: 'bad-timestamp' });
    expect(verifySignature({ id: 'msg_1' }, body, [secret], now)).toEqual({ ok: false, failure: 'missing-headers' });
  });

  it('carry one signature per secret during a rotation; either secret verifies', () => {
    const next = generateSecret();
    const headers = webhookHeaders([next, secret], 'msg_3', body, now);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    new Webhook(secret).verify(body, headers);
    new Webhook(next).verify(body, headers);
  });
});

describe('secrets at rest', () => {
  it('are sealed with AES-256-GCM when a key is configured, plain otherwise, and open either way', () => {
    const secret = generateSecret();
    const plain = new SecretBox();
    expect(plain.seal(secret)).toBe(`plain:${secret}`);
    const box = new SecretBox(Buffer.alloc(32, 9).toString('base64'));
    const sealed = box.seal(secret);
    expect(sealed).toMatch(/^aes-256-gcm:/);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.open(sealed)).toBe(secret);
    expect(box.open(plain.seal(secret))).toBe(secret);
    expect(() => plain.open(sealed)).toThrow(/HINDSIGHT_SECRETS_KEY/);
    expect(() => new SecretBox(Buffer.alloc(32, 8).toString('base64')).open(sealed)).toThrow();
    expect(secretHint(secret)).toBe(`${secret.slice(0, 10)}…`);
  });
});

describe('the retry schedule', () => {
  it('is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then nothing', () => {
    expect(RETRY_SCHEDULE_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    const exact = { random: () => 0.5 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => nextDelay(n, null, exact))).toEqual(RETRY_SCHEDULE_MS.slice(1));
    expect(nextDelay(8, null, exact)).toBeNull();
  });

  it('spreads retries by ±20 %', () => {
    expect(nextDelay(2, null, { random: () => 0 })).toBe(240_000);
    expect(nextDelay(2, null, { random: () => 0.999999 })).toBeCloseTo(360_000, -1);
  });

  it('waits at least as long as Retry-After says, capped', () => {
    expect(nextDelay(1, 60_000, { random: () => 0.5 })).toBe(60_000);
    expect(nextDelay(3, 60_000, { random: () => 0.5 })).toBe(1_800_000);
    expect(nextDelay(1, 48 * 3_600_000, { random: () => 0.5 })).toBe(24 * 3_600_000);
    const now = new Date('2024-10-19T06:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 19 Oct 2024 06:02:00 GMT', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 19 Oct 2024 05:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
