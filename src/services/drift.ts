import type { BaselineRecord, BaselinesRepository } from '../db/repositories/baselines.js';
import type { DriftRepository, DriftWindowFilter, LabeledRows } from '../db/repositories/drift.js';
import { type ColumnDrift, type Correction, type DriftOptions, compareColumnSafely, correctAndRate } from '../domain/drift/column-drift.js';
import { ValueColumn } from '../domain/drift/columns.js';
import { type ConceptDrift, type LabeledWindow, conceptDrift } from '../domain/drift/concept.js';
import type { DriftMethod } from '../domain/drift/methods.js';
import { SEVERITY_RULE, type Severity, severityRank } from '../domain/drift/severity.js';
import { type DriftSummary, type StreamSignal, summarise } from '../domain/drift/summary.js';
import { type WindowColumns, WindowColumnsBuilder, outputsToCompare } from '../domain/drift/window-columns.js';
import { MAX_FEATURES } from '../domain/feature-columns.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { type DriftWindowQuery, type DriftWindows, parseDriftWindows } from '../domain/window.js';
import { UnprocessableError, invalidField } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import type { DriftStreamService, StreamView } from './drift-stream.js';
import { sampleRule } from './error-analysis.js';

export interface DriftQuery extends DriftWindowQuery {
  version?: string;
  method?: DriftMethod;
  threshold?: number;
  logBase?: 'e' | '2';
  correction?: Correction;
}

/**
 * Rows read per window (and per baseline) at most: above it, the DRIFT_SAMPLE_LIMIT predictions whose ids have
 * the smallest md5 — deterministic, so the same windows always give the same report.
 */
export const DRIFT_SAMPLE_LIMIT = 100_000;

interface Side {
  label: 'reference' | 'current';
  columns: WindowColumns;
  population: number;
  labeled: LabeledRows;
}

export interface ResolvedDrift {
  model: ModelSpec;
  windows: DriftWindows;
  version: { id: string; name: string } | null;
  baseline: BaselineRecord | null;
}

/** GET …/drift, and the "compute" half of stored reports: data, prediction and concept drift between two windows. */
export class DriftService {
  constructor(
    private readonly repo: DriftRepository,
    private readonly baselines: BaselinesRepository,
    private readonly catalog: ModelCatalog,
    private readonly stream: DriftStreamService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async resolve(modelName: string, query: DriftQuery, prefix = '/query'): Promise<ResolvedDrift> {
    const model = await this.catalog.get(modelName);
    const windows = parseDriftWindows(query, { now: this.now(), prefix });
    if (query.threshold !== undefined && query.method === undefined) {
      throw invalidField(`${prefix}/threshold`, 'needs method: a threshold belongs to one test (p-value tests and distances have different scales)');
    }
    let version: ResolvedDrift['version'] = null;
    if (query.version !== undefined) {
      const id = await this.catalog.versionId(model.id, query.version);
      if (!id) throw new UnprocessableError([{ path: `${prefix}/version`, message: `version "${query.version}" is not registered for model "${modelName}"` }]);
      version = { id, name: query.version };
    }
    let baseline: BaselineRecord | null = null;
    if (windows.reference.kind === 'baseline') {
      const target = version ?? (await this.repo.productionVersion(model.id));
      baseline = (await this.baselines.find(model.id, target?.id ?? null)) ?? (version === null && target !== null ? await this.baselines.find(model.id, null) : null);
      if (!baseline) {
        const which = target ? `version "${target.name}"` : `model "${modelName}"`;
        throw new UnprocessableError([
          { path: `${prefix}/reference`, message: `no baseline was uploaded for ${which} (PUT /v1/models/${modelName}/baseline${target ? `?version=${target.name}` : ''})` },
        ]);
      }
    }
    return { model, windows, version, baseline };
  }

  async report(modelName: string, query: DriftQuery, prefix = '/query') {
    return this.compute(await this.resolve(modelName, query, prefix), query);
  }

  async compute(resolved: ResolvedDrift, query: DriftQuery) {
    const started = performance.now();
    const { model, windows, version, baseline } = resolved;
    const task = model.task;
    const current: DriftWindowFilter = { modelId: model.id, from: windows.current.from, to: windows.current.to, versionId: version?.id };
    const reference = windows.reference.kind === 'range' ? { ...current, from: windows.reference.from, to: windows.reference.to } : null;
    const streamVersion = version ?? (await this.repo.productionVersion(model.id));
    const refBuilder = new WindowColumnsBuilder(task);
    const curBuilder = new WindowColumnsBuilder(task);
    const [refRows, curRows, refLabeled, curLabeled, stream] = await Promise.all([
      reference ? this.repo.windowRows(reference, task, DRIFT_SAMPLE_LIMIT, (r) => refBuilder.add(r)) : this.repo.baselineRows(baseline!.id, DRIFT_SAMPLE_LIMIT, (r) => refBuilder.add(r)),
      this.repo.windowRows(current, task, DRIFT_SAMPLE_LIMIT, (r) => curBuilder.add(r)),
      reference ? this.repo.windowLabeled(reference, task, DRIFT_SAMPLE_LIMIT) : this.repo.baselineLabeled(baseline!.id, task, DRIFT_SAMPLE_LIMIT),
      this.repo.windowLabeled(current, task, DRIFT_SAMPLE_LIMIT),
      this.stream.view(model, streamVersion),
    ]);
    const ref: Side = { label: 'reference', columns: refBuilder.finish(), population: refRows.population, labeled: refLabeled };
    const cur: Side = { label: 'current', columns: curBuilder.finish(), population: curRows.population, labeled: curLabeled };
    const options: DriftOptions = {
      correction: query.correction ?? 'benjamini-hochberg',
      ...(query.method ? { method: query.method } : {}),
      ...(query.threshold !== undefined ? { threshold: query.threshold } : {}),
      ...(query.logBase ? { logBase: query.logBase } : {}),
    };
    const unavailable: Record<string, string> = {};
    const empty = ref.population === 0 || cur.population === 0;
    let features: ColumnDrift[] = [];
    let skipped: string[] = [];
    let outputs: ColumnDrift[] = [];
    let featureTests = 0;
    let outputTests = 0;
    if (!empty) {
      const names = featureNames(ref.columns, cur.columns);
      skipped = names.slice(MAX_FEATURES);
      features = names.slice(0, MAX_FEATURES).map((name) => compareColumnSafely(name, ref.columns.features.column(name), cur.columns.features.column(name), options));
      featureTests = correctAndRate(features, options.correction).tests;
      outputs = outputsToCompare(task, model.labels, ref.columns)
        .filter((name) => present(ref.columns.outputs.get(name)) || (reference !== null && present(cur.columns.outputs.get(name))))
        .map((name) => compareColumnSafely(name, outputColumn(ref, name), outputColumn(cur, name), options));
      outputTests = correctAndRate(outputs, options.correction).tests;
      if (outputs.length === 0) unavailable.prediction = baseline ? 'the baseline has no predictions: upload rows with a "prediction" to compare the model’s outputs' : 'no model outputs in the windows';
    } else {
      unavailable.features = `no predictions in the ${ref.population === 0 ? (baseline ? 'baseline' : 'reference window') : 'current window'}`;
      unavailable.prediction = unavailable.features;
    }
    const { concept, reason } = conceptDrift(labeledWindow(task, ref.labeled), labeledWindow(task, cur.labeled));
    if (reason) unavailable.concept = baseline && ref.labeled.n === 0 ? `${reason} (upload baseline rows with both "prediction" and "actual")` : reason;
    const signal = streamSignal(stream, windows.current);
    const summary = summarise(features, outputs, concept, signal, { ...(reason ? { concept: reason } : {}), ...(empty ? { data: unavailable.features! } : {}) });
    return {
      model: model.name,
      task,
      version: version?.name ?? null,
      reference: baseline
        ? { kind: 'baseline' as const, from: null, to: null, version: baseline.versionId ? (await this.catalog.versionNames([baseline.versionId])).get(baseline.versionId) ?? null : null, baselineCreatedAt: baseline.createdAt.toISOString(), ...sideEcho(ref, 'baseline rows') }
        : { kind: 'window' as const, from: reference!.from.toISOString(), to: reference!.to.toISOString(), version: version?.name ?? null, baselineCreatedAt: null, ...sideEcho(ref, 'predictions') },
      current: { kind: 'window' as const, from: current.from.toISOString(), to: current.to.toISOString(), version: version?.name ?? null, baselineCreatedAt: null, ...sideEcho(cur, 'predictions') },
      features: features.sort(byConcern).map(publicColumn('feature')),
      skippedFeatures: skipped,
      prediction: outputs.length === 0 ? null : predictionDrift(outputs, ref, cur, model),
      concept,
      stream,
      summary,
      correction: {
        method: options.correction,
        alpha: 'each test’s threshold (0.05 by default)',
        appliedTo: 'the p-values of the p-value tests (ks, chi2, z), separately for the features and for the model outputs; distances (wasserstein, jensenshannon, psi) are compared with their threshold',
        featureTests,
        outputTests,
      },
      severityRule: SEVERITY_RULE,
      undefined: unavailable,
      computedAt: this.now().toISOString(),
      durationMs: Math.round(performance.now() - started),
    };
  }
}

export type DriftReport = Awaited<ReturnType<DriftService['compute']>>;
export type { DriftSummary, Severity };

const present = (c: ValueColumn | undefined) => c !== undefined && c.present > 0;

function featureNames(ref: WindowColumns, cur: WindowColumns): string[] {
  const presence = new Map<string, number>();
  for (const side of [ref, cur]) for (const [name, c] of side.features.columns) presence.set(name, (presence.get(name) ?? 0) + c.present);
  return [...presence.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([name]) => name);
}

function outputColumn(side: Side, name: string): ValueColumn {
  const column = side.columns.outputs.get(name) ?? new ValueColumn();
  column.rows = side.columns.rows;
  return column;
}

function sideEcho(side: Side, what: string) {
  const size = side.columns.rows;
  return {
    rows: side.population,
    labeled: side.labeled.n,
    sample: { rule: size < side.population ? sampleRule(DRIFT_SAMPLE_LIMIT, what) : `all ${what} (at most ${DRIFT_SAMPLE_LIMIT} are read; above that, a deterministic md5 sample)`, size, population: side.population },
  };
}

function labeledWindow(task: ModelSpec['task'], rows: LabeledRows): LabeledWindow {
  if (task !== 'regression') return { kind: 'classification', n: rows.n, correct: rows.correct ?? 0 };
  const errors = rows.errors ?? [];
  return { kind: 'regression', n: rows.n, errors, absoluteErrors: errors.map(Math.abs) };
}

function streamSignal(stream: StreamView | null, current: { from: Date; to: Date }): StreamSignal | null {
  if (!stream) return null;
  const drift = stream.lastDrift;
  if (drift && Date.parse(drift.detectedAt) >= current.from.getTime() && Date.parse(drift.detectedAt) < current.to.getTime()) {
    return { detector: stream.detector, signal: 'drift', detectedAt: drift.detectedAt, samples: drift.samples };
  }
  return { detector: stream.detector, signal: stream.status === 'warning' ? 'warning' : 'stable' };
}

const byConcern = (a: ColumnDrift, b: ColumnDrift) => severityRank(b.severity) - severityRank(a.severity) || Number(b.drifted) - Number(a.drifted) || (a.name < b.name ? -1 : 1);

function publicColumn<K extends 'feature' | 'output'>(key: K) {
  return (c: ColumnDrift) => ({
    [key]: c.name,
    type: c.type,
    status: c.status,
    method: c.method,
    statistic: c.statistic,
    pValue: c.pValue,
    adjustedPValue: c.adjustedPValue,
    threshold: c.threshold,
    drifted: c.drifted,
    severity: c.severity,
    effectSize: c.effectSize,
    reasons: c.reasons,
    details: c.details,
  }) as { [P in K]: string } & Omit<ColumnDrift, 'name' | 'testDrifted' | 'missingShift'>;
}

const meanOf = (c: ValueColumn | undefined) => (c && c.numbers.length > 0 ? c.numbers.sum() / c.numbers.length : null);

function shift(measure: string, reference: number | null, current: number | null) {
  if (reference === null || current === null) return null;
  const difference = current - reference;
  return { measure, reference, current, difference, changePercent: reference === 0 ? null : (100 * difference) / Math.abs(reference) };
}

function positiveShare(c: ValueColumn | undefined, positive: string | null): number | null {
  if (!c || positive === null || c.present === 0) return null;
  let n = 0;
  for (const s of c.strings) if (s === positive) n++;
  return n / c.present;
}

function predictionDrift(outputs: ColumnDrift[], ref: Side, cur: Side, model: ModelSpec) {
  const drifted = outputs.filter((o) => o.drifted);
  const severity = outputs.reduce<Severity>((s, o) => (severityRank(o.severity) > severityRank(s) ? o.severity : s), 'none');
  const shiftOf = (name: string) => {
    if (name === 'label') {
      return model.task === 'binary'
        ? shift(`share of "${model.positiveLabel}" predictions`, positiveShare(ref.columns.outputs.get(name), model.positiveLabel), positiveShare(cur.columns.outputs.get(name), model.positiveLabel))
        : null;
    }
    return shift('mean', meanOf(ref.columns.outputs.get(name)), meanOf(cur.columns.outputs.get(name)));
  };
  const primary = model.task === 'regression' ? 'value' : model.task === 'binary' ? (ref.columns.outputs.get('pPositive')?.present ? 'pPositive' : 'label') : 'label';
  return {
    drifted: drifted.length > 0,
    severity,
    meanShift: shiftOf(primary),
    outputs: outputs.sort(byConcern).map((o) => ({ ...publicColumn('output')(o), shift: shiftOf(o.name) })),
  };
}
