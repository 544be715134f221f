import type { AnalyticsFilter, OutcomeSource } from '../db/repositories/analytics.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { type ResolvedWindow, type WindowEcho, type WindowQuery, echoWindow, parseWindow } from '../domain/window.js';
import { UnprocessableError } from '../errors.js';
import type { ModelCatalog } from './catalog.js';

/** The query parameters every analysis takes: a window, and optional version and outcome-source filters. */
export interface AnalysisQuery extends WindowQuery {
  version?: string;
  source?: OutcomeSource;
}

/** What an analysis runs on: the model, its resolved window and filters. */
export interface AnalysisScope {
  model: ModelSpec;
  window: ResolvedWindow;
  filter: AnalyticsFilter;
  filters: { version: string | null; source: OutcomeSource | null };
}

export async function resolveScope(catalog: ModelCatalog, modelName: string, query: AnalysisQuery, now: Date): Promise<AnalysisScope> {
  const model = await catalog.get(modelName);
  const window = parseWindow(query, { now });
  let versionId: string | undefined;
  if (query.version !== undefined) {
    versionId = await catalog.versionId(model.id, query.version);
    if (!versionId) throw new UnprocessableError([{ path: '/query/version', message: `version "${query.version}" is not registered for model "${modelName}"` }]);
  }
  return {
    model,
    window,
    filter: { modelId: model.id, window, versionId, source: query.source },
    filters: { version: query.version ?? null, source: query.source ?? null },
  };
}

/** The common head of every analysis response. */
export function scopeHeader(scope: AnalysisScope, span?: { first: Date | null; last: Date | null }): {
  model: string;
  task: ModelSpec['task'];
  window: WindowEcho;
  filters: AnalysisScope['filters'];
} {
  return { model: scope.model.name, task: scope.model.task, window: echoWindow(scope.window, span), filters: scope.filters };
}
