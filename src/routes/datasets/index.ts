import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Principal } from '../../domain/access.js';
import { invalidField } from '../../errors.js';
import type { DatasetService } from '../../services/datasets.js';
import { IdParams } from '../retraining/schemas.js';
import { ModelParams, Page, PageQuery, problems } from '../schemas.js';
import { CreateDatasetBody, DatasetSchema, RowsQuery } from './schemas.js';

export const datasetRoutes: FastifyPluginAsyncTypebox<{ datasets: DatasetService }> = async (app, { datasets }) => {
  app.post('/v1/models/:model/datasets', {
    schema: {
      tags: ['datasets'],
      summary: 'Freeze the labeled predictions of a window into a dataset',
      description:
        'Copies the labeled predictions (features, prediction, actual, version, predictedAt, prediction id) of the window into a numbered snapshot that never changes, ' +
        'with its row count, feature schema and the SHA-256 of its JSONL export. Window: `window`, or `from` + `to`, or `last` (default: the policy’s trainingWindow).',
      params: ModelParams,
      body: CreateDatasetBody,
      response: { 201: DatasetSchema, ...problems(404, 422) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => reply.code(201).send(await datasets.create(request.params.model, request.body ?? {})),
  });

  app.get('/v1/models/:model/datasets', {
    schema: { tags: ['datasets'], summary: 'Datasets of a model, newest first', params: ModelParams, querystring: PageQuery, response: { 200: Page(DatasetSchema), ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => datasets.list(request.params.model, request.query.limit, request.query.cursor),
  });

  app.get('/v1/datasets/:id', {
    schema: { tags: ['datasets'], summary: 'A dataset: rows, feature schema, content hash', params: IdParams, response: { 200: DatasetSchema, ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => datasets.get(request.params.id, request.principal),
  });

  app.get('/v1/datasets/:id/rows', {
    schema: {
      tags: ['datasets'],
      summary: 'Download a dataset’s rows (streamed)',
      description:
        '`format=jsonl` (default): one JSON object per line, `{"predictionId","externalId","version","predictedAt","prediction","actual","features"}`, features with sorted keys; ' +
        'its SHA-256 is the dataset’s `sha256` (also in the `ETag`). `format=csv`: RFC 4180 with a header — predictionId, externalId, version, predictedAt, prediction, actual, ' +
        'then `features.<name>` for each feature, sorted. Rows come in a fixed order (predictedAt, then prediction id): the same bytes on every read. ' +
        'Authenticate with an API key, or use the signed `downloadUrl` of a retrain.requested webhook (`expires` + `signature`, no key).',
      params: IdParams,
      querystring: RowsQuery,
      response: {
        200: {
          description: 'the rows',
          content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
        },
        ...problems(404),
      },
    },
    config: { scope: 'read', credentialAlternative: (request) => typeof (request.query as { signature?: unknown }).signature === 'string' },
    handler: async (request, reply) => {
      const principal = request.principal as Principal | null;
      const { format, expires, signature } = request.query;
      let auth: Parameters<DatasetService['open']>[2];
      if (principal) auth = { principal };
      else if (expires === undefined) throw invalidField('/query/expires', 'is required with signature');
      else auth = { expires, signature: signature! };
      const opened = await datasets.open(request.params.id, format, auth);
      reply.header('content-type', opened.contentType);
      reply.header('content-disposition', `attachment; filename="${opened.filename}"`);
      reply.header('x-dataset-sha256', opened.dataset.sha256);
      if (opened.contentLength !== null) {
        reply.header('content-length', opened.contentLength);
        reply.header('etag', `"${opened.dataset.sha256}"`);
      }
      // A stream is sent as it is (no serialiser); the schema above only documents the content types.
      return reply.send(opened.body as unknown as string);
    },
  });
};
