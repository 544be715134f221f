import type { LearningModel } from '../db/repositories/learning.js';
import type { Association, FeatureAssociation } from '../domain/feature-association.js';
import type { FeatureImportanceService } from './feature-importance.js';
import type { RetrainService } from './retrain-requests.js';

/** The learning report's summary and links, when the report service is there (src/services/report.ts). */
export type ReportSummarizer = (model: string) => Promise<{ summary: { status: string; headline: string; changes: string[]; attention: string[] }; links: Record<string, string> }>;

export interface WeeklyLearningDeps {
  features: FeatureImportanceService;
  retrain: RetrainService;
  report?: ReportSummarizer;
}

/** Weeks the feature-importance trend looks back over. */
export const TREND_WEEKS = 4;
const TOP_FEATURES = 5;
/** A change of association strength this large between the first and the last week is a trend, not noise. */
const STRENGTH_CHANGE = 0.1;

const round = (x: number | null) => (x === null || !Number.isFinite(x) ? null : Number(x.toPrecision(3)));

/** |Spearman ρ|, η or Cramér's V: the association's strength in [0, 1]. */
function strengthOf(a: Association): number | null {
  if (a.spearman) return Math.abs(a.spearman.statistic);
  if (a.correlationRatio !== undefined && a.correlationRatio !== null) return a.correlationRatio;
  if (a.cramersV) return a.cramersV.statistic;
  return null;
}

/**
 * One model's weekly learning: the week's learning report (its summary and links), how the features'
 * association with the outcome and with the error moved over the last four weeks, and whether the model
 * should be retrained now (the recommendation; the daily job is the one that acts on it).
 */
export class WeeklyLearningService {
  constructor(private readonly d: WeeklyLearningDeps) {}

  async run(model: LearningModel) {
    const failures: { step: string; error: string }[] = [];
    const step = async <T>(name: string, work: () => Promise<T>): Promise<T | null> => {
      try {
        return await work();
      } catch (error) {
        failures.push({ step: name, error: error instanceof Error ? error.message : String(error) });
        return null;
      }
    };
    const report = this.d.report ? await step('report', () => this.d.report!(model.name)) : null;
    const features = await step('featureImportance', () => this.featureTrends(model.name));
    const decision = await step('retrainRecommendation', () => this.d.retrain.decision(model.name));
    return {
      model: model.name,
      status: failures.length === 0 ? ('ok' as const) : ('failed' as const),
      failures,
      report: report && { ...report.summary, links: { json: report.links.json, html: report.links.html } },
      featureImportance: features,
      retrainRecommendation: decision && { shouldRetrain: decision.shouldRetrain, reasons: decision.reasons, blockedBy: decision.blockedBy },
    };
  }

  /** The strongest features of the last four weeks, each with its weekly strength and whether it rose or fell. */
  private async featureTrends(modelName: string) {
    const result = await this.d.features.importance(modelName, { window: `${TREND_WEEKS * 7}d`, history: true, bucket: 'week' });
    const periods: { start: string; features: FeatureAssociation[] }[] = 'history' in result ? result.history.periods : [];
    const top = [...result.features]
      .filter((f) => f.strength !== null)
      .sort((a, b) => (b.strength ?? 0) - (a.strength ?? 0))
      .slice(0, TOP_FEATURES);
    return {
      window: `${TREND_WEEKS * 7}d`,
      sampleCount: result.sampleCount,
      weeks: periods.map((p) => p.start),
      features: top.map((f) => {
        const weekly = periods.map((p) => p.features.find((x) => x.feature === f.feature) ?? null);
        const series = weekly.map((x) => round(x?.strength ?? null));
        const errorSeries = weekly.map((x) => round(x ? strengthOf(x.error) : null));
        return { feature: f.feature, strength: round(f.strength), errorStrength: round(strengthOf(f.error)), weekly: series, weeklyError: errorSeries, trend: trendOf(series), errorTrend: trendOf(errorSeries) };
      }),
    };
  }
}

function trendOf(series: (number | null)[]): 'rising' | 'falling' | 'stable' | 'insufficient_data' {
  const values = series.filter((x): x is number => x !== null);
  if (values.length < 2) return 'insufficient_data';
  const change = values[values.length - 1]! - values[0]!;
  return change >= STRENGTH_CHANGE ? 'rising' : change <= -STRENGTH_CHANGE ? 'falling' : 'stable';
}
