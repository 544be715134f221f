import type { Hindsight } from './client.js';
import { type Era, type Rng, type Stump, V1_RULE, customer, predict, truth } from './world.js';

/**
 * The serving side of the demo: weeks of v1's predictions with their outcomes arriving late, then live shadow
 * traffic where v1 and the candidate predict the same customers.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const WEEKS = 4;
export const PER_DAY = 150;

export interface Backfill {
  predictions: number;
  outcomes: number;
  /** v1's accuracy on the outcomes of each era. */
  accuracy: Record<Era, number>;
  meanSpend: Record<Era, number>;
  delayHours: { min: number; max: number };
}

/**
 * WEEKS weeks of predictions ending now; the last week is after the drift. The first weeks' outcomes are sent
 * inline (a backfill: they arrived 6 to 72 hours after each prediction); the last week's predictions are sent
 * first and their outcomes afterwards, as they would arrive — those not observed yet stay unlabeled.
 */
export async function backfill(hs: Hindsight, model: string, r: Rng, now: number): Promise<Backfill> {
  const start = now - WEEKS * 7 * DAY;
  const driftAt = now - 7 * DAY;
  const inline: unknown[] = [];
  const recent: unknown[] = [];
  const late: unknown[] = [];
  const tally = { before: { n: 0, correct: 0, spend: 0, count: 0 }, after: { n: 0, correct: 0, spend: 0, count: 0 } };
  let minDelay = Infinity;
  let maxDelay = 0;
  for (let day = 0; day < WEEKS * 7; day++) {
    for (let i = 0; i < PER_DAY; i++) {
      const at = start + day * DAY + Math.floor(((i + r.next()) * DAY) / PER_DAY);
      const era: Era = at >= driftAt ? 'after' : 'before';
      const c = customer(r, era);
      const actual = truth(r, c, era);
      const { prediction, confidence } = predict(V1_RULE, c);
      const delay = Math.round((6 + 66 * r.next()) * HOUR);
      const item = { model, version: 'v1', externalId: `cust-${day}-${i}`, features: c, prediction, confidence, predictedAt: new Date(at).toISOString() };
      const t = tally[era];
      t.spend += c.monthlySpend;
      t.count++;
      const observed = at + delay < now - 60_000;
      if (observed) {
        t.n++;
        if (prediction === actual) t.correct++;
        minDelay = Math.min(minDelay, delay);
        maxDelay = Math.max(maxDelay, delay);
      }
      if (era === 'before') inline.push(observed ? { ...item, actual, observedAt: new Date(at + delay).toISOString() } : item);
      else {
        recent.push(item);
        if (observed) late.push({ model, externalId: item.externalId, actual, observedAt: new Date(at + delay).toISOString() });
      }
    }
  }
  await hs.batch('/v1/predictions/batch', inline);
  await hs.batch('/v1/predictions/batch', recent);
  await hs.batch('/v1/outcomes/batch', late);
  return {
    predictions: inline.length + recent.length,
    outcomes: tally.before.n + tally.after.n,
    accuracy: { before: tally.before.correct / tally.before.n, after: tally.after.correct / tally.after.n },
    meanSpend: { before: tally.before.spend / tally.before.count, after: tally.after.spend / tally.after.count },
    delayHours: { min: minDelay / HOUR, max: maxDelay / HOUR },
  };
}

/** Live traffic in shadow: each customer gets v1's and the candidate's prediction, and (quickly, for the demo) its outcome. */
export async function shadowTraffic(hs: Hindsight, model: string, r: Rng, candidate: { version: string; stump: Stump }, n: number) {
  const items: unknown[] = [];
  const correct = { v1: 0, candidate: 0 };
  for (let i = 0; i < n; i++) {
    const c = customer(r, 'after');
    const actual = truth(r, c, 'after');
    // Predicted now (after the candidate's callback: the gate compares the versions since then); observed at once.
    const predictedAt = new Date().toISOString();
    for (const [key, version, stump] of [['v1', 'v1', V1_RULE], ['candidate', candidate.version, candidate.stump]] as const) {
      const p = predict(stump, c);
      if (p.prediction === actual) correct[key]++;
      items.push({ model, version, externalId: `live-${i}-${version}`, features: c, ...p, predictedAt, actual });
    }
  }
  await hs.batch('/v1/predictions/batch', items);
  return { n, v1: correct.v1 / n, candidate: correct.candidate / n };
}
