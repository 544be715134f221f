import type { FastifyInstance } from 'fastify';
import { hasScope, type Principal, type Scope } from '../domain/access.js';
import { ForbiddenError } from '../errors.js';
import type { ApiKeyService } from '../services/api-keys.js';

export type RouteAccess = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which scope a key needs for this route; routes that say nothing need `admin`. */
    scope?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

const PUBLIC_PREFIXES = ['/docs', '/openapi.json', '/healthz', '/readyz'];

/**
 * Bearer-key authentication on every route. Each route declares the scope it needs; a route that forgets
 * to is admin-only, never public by accident. The OpenAPI `security` of each route is derived from it.
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeyService): void {
  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRoute', (route) => {
    const isPublic = PUBLIC_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`));
    const scope: RouteAccess = route.config?.scope ?? (isPublic ? 'public' : 'admin');
    route.config = { ...route.config, scope };
    if (route.schema && !route.schema.hide) {
      route.schema = {
        ...route.schema,
        security: scope === 'public' ? [] : [{ bearerAuth: [] }],
        description: [route.schema.description, scope === 'public' ? 'No authentication.' : `Requires an API key with scope \`${scope}\`${scope === 'admin' ? '' : ' (or `admin`)'}.`]
          .filter(Boolean)
          .join('\n\n'),
      };
    }
  });

  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (request.is404 || scope === 'public' || scope === undefined) return;
    const principal = await keys.authenticate(request.headers.authorization);
    if (!hasScope(principal, scope)) {
      throw new ForbiddenError(`this API key lacks the "${scope}" scope (it has: ${[...principal.scopes].join(', ') || 'none'})`);
    }
    request.principal = principal;
  });
}
