import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const DATABASE_URL = 'postgresql://hindsight@db.example:5432/hindsight';

describe('loadConfig: HINDSIGHT_WEBHOOK_ALLOW_PRIVATE', () => {
  it('defaults to true in embedded development mode (DATABASE_URL unset), and says it was the default', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.webhookAllowPrivate).toBe(true);
    expect(config.webhookAllowPrivateByDefault).toBe(true);
  });

  it('defaults to false with DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL });
    expect(config.webhookAllowPrivate).toBe(false);
    expect(config.webhookAllowPrivateByDefault).toBe(false);
  });

  it('takes an explicit value over either default', () => {
    for (const [value, expected] of [['false', false], ['0', false], ['FALSE', false], ['true', true], ['1', true]] as const) {
      expect(loadConfig({ HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: value }).webhookAllowPrivate, `embedded, ${value}`).toBe(expected);
      expect(loadConfig({ DATABASE_URL, HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: value }).webhookAllowPrivate, `DATABASE_URL, ${value}`).toBe(expected);
      expect(loadConfig({ HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: value }).webhookAllowPrivateByDefault).toBe(false);
    }
    // An empty value counts as unset, as for every variable.
    expect(loadConfig({ HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: ' ' }).webhookAllowPrivate).toBe(true);
    expect(loadConfig({ DATABASE_URL, HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: '' }).webhookAllowPrivate).toBe(false);
  });

  it('refuses anything but true or false, naming the variable', () => {
    expect(() => loadConfig({ HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(/HINDSIGHT_WEBHOOK_ALLOW_PRIVATE must be true or false/);
  });
});
