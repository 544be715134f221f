import type { AnalyticsRepository, SampleRow } from '../db/repositories/analytics.js';
import { type BucketUnit, assertBucketCount, bucketCount, bucketEnd, bucketStarts } from '../domain/buckets.js';
import { type AssociationRow, featureAssociations } from '../domain/feature-association.js';
import { type FeatureColumn, featureColumns } from '../domain/feature-columns.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { type AnalysisQuery, resolveScope, scopeHeader } from './analysis-scope.js';
import type { ModelCatalog } from './catalog.js';
import { FEATURE_SAMPLE, sampleRule } from './error-analysis.js';

export interface FeatureImportanceQuery extends AnalysisQuery {
  history?: boolean;
  bucket?: BucketUnit;
}

/** GET …/feature-importance: each feature's association with the actual and with the error, and per period. */
export class FeatureImportanceService {
  constructor(
    private readonly repo: AnalyticsRepository,
    private readonly catalog: ModelCatalog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async importance(modelName: string, query: FeatureImportanceQuery) {
    const scope = await resolveScope(this.catalog, modelName, query, this.now());
    const { model, window } = scope;
    const unit = query.bucket ?? 'week';
    if (query.history && window.kind === 'range') assertBucketCount(bucketCount(window.from, window.to, unit), unit);
    const grouping = query.history ? { by: 'bucket' as const, unit } : { by: 'none' as const };
    const [rows, span] = await Promise.all([this.repo.featureSample(scope.filter, grouping, model.task, FEATURE_SAMPLE), this.repo.labeledSpan(scope.filter)]);
    const { columns, skipped } = featureColumns(rows);
    const targets = rows.map((r) => associationRow(model, r));
    const response = {
      ...scopeHeader(scope, span),
      sampleCount: span.n,
      sample: { rule: sampleRule(FEATURE_SAMPLE, 'labeled predictions'), size: rows.length, population: span.n },
      actual: describeTarget(model),
      residual: model.task === 'regression' ? 'predicted − actual' : '1 − P(actual label)',
      features: featureAssociations(targets, columns),
      skippedFeatures: skipped,
      ...(rows.length === 0 ? { note: 'no labeled predictions in this window' } : {}),
    };
    if (!query.history) return response;

    let starts: Date[] = [];
    if (window.kind === 'range') starts = bucketStarts(window.from, window.to, unit);
    else if (span.first && span.last) {
      assertBucketCount(bucketCount(span.first, span.last, unit, true), unit);
      starts = bucketStarts(span.first, span.last, unit, true);
    }
    const indexes = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const list = indexes.get(r.g!) ?? [];
      list.push(i);
      indexes.set(r.g!, list);
    });
    const periods = starts.map((start) => {
      const idx = indexes.get(start.toISOString()) ?? [];
      return {
        start: start.toISOString(),
        end: bucketEnd(start, unit).toISOString(),
        sampleCount: idx.length,
        features: featureAssociations(
          idx.map((i) => targets[i]!),
          subset(columns, idx),
        ),
      };
    });
    return { ...response, history: { bucket: unit, periods } };
  }
}

function associationRow(model: ModelSpec, row: SampleRow): AssociationRow {
  let target: number | string | null;
  if (model.task === 'regression') target = row.actualValue;
  else if (model.task === 'binary') target = row.actualLabel === null ? null : row.actualLabel === model.positiveLabel ? 1 : 0;
  else target = row.actualLabel;
  return { target, residual: row.residual };
}

function describeTarget(model: ModelSpec): string {
  if (model.task === 'regression') return 'the actual value';
  if (model.task === 'binary') return `1 when the actual label is "${model.positiveLabel}", else 0`;
  return 'the actual label';
}

/** The columns restricted to some rows (feature types stay those of the whole sample, so periods compare). */
function subset(columns: readonly FeatureColumn[], idx: readonly number[]): FeatureColumn[] {
  return columns
    .map((c) => {
      const values = idx.map((i) => c.values[i] ?? null);
      return { ...c, values, present: values.filter((v) => v !== null).length };
    })
    .filter((c) => c.present > 0);
}
