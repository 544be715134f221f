import type { AlertsRepository } from '../db/repositories/alerts.js';
import type { AnalyticsRepository } from '../db/repositories/analytics.js';
import type { ReportsRepository } from '../db/repositories/reports.js';
import type { Principal } from '../domain/access.js';
import type { ModelSpec } from '../domain/model-spec.js';
import { primaryMetric } from '../domain/performance-metrics.js';
import { type ReportPeriod, type ReportPeriodQuery, parseReportPeriod } from '../domain/report-period.js';
import { type ReportSummary, summarizeReport, titleWithinModel } from '../domain/report-summary.js';
import type { SegmentFinding } from '../domain/segments.js';
import type { ModelCatalog } from './catalog.js';
import type { DriftReportService } from './drift-reports.js';
import type { DriftService } from './drift.js';
import type { ErrorAnalysisService } from './error-analysis.js';
import type { ExperimentView } from './experiment-definitions.js';
import type { ExperimentService } from './experiments.js';
import type { ModelService, ModelView, VersionView } from './models.js';
import type { PerformanceService } from './performance.js';
import {
  type AlertView,
  type CalibrationSection,
  type DriftSection,
  type HistogramSection,
  type VersionChange,
  alertViews,
  calibrationOf,
  driftCompared,
  driftSnapshot,
  experimentInPeriod,
  histogramOf,
  histogramRange,
  requestInPeriod,
  versionChange,
} from './report-sections.js';
import type { DecisionView } from './retrain-decision.js';
import type { RetrainService } from './retrain-requests.js';
import type { RetrainRequestView } from './retrain-views.js';

export interface ReportDeps {
  catalog: ModelCatalog;
  models: ModelService;
  performance: PerformanceService;
  errors: ErrorAnalysisService;
  analytics: AnalyticsRepository;
  drift: DriftService;
  driftReports: DriftReportService;
  retrain: RetrainService;
  experiments: ExperimentService;
  alerts: AlertsRepository;
  reports: ReportsRepository;
  publicUrl: string;
  now?: () => Date;
}

/** Lists in the report hold at most this many items (the newest), each with a link to its full listing. */
export const REPORT_LIST_LIMIT = 100;
const DRIFT_SERIES_LIMIT = 500;
// The report reads for its principal; the route has already checked the key's access to the model.
const REPORT_READER: Principal = { keyId: null, name: 'learning report', scopes: new Set(['read']), models: null };

type Overall = Awaited<ReturnType<PerformanceService['performance']>>;
type History = Awaited<ReturnType<PerformanceService['history']>>;
type ErrorAnalysis = Awaited<ReturnType<ErrorAnalysisService['analyse']>>;

export interface LearningReport {
  model: ModelView;
  period: { from: string; to: string; label: string; bucket: ReportPeriod['bucket'] };
  generatedAt: string;
  summary: ReportSummary;
  performance: { metric: 'accuracy' | 'mae'; higherIsBetter: boolean; overall: Overall; history: History };
  versionChanges: VersionChange[];
  errors: ErrorAnalysis & { histogram: HistogramSection };
  drift: DriftSection;
  retraining: { decision: DecisionView; requests: RetrainRequestView[] };
  versions: VersionView[];
  alerts: AlertView[];
  experiments: ExperimentView[];
  calibration: CalibrationSection;
  links: Record<'json' | 'html' | 'performance' | 'errors' | 'driftReports' | 'retrainRequests' | 'alerts' | 'docs', string>;
}

/**
 * The learning report of a model over a period: what every analysis endpoint says about it, gathered and
 * summarised in words. A read: nothing is stored (a drift report is computed on the fly only when none was
 * stored in the period). The weekly job calls `build` for every model.
 */
export class ReportService {
  private readonly now: () => Date;

  constructor(private readonly d: ReportDeps) {
    this.now = d.now ?? (() => new Date());
  }

  async build(modelName: string, query: ReportPeriodQuery = {}): Promise<LearningReport> {
    const model = await this.d.models.get(modelName);
    const spec = await this.d.catalog.get(modelName);
    const period = parseReportPeriod(query, this.now());
    const window = { from: period.from.toISOString(), to: period.to.toISOString() };
    const [overall, history, errors, drift, decision, requests, versions, events, alerts, experiments] = await Promise.all([
      this.d.performance.performance(modelName, { ...window, groupBy: 'version' }),
      this.d.performance.history(modelName, { ...window, bucket: period.bucket }),
      this.d.errors.analyse(modelName, window),
      this.driftSection(spec, period),
      this.d.retrain.decision(modelName),
      this.d.retrain.list(modelName, REPORT_LIST_LIMIT),
      this.d.models.listVersions(modelName, REPORT_LIST_LIMIT),
      this.d.reports.versionEvents(spec.id, period.from, period.to),
      this.d.alerts.seenInPeriod(spec.id, period.from, period.to, REPORT_LIST_LIMIT),
      this.d.experiments.list({ model: modelName, limit: REPORT_LIST_LIMIT }, REPORT_READER),
    ]);
    const histogram = await this.histogram(spec, period, errors);
    const metric = primaryMetric(spec.task);
    const calibration = calibrationOf(spec.task, overall.metrics);
    const versionChanges = events.map(versionChange);
    const periodRequests = requests.items.filter((r) => requestInPeriod(r, period.from, period.to));
    const alertList = alertViews(alerts);
    const summary = summarizeReport({
      periodLabel: query.from !== undefined ? 'the period' : `the last ${period.label}`,
      metric,
      overall: { value: overall.metrics ? metric.valueOf(overall.metrics) : null, sampleCount: overall.sampleCount, predictionCount: overall.predictionCount },
      series: history.buckets.flatMap((b) => (b.metrics ? [{ start: b.start, value: metric.valueOf(b.metrics) }] : [])),
      trend: history.trend,
      versionChanges,
      // A report that compared nothing (no reference window yet) has severity "none": that is not a finding.
      drift: driftCompared(drift.latest)
        ? { source: drift.source, severity: drift.latest.severity, recommendation: drift.latest.summary.recommendation, at: drift.latest.createdAt }
        : { source: drift.source, severity: null, recommendation: null, at: null },
      decision,
      requests: periodRequests.map((r) => ({
        createdAt: r.createdAt,
        trigger: r.trigger,
        status: r.status,
        candidate: r.candidate?.version ?? null,
        gateStatus: r.candidate?.gate.status ?? null,
        gateReason: r.candidate?.gate.reason ?? null,
        failureReason: r.failureReason,
      })),
      alerts: alertList.map((a) => ({ ...a, title: titleWithinModel(a.title, modelName) })),
      segments: (errors.segments.slices as SegmentFinding[]).map(describeSegment),
      ece: calibration.ece,
      bias: spec.task === 'regression' && errors.mean !== null && errors.bias ? { mean: errors.mean, pValue: errors.bias.pValue } : null,
    });
    const base = `${this.d.publicUrl}/v1/models/${encodeURIComponent(modelName)}`;
    const range = `from=${encodeURIComponent(window.from)}&to=${encodeURIComponent(window.to)}`;
    return {
      model,
      period: { ...window, label: period.label, bucket: period.bucket },
      generatedAt: this.now().toISOString(),
      summary,
      performance: { metric: metric.name, higherIsBetter: metric.higherIsBetter, overall, history },
      versionChanges,
      errors: { ...errors, histogram },
      drift,
      retraining: { decision, requests: periodRequests },
      versions: versions.items,
      alerts: alertList,
      experiments: experiments.items.filter((e) => experimentInPeriod(e, period.from, period.to)),
      calibration,
      links: {
        json: `${base}/report?${range}`,
        html: `${base}/report.html?${range}`,
        performance: `${base}/performance/history?${range}&bucket=${period.bucket}`,
        errors: `${base}/errors?${range}`,
        driftReports: `${base}/drift-reports?${range}`,
        retrainRequests: `${base}/retrain-requests`,
        alerts: `${this.d.publicUrl}/v1/alerts?model=${encodeURIComponent(modelName)}`,
        docs: `${this.d.publicUrl}/docs`,
      },
    };
  }

  /** The newest drift report stored in the period, and the severity of each; one computed (not stored) when none was. */
  private async driftSection(spec: ModelSpec, period: ReportPeriod): Promise<DriftSection> {
    const range = { from: period.from.toISOString(), to: period.to.toISOString() };
    const stored = await this.d.driftReports.list(spec.name, { ...range, limit: DRIFT_SERIES_LIMIT });
    const series = stored.items
      .map((r) => ({
        id: r.id,
        createdAt: r.createdAt,
        trigger: r.trigger,
        severity: r.severity,
        driftedCount: r.summary.driftedCount,
        featureCount: r.summary.featureCount,
        conceptChangePercent: r.concept?.changePercent ?? null,
      }))
      .reverse();
    const newest = stored.items[0];
    if (newest) {
      const full = await this.d.driftReports.get(spec.name, newest.id);
      const url = `${this.d.publicUrl}/v1/models/${encodeURIComponent(spec.name)}/drift-reports/${newest.id}`;
      return {
        source: 'stored',
        note: `the newest of ${series.length}${stored.nextCursor ? '+' : ''} drift reports stored in the period (${newest.trigger === 'schedule' ? 'by the daily job' : 'through the API'})`,
        latest: driftSnapshot(full, { id: full.id, createdAt: full.createdAt, trigger: full.trigger, url }),
        series,
      };
    }
    const computed = await this.d.drift.report(spec.name, { currentFrom: range.from, currentTo: range.to });
    return {
      source: 'computed',
      note: 'no drift report was stored in the period: this one was computed for the report (the period against the 30 days before it) and not stored',
      latest: driftSnapshot(computed, { id: null, createdAt: computed.computedAt, trigger: null, url: null }),
      series,
    };
  }

  private async histogram(spec: ModelSpec, period: ReportPeriod, errors: ErrorAnalysis): Promise<HistogramSection> {
    const range = histogramRange(spec.task, errors.n, errors.min, errors.max);
    const filter = { modelId: spec.id, window: { kind: 'range' as const, from: period.from, to: period.to } };
    const counts = range ? await this.d.analytics.residualHistogram(filter, spec.task, range) : [];
    return histogramOf(errors.residual, range, counts, errors.n, errors.min);
  }
}

function describeSegment(s: SegmentFinding): string {
  if (s.accuracy !== undefined && s.restAccuracy !== undefined) {
    return `${s.label}: accuracy ${(100 * s.accuracy).toFixed(1)}% vs ${(100 * s.restAccuracy).toFixed(1)}% elsewhere (n = ${s.count})`;
  }
  if (s.mean !== undefined && s.restMean !== undefined) return `${s.label}: mean error ${s.mean.toPrecision(3)} vs ${s.restMean.toPrecision(3)} elsewhere (n = ${s.count})`;
  return s.label;
}
