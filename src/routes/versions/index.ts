import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ModelService } from '../../services/models.js';
import { ModelParams, Page, PageQuery, problems } from '../schemas.js';
import { CreateVersionBody, ReasonBody, TransitionSchema, VersionParams, VersionSchema } from './schemas.js';

export const versionRoutes: FastifyPluginAsyncTypebox<{ models: ModelService }> = async (app, { models }) => {
  app.post('/v1/models/:model/versions', {
    schema: {
      tags: ['versions'],
      summary: 'Register a version of a model',
      params: ModelParams,
      body: CreateVersionBody,
      response: { 201: VersionSchema, ...problems(404, 409) },
    },
    config: { scope: 'admin' },
    handler: async (request, reply) => reply.code(201).send(await models.createVersion(request.params.model, request.body)),
  });

  app.get('/v1/models/:model/versions', {
    schema: { tags: ['versions'], summary: 'List versions, newest first', params: ModelParams, querystring: PageQuery, response: { 200: Page(VersionSchema), ...problems(404) } },
    config: { scope: 'read' },
    handler: (request) => models.listVersions(request.params.model, request.query.limit, request.query.cursor),
  });

  app.post('/v1/models/:model/versions/:version/promote', {
    schema: {
      tags: ['versions'],
      summary: 'Make a version the production version',
      description: 'The previous production version is archived and remembered, so that a rollback can restore it.',
      params: VersionParams,
      body: Type.Optional(ReasonBody),
      response: { 200: TransitionSchema, ...problems(404) },
    },
    config: { scope: 'admin' },
    handler: (request) => models.promote(request.params.model, request.params.version, request.body?.reason ?? null),
  });

  app.post('/v1/models/:model/rollback', {
    schema: {
      tags: ['versions'],
      summary: 'Restore the previous production version',
      params: ModelParams,
      body: Type.Optional(ReasonBody),
      response: { 200: TransitionSchema, ...problems(404, 409) },
    },
    config: { scope: 'admin' },
    handler: (request) => models.rollback(request.params.model, request.body?.reason ?? null),
  });
};
