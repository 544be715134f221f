import type { Claim, LabelingRepository, QueueRow } from '../db/repositories/labeling.js';
import type { QueueFilter } from '../db/repositories/labeling-sql.js';
import type { ModelSpec } from '../domain/model-spec.js';
import type { Strategy } from '../domain/uncertainty.js';
import { parseWindow } from '../domain/window.js';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError, invalidField } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import { decodeCursor, encodeCursor } from './pagination.js';

export interface QueueQuery {
  strategy: Strategy;
  limit: number;
  cursor?: string;
  window?: string;
  from?: string;
  to?: string;
  version?: string;
}

export interface ClaimBody {
  predictionIds?: string[];
  count?: number;
  claimant: string;
  ttlSeconds: number;
  strategy: Strategy;
  window?: string;
  version?: string;
}

export const DEFAULT_QUEUE_WINDOW = '30d';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET …/labeling-queue and its claims: the predictions most worth a human label, first. */
export class LabelingQueueService {
  constructor(
    private readonly repo: LabelingRepository,
    private readonly catalog: ModelCatalog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async queue(modelName: string, query: QueueQuery) {
    const { model, filter } = await this.scope(modelName, query, query.strategy);
    const after = this.position(query.cursor);
    const [rows, sizes] = await Promise.all([this.repo.queue(filter, query.limit + 1, after), this.repo.sizes(filter)]);
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      model: model.name,
      strategy: query.strategy,
      window: { from: filter.from.toISOString(), to: filter.to.toISOString() },
      filters: { version: query.version ?? null },
      size: sizes.size,
      claimed: sizes.claimed,
      items: await this.views(items, query.strategy),
      nextCursor: rows.length > query.limit && last ? encodeCursor([String(last.grp), String(last.key), last.predictedAt.toISOString(), last.id]) : null,
    };
  }

  async claim(modelName: string, body: ClaimBody) {
    if ((body.predictionIds === undefined) === (body.count === undefined)) {
      throw new ValidationError([{ path: '/body/count', message: 'give either count (the most uncertain free predictions) or predictionIds, not both' }]);
    }
    const { model, filter } = await this.scope(modelName, { window: body.window, version: body.version }, body.strategy, '/body');
    let claim: Claim | null;
    if (body.count !== undefined) {
      claim = (await this.repo.claimTop(filter, body.count, body.claimant, body.ttlSeconds))?.claim ?? null;
    } else {
      const ids = body.predictionIds!;
      const result = await this.repo.claimIds(model.id, ids, body.claimant, body.ttlSeconds);
      const path = (id: string) => `/body/predictionIds/${ids.indexOf(id)}`;
      if (result.status === 'missing') {
        const first = result.ids[0]!;
        throw new NotFoundError(`prediction of model "${model.name}"`, first, path(first));
      }
      if (result.status === 'labeled') {
        throw new ConflictError(`${result.ids.join(', ')} already ${result.ids.length === 1 ? 'has an outcome' : 'have outcomes'}: nothing left to label`, result.ids.map((id) => ({ path: path(id), message: 'is labeled' })));
      }
      if (result.status === 'taken') {
        throw new ConflictError(
          `claimed by someone else: ${result.holders.map((h) => `${h.predictionId} (by ${h.claimant} until ${h.expiresAt.toISOString()})`).join(', ')}`,
          result.holders.map((h) => ({ path: path(h.predictionId), message: `is claimed by ${h.claimant} until ${h.expiresAt.toISOString()}` })),
        );
      }
      claim = result.claim;
    }
    if (!claim) return { status: 200 as const, body: { id: null, model: model.name, claimant: body.claimant, claimedAt: null, expiresAt: null, strategy: body.strategy, items: [] } };
    // Claimed predictions count whatever their age: list them without the queue's window.
    const items = await this.repo.claimItems({ ...filter, from: new Date(0), to: new Date(8.64e15), versionId: undefined }, claim.id);
    return {
      status: 201 as const,
      body: {
        id: claim.id,
        model: model.name,
        claimant: claim.claimant,
        claimedAt: claim.createdAt.toISOString(),
        expiresAt: claim.expiresAt.toISOString(),
        strategy: body.strategy,
        items: await this.views(items, body.strategy),
      },
    };
  }

  async release(modelName: string, claimId: string): Promise<void> {
    const model = await this.catalog.get(modelName);
    if (!UUID.test(claimId) || !(await this.repo.release(model.id, claimId))) throw new NotFoundError(`claim on model "${model.name}"`, claimId, '/params/id');
  }

  private async scope(modelName: string, query: { window?: string; from?: string; to?: string; version?: string }, strategy: Strategy, prefix = '/query'): Promise<{ model: ModelSpec; filter: QueueFilter }> {
    const model = await this.catalog.get(modelName);
    if (model.task === 'regression') {
      throw new UnprocessableError(
        [{ path: '/params/model', message: 'is a regression model' }],
        `"${model.name}" is a regression model: its predictions are numbers without class probabilities, so they have no uncertainty score to rank by`,
      );
    }
    const window = parseWindow({ window: query.window, from: query.from, to: query.to }, { now: this.now(), defaultWindow: DEFAULT_QUEUE_WINDOW, prefix });
    if (window.kind !== 'range') throw invalidField(`${prefix}/window`, 'must be a duration or from + to');
    let versionId: string | undefined;
    if (query.version !== undefined) {
      versionId = await this.catalog.versionId(model.id, query.version);
      if (!versionId) throw new UnprocessableError([{ path: `${prefix}/version`, message: `version "${query.version}" is not registered for model "${model.name}"` }]);
    }
    return { model, filter: { modelId: model.id, task: model.task, labelCount: model.labels.length, strategy, from: window.from, to: window.to, versionId } };
  }

  private position(cursor: string | undefined) {
    const decoded = decodeCursor(cursor, ['string', 'string', 'date', 'string']) as [string, string, Date, string] | undefined;
    if (!decoded) return undefined;
    const grp = Number(decoded[0]);
    const key = Number(decoded[1]);
    if (![0, 1, 2].includes(grp) || !Number.isFinite(key)) throw invalidField('/query/cursor', 'is not a cursor returned by this endpoint');
    return { grp, key, predictedAt: decoded[2], id: decoded[3] };
  }

  private async views(rows: QueueRow[], strategy: Strategy) {
    const names = await this.catalog.versionNames(rows.map((r) => r.versionId));
    return rows.map((r) => ({
      id: r.id,
      externalId: r.externalId,
      version: r.versionId ? (names.get(r.versionId) ?? null) : null,
      unit: r.unit,
      features: r.features,
      prediction: r.predictedLabel,
      confidence: r.confidence,
      probabilities: r.probabilities,
      predictedAt: r.predictedAt.toISOString(),
      uncertainty: r.score,
      rankedBy: r.grp === 0 ? strategy : r.grp === 1 ? ('least_confidence' as const) : ('recency' as const),
    }));
  }
}
