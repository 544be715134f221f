import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Webhook signing secrets in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes (the HMAC
 * key is the decoded bytes). They are shown once, when created or rotated; afterwards only their prefix.
 */
export const SECRET_PREFIX = 'whsec_';

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** What listings show of a secret: enough to tell two apart, useless to sign with. */
export const secretHint = (secret: string) => `${secret.slice(0, SECRET_PREFIX.length + 4)}…`;

/** The HMAC key of a secret (with or without the whsec_ prefix). */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

const PLAIN = 'plain:';
const SEALED = 'aes-256-gcm:';

/**
 * Secrets at rest. With a key (HINDSIGHT_SECRETS_KEY, 32 bytes) they are sealed with AES-256-GCM;
 * without one they are stored as they are, marked `plain:`. Either form can be opened as long as the key
 * is configured, so a key can be introduced later: secrets created or rotated from then on are sealed.
 */
export class SecretBox {
  private readonly key: Buffer | null;

  constructor(keyBase64?: string) {
    this.key = keyBase64 ? Buffer.from(keyBase64, 'base64') : null;
    if (this.key && this.key.length !== 32) throw new Error('the secrets key must be 32 bytes (base64)');
  }

  get encrypts(): boolean {
    return this.key !== null;
  }

  seal(secret: string): string {
    if (!this.key) return PLAIN + secret;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${SEALED}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${data.toString('base64')}`;
  }

  open(stored: string): string {
    if (stored.startsWith(PLAIN)) return stored.slice(PLAIN.length);
    if (!stored.startsWith(SEALED)) throw new Error('unrecognised stored secret');
    if (!this.key) throw new Error('a webhook secret is encrypted but HINDSIGHT_SECRETS_KEY is not configured');
    const [iv, tag, data] = stored.slice(SEALED.length).split(':') as [string, string, string];
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
