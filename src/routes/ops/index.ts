import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ServiceUnavailableError } from '../../errors.js';
import type { HealthService } from '../../services/health.js';
import { ProblemRef } from '../schemas.js';

const Status = Type.Object({ status: Type.String({ examples: ['ok'] }) });
const Readiness = Type.Object({ status: Type.String({ examples: ['ready'] }), database: Type.String(), pendingMigrations: Type.Array(Type.String()) });

export const opsRoutes: FastifyPluginAsyncTypebox<{ health: HealthService }> = async (app, { health }) => {
  // Probes run every few seconds: log them at warn and above only. Never *below* the configured level
  // (a route's logLevel replaces it: 'warn' would make LOG_LEVEL=error or silent log every failing probe).
  const stricter = ['error', 'fatal', 'silent'] as const;
  const probeLogLevel = stricter.find((level) => level === app.log.level) ?? 'warn';

  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Liveness: the process is up', response: { 200: Status } },
    config: { scope: 'public' },
    logLevel: probeLogLevel,
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    schema: {
      tags: ['ops'],
      summary: 'Readiness: the database is reachable and every migration is applied',
      response: { 200: Readiness, 503: { description: 'not ready', content: { 'application/problem+json': { schema: ProblemRef } } } },
    },
    config: { scope: 'public' },
    logLevel: probeLogLevel,
    handler: async () => {
      const state = await health.readiness();
      if (state.database !== 'reachable') throw new ServiceUnavailableError(`the database is unreachable: ${state.error}`);
      if (state.pendingMigrations.length > 0) throw new ServiceUnavailableError(`migrations pending: ${state.pendingMigrations.join(', ')}`);
      return { status: 'ready', database: state.database, pendingMigrations: [] };
    },
  });
};
