import type { BaselineRecord, BaselineRowInput, BaselinesRepository } from '../db/repositories/baselines.js';
import type { DriftRepository } from '../db/repositories/drift.js';
import type { DriftFeatureType } from '../domain/drift/columns.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { unstorableText } from '../domain/storable-text.js';
import { type RuleViolations, checkActualLabel } from '../domain/prediction-rules.js';
import { type FieldError, HttpError, PayloadTooLargeError, UnprocessableError, ValidationError } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import { ndjsonLines } from './ndjson.js';

/** Rows per baseline at most; rows per INSERT while streaming; bytes per NDJSON line at most. */
export const BASELINE_MAX_ROWS = 1_000_000;
export const BASELINE_CHUNK = 1000;
export const BASELINE_MAX_LINE_BYTES = 1 << 20;

export type BaselineSource = { kind: 'ndjson'; stream: AsyncIterable<Buffer | string> } | { kind: 'rows'; rows: unknown[] };

/** Validates one row against the row schema (the route compiles it); returns field errors under `prefix`. */
export type RowShapeCheck = (value: unknown, prefix: string) => FieldError[];

interface BaselineRowBody {
  features: Record<string, unknown>;
  prediction?: string | number;
  actual?: string | number;
}

/** Infers each feature's type over every row of an upload, as it streams by. */
class SchemaTracker {
  private readonly seen = new Map<string, { numbers: number; booleans: number; present: number }>();

  add(features: Record<string, unknown>): void {
    for (const key in features) {
      const value = features[key];
      if (value === null || value === undefined) continue;
      let s = this.seen.get(key);
      if (!s) this.seen.set(key, (s = { numbers: 0, booleans: 0, present: 0 }));
      s.present++;
      if (typeof value === 'number') s.numbers++;
      else if (typeof value === 'boolean') s.booleans++;
    }
  }

  schema(): Record<string, { type: DriftFeatureType; present: number }> {
    const out: Record<string, { type: DriftFeatureType; present: number }> = {};
    for (const [key, s] of [...this.seen].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      out[key] = { type: s.numbers === s.present ? 'numeric' : s.booleans === s.present ? 'boolean' : 'categorical', present: s.present };
    }
    return out;
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** PUT/GET …/baseline: the training sample drift can compare live traffic with (`reference=baseline`). */
export class BaselineService {
  constructor(
    private readonly repo: BaselinesRepository,
    private readonly drift: DriftRepository,
    private readonly catalog: ModelCatalog,
  ) {}

  /** The version a baseline belongs to: the named one, else the production version, else the model itself. */
  private async target(model: ModelSpec, versionName: string | undefined): Promise<{ id: string; name: string } | null> {
    if (versionName === undefined) return this.drift.productionVersion(model.id);
    const id = await this.catalog.versionId(model.id, versionName);
    if (!id) throw new UnprocessableError([{ path: '/query/version', message: `version "${versionName}" is not registered for model "${model.name}"` }]);
    return { id, name: versionName };
  }

  /**
   * Replaces the baseline of a model version with the uploaded rows, streamed into PostgreSQL in chunks of
   * BASELINE_CHUNK rows inside one transaction: a bad row (400 naming its line or index and field) or any
   * failure rolls everything back and the previous baseline stays as it was.
   */
  async upload(modelName: string, versionName: string | undefined, source: BaselineSource, checkRow: RowShapeCheck) {
    const model = await this.catalog.get(modelName);
    const version = await this.target(model, versionName);
    const writer = await this.repo.begin(model.id, version?.id ?? null);
    const schema = new SchemaTracker();
    let rows = 0;
    let predictions = 0;
    let actuals = 0;
    let chunk: BaselineRowInput[] = [];
    try {
      for await (const { prefix, value } of this.items(source)) {
        if (++rows > BASELINE_MAX_ROWS) throw new PayloadTooLargeError(`a baseline holds at most ${BASELINE_MAX_ROWS} rows`, prefix);
        const row = toRow(value, model, prefix, checkRow);
        schema.add(row.features);
        if (row.predictionLabel !== null || row.predictionValue !== null) predictions++;
        if (row.actualLabel !== null || row.actualValue !== null) actuals++;
        chunk.push(row);
        if (chunk.length === BASELINE_CHUNK) {
          await writer.insert(chunk);
          chunk = [];
        }
      }
      if (rows === 0) throw new ValidationError([{ path: '/body', message: 'holds no rows' }]);
      await writer.insert(chunk);
      const record = await writer.finish({ predictionCount: predictions, actualCount: actuals, featureSchema: schema.schema() });
      return { created: !writer.replaced, body: view(model, version?.name ?? null, record) };
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  private async *items(source: BaselineSource): AsyncGenerator<{ prefix: string; value: unknown }> {
    if (source.kind === 'rows') {
      for (let i = 0; i < source.rows.length; i++) yield { prefix: `/body/rows/${i}`, value: source.rows[i] };
      return;
    }
    for await (const line of ndjsonLines(source.stream, BASELINE_MAX_LINE_BYTES)) {
      const prefix = `/body/line/${line.number}`;
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (error) {
        throw withLine(new ValidationError([{ path: prefix, message: `is not valid JSON: ${(error as Error).message}` }]), line.number);
      }
      const unstorable = unstorableText(line.text, value, prefix);
      if (unstorable) throw withLine(new ValidationError([unstorable]), line.number);
      yield { prefix, value };
    }
  }

  async get(modelName: string, versionName: string | undefined) {
    const model = await this.catalog.get(modelName);
    const version = await this.target(model, versionName);
    const record = await this.repo.find(model.id, version?.id ?? null);
    if (!record) {
      throw new HttpError(404, 'not-found', 'Not found', `no baseline was uploaded for ${version ? `version "${version.name}" of ` : ''}model "${modelName}"`);
    }
    return view(model, version?.name ?? null, record);
  }
}

function withLine(error: HttpError, line: number): HttpError {
  return Object.assign(error, { extensions: { ...error.extensions, line } });
}

function toRow(value: unknown, model: ModelSpec, prefix: string, checkRow: RowShapeCheck): BaselineRowInput {
  const line = /^\/body\/line\/(\d+)$/.exec(prefix)?.[1];
  const fail = (error: HttpError) => (line ? withLine(error, Number(line)) : error);
  const shape = checkRow(value, prefix);
  if (shape.length > 0) throw fail(new ValidationError(shape, `${line ? `line ${line}: ` : ''}${shape[0]!.path}: ${shape[0]!.message}${shape.length > 1 ? ` (and ${shape.length - 1} more)` : ''}`));
  const body = value as BaselineRowBody;
  const forbidden = Object.keys(body.features).find((k) => FORBIDDEN_KEYS.has(k));
  if (forbidden) throw fail(new ValidationError([{ path: `${prefix}/features/${forbidden}`, message: 'is a forbidden key (prototype pollution)' }]));
  const violations: RuleViolations = { invalid: [], impossible: [] };
  for (const field of ['prediction', 'actual'] as const) {
    const v = body[field];
    if (v === undefined) continue;
    if (model.task === 'regression') {
      if (typeof v !== 'number') violations.invalid.push({ path: `${prefix}/${field}`, message: 'must be a number for a regression model' });
    } else checkActualLabel(v, model, `${prefix}/${field}`, violations);
  }
  if (violations.invalid.length > 0) throw fail(new ValidationError([...violations.invalid, ...violations.impossible], line ? `line ${line}: ${violations.invalid[0]!.path}: ${violations.invalid[0]!.message}` : undefined));
  if (violations.impossible.length > 0) throw fail(new UnprocessableError(violations.impossible, line ? `line ${line}: ${violations.impossible[0]!.path}: ${violations.impossible[0]!.message}` : undefined));
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return { features: body.features, predictionLabel: str(body.prediction), predictionValue: num(body.prediction), actualLabel: str(body.actual), actualValue: num(body.actual) };
}

function view(model: ModelSpec, version: string | null, r: BaselineRecord) {
  return {
    model: model.name,
    version,
    rows: r.rowCount,
    predictions: r.predictionCount,
    actuals: r.actualCount,
    featureSchema: Object.fromEntries(Object.entries(r.featureSchema).map(([name, f]) => [name, f.type])),
    features: Object.entries(r.featureSchema).map(([name, f]) => ({ name, type: f.type, present: f.present, missingShare: r.rowCount === 0 ? 0 : 1 - f.present / r.rowCount })),
    createdAt: r.createdAt.toISOString(),
  };
}
