import { random } from './analytics.js';

export const DAY = 86_400_000;

/**
 * A binary churn model over 14 days: 40 predictions a day; the last 2 days `tenure` shifts up and accuracy
 * falls. Probabilities vary so that calibration and the residual histogram have several bins.
 */
export function churnPredictions(model: string, end: number, opts: { days?: number; perDay?: number; driftDays?: number; version?: string; seed?: number } = {}) {
  const rng = random(opts.seed ?? 7);
  const days = opts.days ?? 14;
  const perDay = opts.perDay ?? 40;
  const driftDays = opts.driftDays ?? 2;
  const items: Record<string, unknown>[] = [];
  for (let d = 0; d < days; d++) {
    const drifted = d >= days - driftDays;
    for (let i = 0; i < perDay; i++) {
      const at = end - (days - d) * DAY + Math.floor(((i + 0.5) * DAY) / perDay);
      const confidence = 0.55 + 0.4 * rng.next();
      const prediction = rng.next() < 0.4 ? 'churn' : 'stay';
      const correct = rng.next() < (drifted ? 0.5 : confidence);
      const actual = correct ? prediction : prediction === 'churn' ? 'stay' : 'churn';
      items.push({
        model,
        ...(opts.version ? { version: opts.version } : {}),
        externalId: `${model}-${opts.version ?? 'p'}-${d}-${i}`,
        features: { tenure: Math.round(rng.normal(drifted ? 40 : 24, 6)), plan: rng.pick(['basic', 'pro', drifted ? 'pro' : 'team']), 'name <b>&"x"': 'y' },
        prediction,
        confidence,
        predictedAt: new Date(at).toISOString(),
        actual,
        observedAt: new Date(at + 3_600_000).toISOString(),
      });
    }
  }
  return items;
}

