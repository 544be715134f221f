import type { DriftReportsRepository } from '../db/repositories/drift-reports.js';
import { type Severity, severityRank } from '../domain/drift/severity.js';
import { NotFoundError, invalidField } from '../errors.js';
import type { ModelCatalog } from './catalog.js';
import type { DriftQuery, DriftReport, DriftService } from './drift.js';
import { decodeCursor, page } from './pagination.js';

export type ReportTrigger = 'api' | 'schedule';

export interface ReportListQuery {
  from?: string;
  to?: string;
  severity?: Severity;
  limit: number;
  cursor?: string;
}

/** The list view of a report: enough to chart drift over time without loading every report. */
function listView(report: DriftReport) {
  return {
    model: report.model,
    version: report.version,
    reference: { kind: report.reference.kind, from: report.reference.from, to: report.reference.to, rows: report.reference.rows },
    current: { from: report.current.from, to: report.current.to, rows: report.current.rows },
    severity: report.summary.severity,
    summary: report.summary,
    prediction: report.prediction ? { drifted: report.prediction.drifted, severity: report.prediction.severity, meanShift: report.prediction.meanShift } : null,
    concept: report.concept
      ? { metric: report.concept.metric, reference: report.concept.reference.mean, current: report.concept.current.mean, changePercent: report.concept.changePercent, pValue: report.concept.pValue, severity: report.concept.severity }
      : null,
    stream: report.stream ? { detector: report.stream.detector, status: report.stream.status, lastDrift: report.stream.lastDrift } : null,
    features: report.features.map((f) => ({ feature: f.feature, method: f.method, statistic: f.statistic, pValue: f.pValue, drifted: f.drifted, severity: f.severity, psi: f.effectSize?.value ?? null })),
  };
}

export type ReportListView = ReturnType<typeof listView>;
type StoredHead = { id: string; createdAt: string; trigger: ReportTrigger };

/** Stored drift reports: compute-and-store (the API and the daily job), list with filters, get one. */
export class DriftReportService {
  constructor(
    private readonly drift: DriftService,
    private readonly repo: DriftReportsRepository,
    private readonly catalog: ModelCatalog,
  ) {}

  /** Computes a drift report and stores it. No HTTP in here: the daily job calls it with trigger 'schedule'. */
  async create(modelName: string, query: DriftQuery = {}, trigger: ReportTrigger = 'api', prefix = '/body') {
    const resolved = await this.drift.resolve(modelName, query, prefix);
    const report = await this.drift.compute(resolved, query);
    const { windows } = resolved;
    const stored = await this.repo.insert({
      modelId: resolved.model.id,
      versionId: resolved.version?.id ?? null,
      trigger,
      severity: report.summary.severity,
      severityRank: severityRank(report.summary.severity),
      referenceKind: windows.reference.kind === 'range' ? 'window' : 'baseline',
      referenceFrom: windows.reference.kind === 'range' ? windows.reference.from : null,
      referenceTo: windows.reference.kind === 'range' ? windows.reference.to : null,
      currentFrom: windows.current.from,
      currentTo: windows.current.to,
      driftedFeatures: report.summary.driftedCount,
      testedFeatures: report.summary.featureCount,
      summary: listView(report),
      report,
    });
    return { id: stored.id, createdAt: stored.createdAt.toISOString(), trigger, ...report };
  }

  async list(modelName: string, query: ReportListQuery) {
    const model = await this.catalog.get(modelName);
    const from = query.from !== undefined ? new Date(query.from) : undefined;
    const to = query.to !== undefined ? new Date(query.to) : undefined;
    if (from && to && from.getTime() >= to.getTime()) throw invalidField('/query/from', 'must be before to');
    const position = decodeCursor(query.cursor, ['date', 'uuid']);
    const rows = await this.repo.list({
      modelId: model.id,
      from,
      to,
      minSeverityRank: query.severity === undefined ? undefined : severityRank(query.severity),
      before: position ? { createdAt: position[0] as Date, id: position[1] as string } : undefined,
      limit: query.limit + 1,
    });
    const result = page(rows, query.limit, (r) => [r.createdAt.toISOString(), r.id]);
    return {
      items: result.items.map((r): StoredHead & ReportListView => ({ id: r.id, createdAt: r.createdAt.toISOString(), trigger: r.trigger as ReportTrigger, ...(r.body as ReportListView) })),
      nextCursor: result.nextCursor,
    };
  }

  /** The severity of a model's newest stored report, or null (the retrain decision's drift check, by model id). */
  async latestSeverity(modelId: string): Promise<{ severity: Severity; reportId: string; createdAt: Date } | null> {
    const latest = await this.repo.latest(modelId);
    return latest ? { severity: latest.severity as Severity, reportId: latest.id, createdAt: latest.createdAt } : null;
  }

  async get(modelName: string, id: string) {
    const model = await this.catalog.get(modelName);
    const row = await this.repo.get(model.id, id);
    if (!row) throw new NotFoundError('drift report', id, '/params/id');
    // The body is the report this service stored.
    return { id: row.id, createdAt: row.createdAt.toISOString(), trigger: row.trigger as ReportTrigger, ...(row.body as DriftReport) } satisfies StoredHead & DriftReport;
  }
}
