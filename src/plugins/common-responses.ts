import type { FastifyInstance } from 'fastify';
import { problemResponses } from '../routes/schemas.js';

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Documents on every route the statuses that the framework, not the handler, may answer: 413 (body over
 * BODY_LIMIT_BYTES) and 415 (a body that is not JSON) on every method that takes a body, and 429 on every
 * rate-limited (authenticated) route. The fuzzer (bench/reliability/fuzz.ts) holds every answer to the spec.
 * Registered after the auth plugin, whose onRoute hook resolves each route's scope.
 */
export function registerCommonResponses(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (!schema || schema.hide || !schema.response) return;
    const statuses: number[] = [];
    if ([route.method].flat().some((method) => WITH_BODY.has(method))) statuses.push(413, 415);
    if (route.config?.scope !== 'public') statuses.push(429);
    const response = schema.response as Record<string, unknown>;
    const missing = statuses.filter((status) => response[status] === undefined && response[String(status)] === undefined);
    if (missing.length === 0) return;
    route.schema = { ...schema, response: { ...response, ...problemResponses(missing) } };
  });
}
