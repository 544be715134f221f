import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ServiceUnavailableError } from '../../errors.js';
import type { HealthService } from '../../services/health.js';
import { ProblemSchema } from '../schemas.js';

const Status = Type.Object({ status: Type.String({ examples: ['ok'] }) });
const Readiness = Type.Object({ status: Type.String({ examples: ['ready'] }), database: Type.String(), pendingMigrations: Type.Array(Type.String()) });

export const opsRoutes: FastifyPluginAsyncTypebox<{ health: HealthService }> = async (app, { health }) => {
  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Liveness: the process is up', response: { 200: Status } },
    config: { scope: 'public' },
    logLevel: 'warn',
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['ops'],
      summary: 'Readiness: the database is reachable and every migration is applied',
      response: { 200: Readiness, 503: { description: 'not ready', content: { 'application/problem+json': { schema: ProblemSchema } } } },
    },
    config: { scope: 'public' },
    logLevel: 'warn',
    handler: async () => {
      const state = await health.readiness();
      if (state.database !== 'reachable') throw new ServiceUnavailableError(`the database is unreachable: ${state.error}`);
      if (state.pendingMigrations.length > 0) throw new ServiceUnavailableError(`migrations pending: ${state.pendingMigrations.join(', ')}`);
      return { status: 'ready', database: state.database, pendingMigrations: [] };
    },
  });
};
