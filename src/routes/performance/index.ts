import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ErrorAnalysisService } from '../../services/error-analysis.js';
import type { FeatureImportanceService } from '../../services/feature-importance.js';
import type { PerformanceService } from '../../services/performance.js';
import { ModelParams, problems } from '../schemas.js';
import { ErrorAnalysisQuery, ErrorAnalysisSchema } from './errors-schemas.js';
import { FeatureImportanceQuery, FeatureImportanceSchema } from './features-schemas.js';
import { HistoryQuery, HistorySchema, PerformanceQuery, PerformanceSchema } from './schemas.js';

const WINDOW_HELP =
  'Window: `window=7d` (default; `<n>` + m|h|d|w, ending now), or `from` + `to` ([from, to)), or `last=N` (the N latest labeled predictions) — exactly one. ' +
  'Filters: `version`, `source` (ground_truth | human).';

export const performanceRoutes: FastifyPluginAsyncTypebox<{
  performance: PerformanceService;
  errors: ErrorAnalysisService;
  features: FeatureImportanceService;
}> = async (app, { performance, errors, features }) => {
  app.get('/v1/models/:model/performance', {
    schema: {
      tags: ['performance'],
      summary: 'Metrics of a model over a window, optionally per version',
      description:
        `${WINDOW_HELP} Binary: accuracy, precision, recall, F1 (hard label = the predicted label logged), ROC AUC, log loss, Brier, ECE with reliability bins ` +
        '(from P(positive)), confusion matrix. Multiclass: accuracy, macro F1, per-label precision/recall/F1, confusion matrix. Regression: MAE, RMSE, R², MAPE, mean error. ' +
        'A metric that cannot be defined is null, with its reason in `undefined`; an empty window is a 200 with `sampleCount: 0` and a `note`.',
      params: ModelParams,
      querystring: PerformanceQuery,
      response: { 200: PerformanceSchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => performance.performance(request.params.model, request.query),
  });

  app.get('/v1/models/:model/performance/history', {
    schema: {
      tags: ['performance'],
      summary: 'Metrics per time bucket, and their trend',
      description:
        `${WINDOW_HELP} Buckets are UTC hours, days or weeks (Monday) of predicted_at, at most 1000. The trend of the primary metric (accuracy, or MAE for regression) ` +
        'over the non-empty buckets is decided by the Mann–Kendall test at α = 0.05 (at least 4 buckets): improving, degrading or stable. Each bucket lists the versions seen.',
      params: ModelParams,
      querystring: HistoryQuery,
      response: { 200: HistorySchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => performance.history(request.params.model, request.query),
  });

  app.get('/v1/models/:model/errors', {
    schema: {
      tags: ['performance'],
      summary: 'Error distribution, normality, bias and failing feature segments',
      description:
        `${WINDOW_HELP} Residual = predicted − actual (regression) or 1 − P(actual label) (classification; rows without that probability are skipped and counted). ` +
        'Segments: slices of each feature (quintile bins, or categories) whose residuals (Welch t-test) or accuracy (two-proportion z-test) differ from the rest, Holm-corrected.',
      params: ModelParams,
      querystring: ErrorAnalysisQuery,
      response: { 200: ErrorAnalysisSchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => errors.analyse(request.params.model, request.query),
  });

  app.get('/v1/models/:model/feature-importance', {
    schema: {
      tags: ['performance'],
      summary: 'Association of each feature with the actual and with the error',
      description:
        `${WINDOW_HELP} Numeric features: Pearson and Spearman correlation (with p-values); categorical ones: correlation ratio η. ` +
        'Sorted by the strength of the association with the actual. `history=true` adds the same per `bucket` (default week).',
      params: ModelParams,
      querystring: FeatureImportanceQuery,
      response: { 200: FeatureImportanceSchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => features.importance(request.params.model, request.query),
  });
};
