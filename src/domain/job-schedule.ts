/**
 * Names and slots of the scheduler's jobs, without I/O.
 *
 * A cron job's slot is the fire time its cron expression names (node-cron hands it to the task). A tier
 * schedule (`every: 6h` in a retrain policy) is an interval: its slots are the multiples of the period
 * counted from 1970-01-01T00:00Z, so 1h fires on the hour, 6h at 00:00, 06:00, 12:00 and 18:00 UTC, and
 * every replica names the same slot without asking anyone.
 */

export const DAILY_LEARNING = 'daily-learning';
export const WEEKLY_LEARNING = 'weekly-learning';
export const WEBHOOK_DELIVERY = 'webhook-delivery';
export const TIER_PREFIX = 'tier:';

export const tierJobName = (model: string, tier: string) => `${TIER_PREFIX}${model}:${tier}`;

/** The model and tier of a `tier:<model>:<tier>` job name, or null for any other name. */
export function parseTierJob(name: string): { model: string; tier: string } | null {
  if (!name.startsWith(TIER_PREFIX)) return null;
  const rest = name.slice(TIER_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return null;
  return { model: rest.slice(0, colon), tier: rest.slice(colon + 1) };
}

/** The interval slot containing `now`: the latest multiple of `everyMs` at or before it. */
export function intervalSlot(now: Date, everyMs: number): Date {
  return new Date(Math.floor(now.getTime() / everyMs) * everyMs);
}

export const nextIntervalSlot = (now: Date, everyMs: number): Date => new Date(intervalSlot(now, everyMs).getTime() + everyMs);

/**
 * Whether an interval slot may still start at `now`: within half a period of its start. A slot missed
 * while every replica was down is caught up when one comes back in time; later, the next slot is nearer.
 */
export const withinCatchUp = (slot: Date, now: Date, everyMs: number): boolean => now.getTime() - slot.getTime() <= everyMs / 2;
