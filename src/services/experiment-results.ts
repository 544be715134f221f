import type { ArmAggregate, ExperimentMetricsRepository } from '../db/repositories/experiment-metrics.js';
import { type ArmData, type Comparison, type SrmCheck, decide } from '../domain/experiment-decision.js';
import { type ExperimentMetric, QUANTITY } from '../domain/experiment-metrics.js';
import type { ExperimentDefinition } from './experiment-definitions.js';

export const SEQUENTIAL_REFERENCE =
  'Johari, Koomen, Pekelis & Walsh, "Peeking at A/B Tests: Why it matters, and what to do about it", KDD 2017 (Operations Research 70(3), 2022)';

export interface ArmResult {
  version: string;
  weight: number;
  control: boolean;
  predictions: number;
  units: number;
  misassigned: number;
  n: number;
  humanLabeled: number;
  value: number | null;
  metrics: Record<string, number | null>;
}

export interface ExperimentResults {
  experiment: { id: string; name: string; model: string; metric: ExperimentMetric; mode: 'fixed' | 'sequential'; status: 'running' | 'concluded'; confidence: number; minSamplesPerArm: number };
  span: { from: string; to: string | null };
  computedAt: string;
  frozen: boolean;
  arms: ArmResult[];
  test: {
    name: Comparison['test'];
    quantity: string;
    correction: 'holm' | 'none';
    sequential: { method: string; reference: string; tau: number; looks: string } | null;
  };
  comparisons: Comparison[];
  srm: SrmCheck;
  winner: string | null;
  reason: string;
  warnings: string[];
}

const EMPTY = { n: 0, mean: 0, m2: 0 };

/** Computes an experiment's results from the SQL aggregates and the pure decision. */
export class ExperimentResultsService {
  constructor(private readonly repo: ExperimentMetricsRepository) {}

  async compute(def: ExperimentDefinition, now: Date): Promise<ExperimentResults> {
    const to = def.endsAt;
    const rows = await this.repo.armAggregates({
      experimentId: def.id,
      modelId: def.model.id,
      versionIds: def.arms.map((a) => a.versionId),
      thresholds: def.cumulative.slice(0, -1),
      metric: def.metric,
      from: def.startsAt,
      to,
      outcomeSource: def.outcomeSource,
    });
    const totals = new Map(rows.filter((r) => r.day === null).map((r) => [r.versionId, r]));
    const arms: ArmData[] = def.arms.map((a) => {
      const t = totals.get(a.versionId);
      return {
        version: a.version,
        weight: a.weight,
        units: t?.units ?? 0,
        moments: t?.moments ?? EMPTY,
        correct: t?.correct ?? 0,
        daily: rows.filter((r) => r.versionId === a.versionId && r.day !== null).map((r) => ({ day: r.day!, moments: r.moments })),
      };
    });
    const decision = decide(arms, {
      metric: def.metric,
      mode: def.mode,
      confidence: def.confidence,
      minSamplesPerArm: def.minSamplesPerArm,
      tau: def.tau ?? 0.1,
      endsAt: def.endsAt,
      now,
    });
    const armResults = def.arms.map((a, i) => armResult(def.metric, a.version, a.weight, i === 0, totals.get(a.versionId)));
    return {
      experiment: {
        id: def.id,
        name: def.name,
        model: def.model.name,
        metric: def.metric,
        mode: def.mode,
        status: def.status,
        confidence: def.confidence,
        minSamplesPerArm: def.minSamplesPerArm,
      },
      span: { from: def.startsAt.toISOString(), to: to?.toISOString() ?? null },
      computedAt: now.toISOString(),
      frozen: false,
      arms: armResults,
      test: {
        name: decision.comparisons[0]?.test ?? 'welch-t',
        quantity: QUANTITY[def.metric],
        correction: decision.correction,
        sequential:
          def.mode === 'sequential'
            ? { method: 'mSPRT with a normal mixture (always-valid p-value, confidence sequence)', reference: SEQUENTIAL_REFERENCE, tau: def.tau ?? 0.1, looks: 'daily: the end of each UTC day of predictedAt, cumulatively' }
            : null,
      },
      comparisons: decision.comparisons,
      srm: decision.srm,
      winner: decision.winner,
      reason: decision.reason,
      warnings: warnings(def, armResults, now),
    };
  }
}

function armResult(metric: ExperimentMetric, version: string, weight: number, control: boolean, t: ArmAggregate | undefined): ArmResult {
  const n = t?.moments.n ?? 0;
  const metrics: Record<string, number | null> =
    metric === 'accuracy'
      ? { accuracy: n > 0 ? t!.correct / n : null }
      : { mae: t?.mae ?? null, rmse: t?.mse == null ? null : Math.sqrt(t.mse), mape: t?.mape ?? null, mapeCount: t?.mapeCount ?? 0, meanError: t?.meanError ?? null };
  return {
    version,
    weight,
    control,
    predictions: t?.predictions ?? 0,
    units: t?.units ?? 0,
    misassigned: t?.misassigned ?? 0,
    n,
    humanLabeled: t?.humanLabeled ?? 0,
    value: metrics[metric] ?? null,
    metrics,
  };
}

function warnings(def: ExperimentDefinition, arms: ArmResult[], now: Date): string[] {
  const out: string[] = [];
  for (const a of arms) {
    if (a.misassigned > 0) {
      out.push(`${a.misassigned} of the ${a.predictions} predictions of ${a.version} come from units that GET …/assignment sends to another arm: the serving side is not following the assignment`);
    }
  }
  const human = arms.reduce((s, a) => s + a.humanLabeled, 0);
  if (def.outcomeSource === null && human > 0) {
    out.push(
      `${human} outcomes come from human labelers: labels chosen through the labeling queue (the most uncertain predictions) are not a random sample of an arm; create the experiment with outcomeSource "ground_truth" to leave them out`,
    );
  }
  if (def.status === 'running' && def.endsAt && now >= def.endsAt) {
    out.push(`the experiment ended at ${def.endsAt.toISOString()}: later predictions do not count; conclude it with POST /v1/experiments/${def.id}/conclude`);
  }
  return out;
}
