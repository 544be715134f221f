import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { NDJSON } from '../../plugins/ndjson.js';
import { compileBodyValidator } from '../../plugins/validation.js';
import type { BaselineService } from '../../services/baselines.js';
import type { DriftReportService } from '../../services/drift-reports.js';
import type { DriftService } from '../../services/drift.js';
import { ModelParams, Page, problems } from '../schemas.js';
import { BaselineJsonBody, BaselineQuery, BaselineRowSchema, BaselineSchema, NDJSON_DESCRIPTION } from './baseline-schemas.js';
import { CreateReportBody, ReportListItem, ReportListQuery, ReportParams, StoredReportSchema } from './report-schemas.js';
import { DriftQuerySchema, DriftReportSchema } from './schemas.js';

const WINDOWS_HELP =
  'Windows: the current window is `current=7d` (default; a duration ending now) or `currentFrom` + `currentTo`; the reference is `reference=30d` ' +
  '(default; ending where the current window starts), `referenceFrom` + `referenceTo`, or `reference=baseline` (the training baseline of `version`, or of the production version). ' +
  'Each window reads at most 100,000 predictions: above that, the 100,000 whose ids have the smallest md5 (stated in `sample`).';

const METHODS_HELP =
  'Per feature (and per model output): the type is inferred from the reference; the test follows Evidently 0.4.x’s default rule — reference ≤ 1000 values: KS for numeric features with more than 5 distinct values, ' +
  'χ² for other features with more than 2 values, the z-test for binary ones; larger: normalised Wasserstein for numeric features with more than 5 distinct values, Jensen–Shannon otherwise — or `method=` for all. ' +
  'p-values are corrected for the number of features (Benjamini–Hochberg by default, or Holm). Concept drift compares the errors of the labeled predictions of both windows; `stream` shows the DDM / Page–Hinkley ' +
  'detector on the outcome stream. Severity follows the rule named in `severityRule` (README, “Drift”).';

export const driftRoutes: FastifyPluginAsyncTypebox<{ drift: DriftService; reports: DriftReportService; baselines: BaselineService }> = async (app, { drift, reports, baselines }) => {
  const checkRow = compileBodyValidator(BaselineRowSchema);

  app.get('/v1/models/:model/drift', {
    schema: {
      tags: ['drift'],
      summary: 'Data, prediction and concept drift between a reference and a current window',
      description: `${WINDOWS_HELP}\n\n${METHODS_HELP}`,
      params: ModelParams,
      querystring: DriftQuerySchema,
      response: { 200: DriftReportSchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => drift.report(request.params.model, request.query),
  });

  app.post('/v1/models/:model/drift-reports', {
    schema: {
      tags: ['drift'],
      summary: 'Compute a drift report and store it',
      description:
        `Takes the parameters of GET …/drift as a JSON body (all optional) and stores the report with its time and severity, for GET …/drift-reports. ${WINDOWS_HELP} ` +
        'Storing is a write that feeds retraining decisions and alerts, hence the admin scope; the daily job stores one per model with trigger `schedule`.',
      params: ModelParams,
      body: CreateReportBody,
      response: { 201: StoredReportSchema, ...problems(404, 422) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => reply.code(201).send(await reports.create(request.params.model, request.body ?? {}, 'api')),
  });

  app.get('/v1/models/:model/drift-reports', {
    schema: {
      tags: ['drift'],
      summary: 'List stored drift reports, newest first',
      description: 'Filters: `from`/`to` (creation time, [from, to)), `severity` (at least this severity). Each item summarises its report — severity, drifted features, concept drift, per-feature statistics — for charting drift over time.',
      params: ModelParams,
      querystring: ReportListQuery,
      response: { 200: Page(ReportListItem), ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => reports.list(request.params.model, request.query),
  });

  app.get('/v1/models/:model/drift-reports/:id', {
    schema: {
      tags: ['drift'],
      summary: 'Get a stored drift report',
      params: ReportParams,
      response: { 200: StoredReportSchema, ...problems(404) },
    },
    config: { scope: 'read' },
    handler: (request) => reports.get(request.params.model, request.params.id),
  });

  app.put('/v1/models/:model/baseline', {
    schema: {
      tags: ['drift'],
      summary: 'Upload the training baseline of a model version',
      description:
        'The rows the version was trained on (features, and optionally its prediction and the actual), used as the drift reference with `reference=baseline`. ' +
        `\`application/x-ndjson\`: ${NDJSON_DESCRIPTION} \`application/json\`: \`{"rows": [...]}\`, up to 100,000 rows. ` +
        'Replaces the version’s previous baseline atomically: a bad row is a 400 naming its line (NDJSON, 1-based, also in `line`) or index and field, and leaves the previous baseline as it was. ' +
        'Without `version`, the production version’s baseline (or, for a model without one, the model’s). 201 when created, 200 when replaced.',
      params: ModelParams,
      querystring: BaselineQuery,
      body: {
        content: {
          'application/json': { schema: BaselineJsonBody },
          [NDJSON]: { schema: { type: 'string', description: NDJSON_DESCRIPTION, examples: ['{"features":{"homeElo":1620.5,"venue":"TD Garden"},"prediction":"LAL","actual":"BOS"}\n'] } },
        },
      },
      response: { 200: BaselineSchema, 201: BaselineSchema, ...problems(404, 413, 422) },
    },
    // The NDJSON body is the raw stream, read and validated row by row by the service; the JSON body is checked as usual.
    validatorCompiler: (route) => (route.httpPart === 'body' && route.contentType === NDJSON ? () => true : app.validatorCompiler!(route)),
    config: { scope: 'admin', ndjson: true },
    handler: async (request, reply) => {
      const body = request.body as Readable | { rows: unknown[] };
      const stream = isStream(body) ? body : null;
      try {
        // destroyOnReturn false: when a bad row stops the reading, the request stays readable for drain() below.
        const source = stream ? { kind: 'ndjson' as const, stream: stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer> } : { kind: 'rows' as const, rows: (body as { rows: unknown[] }).rows };
        const result = await baselines.upload(request.params.model, request.query.version, source, checkRow);
        return await reply.code(result.created ? 201 : 200).send(result.body);
      } catch (error) {
        // Clients read the answer once they have sent their body: discard the rest of a refused upload (up to a
        // bound; beyond it the connection is closed) so that they see the 400 rather than a reset.
        if (stream && !stream.readableEnded && !(await drain(stream, DRAIN_LIMIT_BYTES))) reply.header('connection', 'close');
        throw error;
      }
    },
  });

  app.get('/v1/models/:model/baseline', {
    schema: {
      tags: ['drift'],
      summary: 'Describe the training baseline of a model version',
      description: 'Row counts, the feature schema (types inferred over every row) and when it was uploaded. Without `version`, the production version’s baseline.',
      params: ModelParams,
      querystring: BaselineQuery,
      response: { 200: BaselineSchema, ...problems(404, 422) },
    },
    config: { scope: 'read' },
    handler: (request) => baselines.get(request.params.model, request.query.version),
  });
};

const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/** Reads and discards what is left of a stream; false when more than `limit` bytes were left (the stream is then destroyed). */
async function drain(stream: Readable, limit: number): Promise<boolean> {
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      if (bytes > limit) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function isStream(body: unknown): body is Readable {
  return body !== null && typeof body === 'object' && typeof (body as Readable).pipe === 'function' && typeof (body as Readable)[Symbol.asyncIterator] === 'function';
}
