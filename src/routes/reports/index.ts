import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { renderReportPage } from '../../services/report-page/page.js';
import type { ReportService } from '../../services/report.js';
import { ModelParams, problems } from '../schemas.js';
import { LearningReportSchema, ReportQuery } from './schemas.js';

const PERIOD_HELP =
  'Period: `period=7d` (default; `<n>` + m|h|d|w, ending now) or `from` + `to` ([from, to)), at most 3660d. The history’s buckets follow the period: hours up to 2 days, days up to 60, weeks beyond.';

export const reportRoutes: FastifyPluginAsyncTypebox<{ reports: ReportService }> = async (app, { reports }) => {
  app.get('/v1/models/:model/report', {
    schema: {
      tags: ['reports'],
      summary: 'The learning report of a model over a period (JSON)',
      description:
        `${PERIOD_HELP} What every analysis says about the model in one answer, and a summary in words (\`summary.status\`: ok, watch, action): ` +
        'performance and its trend with the version changes, error analysis with a residual histogram and the systematic errors, the latest drift report of the period ' +
        '(computed on the fly, and not stored, when none was stored) with the severity of each report, the retrain decision and the requests with their delivery and candidate, ' +
        'versions, alerts, experiments, calibration. Nothing is stored. The same as a page with charts: `…/report.html`.',
      params: ModelParams,
      querystring: ReportQuery,
      response: { 200: LearningReportSchema, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => reports.build(request.params.model, request.query),
  });

  app.get('/v1/models/:model/report.html', {
    schema: {
      tags: ['reports'],
      summary: 'The learning report as a self-contained HTML page with charts',
      description:
        `${PERIOD_HELP} One HTML document: inline CSS, charts as inline SVG (metrics over time with version changes marked, drift per feature, the residual histogram, ` +
        'the reliability diagram), tables; no script, font, stylesheet or image from anywhere, under a Content-Security-Policy that allows nothing else. ' +
        'It needs the API key like any route (a browser address bar cannot send it): `curl -H "Authorization: Bearer $KEY" "$HS/v1/models/<model>/report.html" > report.html`, then open the file.',
      params: ModelParams,
      querystring: ReportQuery,
      produces: ['text/html'],
      response: { 200: { description: 'The report page', content: { 'text/html': { schema: { type: 'string' } } } }, ...problems(404) },
    },
    // The page sets its own Content-Security-Policy (hashes of its inline style); global defaults must not replace it.
    config: { scope: 'read', ownCsp: true },
    handler: async (request, reply) => {
      const page = renderReportPage(await reports.build(request.params.model, request.query));
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', page.csp)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .send(page.html);
    },
  });
};
