/**
 * The simulated world of the demo: customers of a subscription service and whether they churn.
 *
 * Before the drift, churn follows support tickets (3 or more: churn), which is what v1 learned. In the last
 * week a price rise moves monthly spend up (data drift) and churn now follows spend above 90 (concept
 * drift): v1's accuracy falls. A trainer that learns on the last week finds the new rule.
 */

export type Label = 'churn' | 'stay';
export type Era = 'before' | 'after';

export interface Customer {
  tenureMonths: number;
  monthlySpend: number;
  plan: 'basic' | 'pro' | 'team';
  supportTickets: number;
}

/** A rule a version predicts with: churn when `feature` is above (or below) `threshold`. */
export interface Stump {
  feature: 'tenureMonths' | 'monthlySpend' | 'supportTickets';
  threshold: number;
  above: Label;
}

export const NOISE = 0.1;
export const V1_RULE: Stump = { feature: 'supportTickets', threshold: 2.5, above: 'churn' };

/** mulberry32: a small seeded generator, so every run of the demo tells the same story. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(Math.max(next(), 1e-12))) * Math.cos(2 * Math.PI * next());
  return { next, normal, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}
export type Rng = ReturnType<typeof rng>;

const round1 = (x: number) => Math.round(x * 10) / 10;

export function customer(r: Rng, era: Era): Customer {
  return {
    tenureMonths: Math.max(1, Math.round(r.normal(26, 12))),
    monthlySpend: round1(Math.max(10, era === 'before' ? r.normal(52, 12) : r.normal(88, 15))),
    plan: r.pick(era === 'before' ? (['basic', 'basic', 'pro', 'team'] as const) : (['basic', 'pro', 'pro', 'team'] as const)),
    supportTickets: r.pick([0, 0, 0, 1, 1, 2, 2, 3, 4, 5]),
  };
}

/** What really happens: the era's rule, with 10% of customers doing the opposite. */
export function truth(r: Rng, c: Customer, era: Era): Label {
  const rule = era === 'before' ? c.supportTickets >= 3 : c.monthlySpend > 90;
  const churns = r.next() < NOISE ? !rule : rule;
  return churns ? 'churn' : 'stay';
}

/** A version's prediction: its rule's label, with a confidence growing with the distance from the threshold. */
export function predict(stump: Stump, c: Customer): { prediction: Label; confidence: number } {
  const value = c[stump.feature];
  const over = value > stump.threshold;
  const prediction: Label = over === (stump.above === 'churn') ? 'churn' : 'stay';
  const scale = stump.feature === 'supportTickets' ? 4 : 40;
  return { prediction, confidence: Math.round((0.6 + Math.min(0.35, Math.abs(value - stump.threshold) / scale)) * 1000) / 1000 };
}

/**
 * "Training": the decision stump (one numeric feature, one threshold, one direction) with the best accuracy on
 * the rows, thresholds halfway between consecutive distinct values.
 */
export function fitStump(rows: { features: Record<string, unknown>; actual: unknown }[]): { stump: Stump; accuracy: number } {
  let best: { stump: Stump; accuracy: number } = { stump: V1_RULE, accuracy: -1 };
  for (const feature of ['tenureMonths', 'monthlySpend', 'supportTickets'] as const) {
    const points = rows.flatMap((r) => (typeof r.features[feature] === 'number' ? [{ x: r.features[feature] as number, churn: r.actual === 'churn' }] : [])).sort((a, b) => a.x - b.x);
    const churns = points.filter((p) => p.churn).length;
    // Sweeping the threshold upwards: churn above it is right for the churners above and the stayers below.
    let churnBelow = 0;
    let stayBelow = 0;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      if (p.churn) churnBelow++;
      else stayBelow++;
      const next = points[i + 1];
      if (next && next.x === p.x) continue;
      const threshold = next ? (p.x + next.x) / 2 : p.x;
      const aboveIsChurn = stayBelow + (churns - churnBelow);
      for (const [correct, above] of [[aboveIsChurn, 'churn'], [points.length - aboveIsChurn, 'stay']] as const) {
        const accuracy = correct / points.length;
        if (accuracy > best.accuracy) best = { stump: { feature, threshold: Math.round(threshold * 100) / 100, above }, accuracy };
      }
    }
  }
  return best;
}

export const describeStump = (s: Stump) => `${s.above} when ${s.feature} > ${s.threshold}`;
