import type { AnalyticsRepository, GroupKey } from '../db/repositories/analytics.js';
import { type BucketUnit, assertBucketCount, bucketCount, bucketEnd, bucketStarts } from '../domain/buckets.js';
import { primaryMetric } from '../domain/performance-metrics.js';
import { type Trend, decideTrend } from '../domain/trend.js';
import { type AnalysisQuery, type AnalysisScope, resolveScope, scopeHeader } from './analysis-scope.js';
import type { ModelCatalog } from './catalog.js';
import { type Measurement, emptyMeasurement, measureGroups, overallSpan, publicMeasurement } from './performance-groups.js';

export interface PerformanceQuery extends AnalysisQuery {
  groupBy?: 'version' | 'source';
}

export interface HistoryQuery extends AnalysisQuery {
  bucket: BucketUnit;
}

/** groupBy=source: ground_truth first, then human; only the sources with outcomes in the window. */
function sourceGroups(groups: Map<GroupKey, Measurement>) {
  return [...groups.entries()]
    .map(([source, m]) => ({ source: source as 'ground_truth' | 'human', ...publicMeasurement(m) }))
    .sort((a, b) => a.source.localeCompare(b.source));
}

/** GET …/performance and …/performance/history: a model's metrics over a window, per version, per time bucket. */
export class PerformanceService {
  constructor(
    private readonly repo: AnalyticsRepository,
    private readonly catalog: ModelCatalog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async performance(modelName: string, query: PerformanceQuery) {
    const scope = await resolveScope(this.catalog, modelName, query, this.now());
    const [overall, grouped] = await Promise.all([
      measureGroups(this.repo, scope, { by: 'none' }),
      query.groupBy ? measureGroups(this.repo, scope, { by: query.groupBy }) : undefined,
    ]);
    const total = overall.get(null) ?? emptyMeasurement(0);
    return {
      ...scopeHeader(scope, total.span),
      ...publicMeasurement(total),
      ...(grouped ? { groups: query.groupBy === 'source' ? sourceGroups(grouped) : await this.versionGroups(grouped) } : {}),
    };
  }

  private async versionGroups(groups: Map<GroupKey, Measurement>) {
    const names = await this.catalog.versionNames(groups.keys());
    return [...groups.entries()]
      .map(([id, m]) => ({ version: id === null ? null : (names.get(id) ?? id), ...publicMeasurement(m) }))
      .sort((a, b) => (a.version === null ? 1 : b.version === null ? -1 : a.version.localeCompare(b.version)));
  }

  async history(modelName: string, query: HistoryQuery) {
    const scope = await resolveScope(this.catalog, modelName, query, this.now());
    const unit = query.bucket;
    if (scope.window.kind === 'range') assertBucketCount(bucketCount(scope.window.from, scope.window.to, unit), unit);
    const grouping = { by: 'bucket' as const, unit };
    const [groups, mix] = await Promise.all([measureGroups(this.repo, scope, grouping), this.repo.versionMix(scope.filter, grouping)]);
    const span = overallSpan([...groups.values()].flatMap((m) => (m.span.first && m.span.last ? [{ firstAt: m.span.first, lastAt: m.span.last }] : [])));
    const starts = this.bucketsOf(scope, span, unit);
    const names = await this.catalog.versionNames(mix.map((m) => m.versionId));
    let previous: string | null = null;
    const buckets = starts.map((start) => {
      const key = start.toISOString();
      const m = groups.get(key) ?? emptyMeasurement(0);
      const versions = mix
        .filter((v) => v.g === key)
        .map((v) => ({ version: v.versionId === null ? null : (names.get(v.versionId) ?? v.versionId), sampleCount: v.n }))
        .sort((a, b) => b.sampleCount - a.sampleCount || String(a.version).localeCompare(String(b.version)));
      const signature = versions.map((v) => v.version).sort().join('\u0000');
      const versionChanged = versions.length > 0 && previous !== null && signature !== previous;
      if (versions.length > 0) previous = signature;
      const { note: _note, ...rest } = publicMeasurement(m);
      return { start: key, end: bucketEnd(start, unit).toISOString(), ...rest, versions, versionChanged };
    });
    const metric = primaryMetric(scope.model.task);
    const series = buckets.flatMap((b) => (b.metrics === null ? [] : [metric.valueOf(b.metrics)]));
    const trend: Trend = decideTrend(series, metric);
    const empty = buckets.every((b) => b.sampleCount === 0);
    return {
      ...scopeHeader(scope, span),
      bucket: unit,
      metric: metric.name,
      sampleCount: buckets.reduce((s, b) => s + b.sampleCount, 0),
      buckets,
      trend,
      ...(empty ? { note: 'no labeled predictions in this window' } : {}),
    };
  }

  private bucketsOf(scope: AnalysisScope, span: { first: Date | null; last: Date | null }, unit: BucketUnit): Date[] {
    if (scope.window.kind === 'range') return bucketStarts(scope.window.from, scope.window.to, unit);
    if (!span.first || !span.last) return [];
    assertBucketCount(bucketCount(span.first, span.last, unit, true), unit);
    return bucketStarts(span.first, span.last, unit, true);
  }
}
