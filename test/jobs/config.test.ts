import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

/** The scheduler's and the alert webhook's configuration: defaults, and every mistake named. */

const DATABASE_URL = 'postgresql://hindsight@db.example:5432/hindsight';
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATABASE_URL, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('scheduler configuration', () => {
  it('has defaults: daily 03:15, weekly Monday 03:45, delivery every 5 s, UTC, enabled, a 2-minute lease, 90 days of runs', () => {
    const config = loadConfig({ DATABASE_URL });
    expect(config).toMatchObject({
      dailyJobCron: '0 15 3 * * *',
      weeklyJobCron: '0 45 3 * * 1',
      webhookDeliveryCron: '*/5 * * * * *',
      timezone: 'UTC',
      schedulerEnabled: true,
      jobLeaseMs: 120_000,
      jobRunRetentionMs: 90 * 86_400_000,
      alertWebhookUrl: undefined,
      alertWebhookSecret: undefined,
      alertWebhookMinSeverity: 'info',
    });
    expect(config.replicaId).toMatch(/:\d+$/);
  });

  it('takes cron expressions with or without seconds, a time zone, and the replica id', () => {
    const config = loadConfig({ DATABASE_URL, DAILY_JOB_CRON: '30 4 * * *', WEEKLY_JOB_CRON: '*/5 * * * * *', TZ: 'Europe/Paris', SCHEDULER_ENABLED: 'false', JOB_LEASE_SECONDS: '30', HINDSIGHT_REPLICA_ID: 'web-1' });
    expect(config).toMatchObject({ dailyJobCron: '30 4 * * *', weeklyJobCron: '*/5 * * * * *', timezone: 'Europe/Paris', schedulerEnabled: false, jobLeaseMs: 30_000, replicaId: 'web-1' });
  });

  it('names every invalid variable', () => {
    const found = problems({ DAILY_JOB_CRON: 'every day', WEEKLY_JOB_CRON: '61 * * * *', TZ: 'Mars/Olympus', SCHEDULER_ENABLED: 'sometimes', JOB_LEASE_SECONDS: '1', JOB_RUN_RETENTION_DAYS: 'forever' });
    expect(found).toHaveLength(6);
    expect(found.join('\n')).toMatch(/DAILY_JOB_CRON must be a cron expression .* got "every day"/);
    expect(found.join('\n')).toMatch(/WEEKLY_JOB_CRON/);
    expect(found.join('\n')).toMatch(/TZ must be an IANA time zone/);
    expect(found.join('\n')).toMatch(/SCHEDULER_ENABLED must be true or false/);
    expect(found.join('\n')).toMatch(/JOB_LEASE_SECONDS/);
    expect(found.join('\n')).toMatch(/JOB_RUN_RETENTION_DAYS/);
  });
});

describe('alert webhook configuration', () => {
  it('takes an https URL, a whsec_ secret and a minimum severity', () => {
    const config = loadConfig({ DATABASE_URL, ALERT_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/XXXX', ALERT_WEBHOOK_SECRET: SECRET, ALERT_WEBHOOK_MIN_SEVERITY: 'warning' });
    expect(config).toMatchObject({ alertWebhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXX', alertWebhookSecret: SECRET, alertWebhookMinSeverity: 'warning' });
  });

  it('allows plain http only where private webhook targets are allowed', () => {
    expect(problems({ ALERT_WEBHOOK_URL: 'http://alerts.example.com/hook' })).toEqual([
      'ALERT_WEBHOOK_URL must be an https URL (plain http only with HINDSIGHT_WEBHOOK_ALLOW_PRIVATE=true)',
    ]);
    expect(problems({ ALERT_WEBHOOK_URL: 'http://127.0.0.1:9000/hook', HINDSIGHT_WEBHOOK_ALLOW_PRIVATE: 'true' })).toEqual([]);
  });

  it('names a bad URL, secret or severity', () => {
    const found = problems({ ALERT_WEBHOOK_URL: 'slack', ALERT_WEBHOOK_SECRET: 'hunter2', ALERT_WEBHOOK_MIN_SEVERITY: 'loud' });
    expect(found).toEqual([
      'ALERT_WEBHOOK_URL must be an http(s) URL',
      'ALERT_WEBHOOK_SECRET must be whsec_ followed by 24 to 64 bytes in base64 (e.g. whsec_$(openssl rand -base64 32))',
      'ALERT_WEBHOOK_MIN_SEVERITY must be info, warning or critical',
    ]);
  });
});
