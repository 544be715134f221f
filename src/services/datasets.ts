import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import type pg from 'pg';
import { type DatasetRow, type DatasetsRepository, toRecord } from '../db/repositories/datasets.js';
import { inTransaction } from '../db/transaction.js';
import { canAccessModel, type Principal } from '../domain/access.js';
import { FeatureSchemaBuilder, compareCodeUnits, csvHeader, csvLine, jsonlLine } from '../domain/dataset-format.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { type ResolvedWindow, type WindowQuery, parseWindow } from '../domain/window.js';
import { ForbiddenError, NotFoundError, UnauthorizedError, UnprocessableError } from '../errors.js';
import { secretKey } from '../webhooks/secrets.js';
import type { ModelCatalog } from './catalog.js';
import { decodeCursor, page } from './pagination.js';
import type { RetrainPolicyService } from './retrain-policies.js';

export interface DatasetSpec extends WindowQuery {
  version?: string;
  name?: string;
  description?: string;
}

export interface DatasetView {
  id: string;
  model: string;
  number: number;
  name: string | null;
  description: string | null;
  window: { from: string | null; to: string | null; last?: number };
  version: string | null;
  rowCount: number;
  bytes: number;
  featureSchema: Record<string, string>;
  sha256: string;
  retrainRequestId: string | null;
  createdAt: string;
  links: { jsonl: string; csv: string };
}

export type DatasetFormat = 'jsonl' | 'csv';

/** How long the signed download URL of a retrain request's dataset stays valid. */
export const DOWNLOAD_URL_TTL_MS = 7 * 86_400_000;

/**
 * Datasets: frozen, numbered snapshots of a model's labeled predictions for training. The rows are copied
 * in SQL; the content hash, size and feature schema come from one streamed pass over the JSONL export,
 * inside the freezing transaction, so a dataset is never visible without them. Exports stream through a
 * server-side cursor: memory stays flat whatever the size.
 */
export class DatasetService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly repo: DatasetsRepository,
    private readonly catalog: ModelCatalog,
    private readonly policies: RetrainPolicyService,
    /** The secrets a signed download URL of a model's dataset may be signed with (its training webhook's). */
    private readonly downloadSecrets: (modelId: string) => Promise<string[]>,
    private readonly publicUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(modelName: string, spec: DatasetSpec): Promise<DatasetView> {
    const model = await this.catalog.get(modelName);
    const target = await this.target(model, spec, '/body');
    const { id } = await inTransaction(this.pool, (tx) => this.freeze(tx, model, target, { name: spec.name ?? null, description: spec.description ?? null }));
    return this.view((await this.repo.get(id))!);
  }

  /** The window (the policy's trainingWindow when none is given) and version filter of a dataset. */
  async target(model: ModelSpec, spec: WindowQuery & { version?: string }, prefix: string): Promise<{ window: ResolvedWindow; versionId: string | null }> {
    const { policy } = await this.policies.policyOf(model);
    const window = parseWindow(spec, { now: this.now(), prefix, defaultWindow: policy.trainingWindow });
    let versionId: string | null = null;
    if (spec.version !== undefined) {
      versionId = (await this.catalog.versionId(model.id, spec.version)) ?? null;
      if (!versionId) throw new UnprocessableError([{ path: `${prefix}/version`, message: `version "${spec.version}" is not registered for model "${model.name}"` }]);
    }
    return { window, versionId };
  }

  /** Inside a transaction: copies the rows, then hashes them as exported and stores the result. */
  async freeze(
    tx: pg.PoolClient,
    model: ModelSpec,
    target: { window: ResolvedWindow; versionId: string | null },
    meta: { name: string | null; description: string | null },
  ): Promise<{ id: string; number: number; rowCount: number; sha256: string }> {
    const snapshot = await this.repo.createSnapshot(tx, { modelId: model.id, ...target }, meta);
    const hash = createHash('sha256');
    const schema = new FeatureSchemaBuilder();
    let bytes = 0;
    let rows = 0;
    for await (const row of this.repo.streamRows(tx, snapshot.id)) {
      const record = toRecord(row as Record<string, unknown>);
      const line = Buffer.from(jsonlLine(record));
      hash.update(line);
      bytes += line.length;
      rows++;
      schema.add(record.features);
    }
    const sha256 = hash.digest('hex');
    await this.repo.finalize(tx, snapshot.id, { rowCount: rows, byteSize: bytes, featureSchema: schema.result(), sha256 });
    return { id: snapshot.id, number: snapshot.number, rowCount: rows, sha256 };
  }

  async list(modelName: string, limit: number, cursor?: string) {
    const model = await this.catalog.get(modelName);
    const [before] = (decodeCursor(cursor, ['int']) ?? []) as [string?];
    const rows = await this.repo.list(model.id, limit + 1, before === undefined ? undefined : Number(before));
    const { items, nextCursor } = page(rows, limit, (d) => [String(d.number)]);
    return { items: items.map((d) => this.view(d)), nextCursor };
  }

  async get(id: string, principal: Principal): Promise<DatasetView> {
    return this.view(await this.require(id, principal));
  }

  private async require(id: string, principal: Principal | null): Promise<DatasetRow> {
    const dataset = await this.repo.get(id);
    if (!dataset) throw new NotFoundError('dataset', id, '/params/id');
    if (principal && !canAccessModel(principal, dataset.modelName)) {
      throw new ForbiddenError(`this API key is limited to the models ${[...principal.models!].join(', ')}; dataset ${id} belongs to "${dataset.modelName}"`);
    }
    return dataset;
  }

  /**
   * The rows as a stream of bytes. Callers authenticate with an API key (principal) or with a signed URL
   * (`expires` + `signature`, see downloadUrl).
   */
  async open(id: string, format: DatasetFormat, auth: { principal: Principal } | { expires: number; signature: string }) {
    const dataset = await this.require(id, 'principal' in auth ? auth.principal : null);
    if (!('principal' in auth)) await this.verifyDownload(dataset, auth.expires, auth.signature);
    const features = Object.keys(dataset.featureSchema).sort(compareCodeUnits);
    const client = await this.repo.connect();
    const rows = this.repo.streamRows(client, id);
    let headerSent = false;
    const serialise = new Transform({
      writableObjectMode: true,
      transform(row: Record<string, unknown>, _encoding, done) {
        const record = toRecord(row);
        let text = format === 'jsonl' ? jsonlLine(record) : csvLine(record, features);
        if (format === 'csv' && !headerSent) {
          text = csvHeader(features) + text;
          headerSent = true;
        }
        done(null, text);
      },
      flush(done) {
        done(null, format === 'csv' && !headerSent ? csvHeader(features) : null);
      },
    });
    // Released once the stream ends, fails or is abandoned by the client; a connection left mid-cursor is discarded.
    pipeline(rows, serialise, (error) => client.release(error ?? undefined));
    return {
      dataset,
      body: serialise as Readable,
      contentType: format === 'jsonl' ? 'application/x-ndjson' : 'text/csv; charset=utf-8',
      filename: `${dataset.modelName}-dataset-${dataset.number}.${format}`,
      contentLength: format === 'jsonl' ? dataset.byteSize : null,
    };
  }

  /** A URL that downloads the dataset without an API key until `expiresAt`, signed with the model's webhook secret. */
  downloadUrl(datasetId: string, secret: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `${this.rowsUrl(datasetId, 'jsonl')}&expires=${expires}&signature=${downloadSignature(secret, datasetId, expires)}`;
  }

  private async verifyDownload(dataset: DatasetRow, expires: number, signature: string): Promise<void> {
    if (expires * 1000 < this.now().getTime()) throw new UnauthorizedError('this download URL has expired: ask for the dataset with an API key');
    const given = Buffer.from(signature, 'base64url');
    for (const secret of await this.downloadSecrets(dataset.modelId)) {
      const expected = Buffer.from(downloadSignature(secret, dataset.id, expires), 'base64url');
      if (given.length === expected.length && timingSafeEqual(given, expected)) return;
    }
    throw new UnauthorizedError('the signature of this download URL is not valid');
  }

  rowsUrl(id: string, format: DatasetFormat): string {
    return `${this.publicUrl}/v1/datasets/${id}/rows?format=${format}`;
  }

  view(d: DatasetRow): DatasetView {
    return {
      id: d.id,
      model: d.modelName,
      number: d.number,
      name: d.name,
      description: d.description,
      window: d.windowLast !== null
        ? { last: d.windowLast, from: d.windowFrom?.toISOString() ?? null, to: d.windowTo?.toISOString() ?? null }
        : { from: d.windowFrom?.toISOString() ?? null, to: d.windowTo?.toISOString() ?? null },
      version: d.versionName,
      rowCount: d.rowCount,
      bytes: d.byteSize,
      featureSchema: d.featureSchema,
      sha256: d.sha256,
      retrainRequestId: d.retrainRequestId,
      createdAt: d.createdAt.toISOString(),
      links: { jsonl: this.rowsUrl(d.id, 'jsonl'), csv: this.rowsUrl(d.id, 'csv') },
    };
  }
}

const downloadSignature = (secret: string, datasetId: string, expires: number) =>
  createHmac('sha256', secretKey(secret)).update(`dataset.${datasetId}.${expires}`).digest('base64url');
