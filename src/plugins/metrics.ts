import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasScope } from '../domain/access.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { ApiKeyService } from '../services/api-keys.js';
import type { HindsightMetrics } from './metrics-registry.js';

export { HindsightMetrics } from './metrics-registry.js';

export interface MetricsPluginOptions {
  metrics: HindsightMetrics;
  keys: ApiKeyService;
  /** METRICS_TOKEN: a bearer token for the scraper alone, so that it needs no API key. */
  token: string | undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `GET /metrics` (Prometheus text format) and the HTTP metrics of every request. The route is not public:
 * it answers a bearer `METRICS_TOKEN`, or an API key with the `read` scope that is not limited to some models
 * (the output names every model). It handles its own authentication because a scraper sends its token in the
 * Authorization header, which the key check would refuse; it is therefore declared `public` to the auth
 * plugin and hidden from the OpenAPI description (it is not JSON).
 */
export function registerMetrics(app: FastifyInstance, { metrics, keys, token }: MetricsPluginOptions): void {
  // A callback hook: no promise per request. reply.elapsedTime runs from the start of routing.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  // Scrapes come every few seconds: log them at warn and above, never below the configured level.
  const scrapeLogLevel = (['error', 'fatal', 'silent'] as const).find((level) => level === app.log.level) ?? 'warn';
  const tokenDigest = token ? digest(`Bearer ${token}`) : undefined;
  const authorizeScrape = async (request: FastifyRequest) => {
    const authorization = request.headers.authorization;
    if (tokenDigest && authorization !== undefined && timingSafeEqual(digest(authorization), tokenDigest)) return;
    if (authorization === undefined) {
      throw new UnauthorizedError(`send METRICS_TOKEN or an API key with the "read" scope as "Authorization: Bearer <token>"`);
    }
    const principal = await keys.authenticate(authorization);
    if (!hasScope(principal, 'read')) throw new ForbiddenError(`/metrics needs METRICS_TOKEN or an API key with the "read" scope`);
    if (principal.models !== null) throw new ForbiddenError('/metrics names every model: an API key limited to some models cannot read it');
  };

  app.get('/metrics', {
    schema: { hide: true },
    config: { scope: 'public' },
    logLevel: scrapeLogLevel,
    handler: async (request, reply) => {
      await authorizeScrape(request);
      const text = await metrics.text();
      return reply.header('cache-control', 'no-store').type(metrics.contentType).send(text);
    },
  });
}
