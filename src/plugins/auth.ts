import type { FastifyInstance, FastifyRequest } from 'fastify';
import { assertModelAccess, hasScope, type Principal, type Scope } from '../domain/access.js';
import { ForbiddenError } from '../errors.js';
import type { ApiKeyService } from '../services/api-keys.js';

export type RouteAccess = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which scope a key needs for this route; routes that say nothing need `admin`. */
    scope?: RouteAccess;
    /**
     * A route that also accepts another credential (a webhook signature, a signed URL): when the request has
     * no Authorization header and this returns true, the key check is skipped, `request.principal` stays
     * null, and the handler must authenticate the request itself.
     */
    credentialAlternative?: (request: FastifyRequest) => boolean;
    /** The route sends its own Content-Security-Policy header: helmet's policy is not applied to it (src/plugins/limits.ts). */
    ownCsp?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyInstance {
    /** Every route with the access it needs, and whether it declared it (the security tests' scope × route matrix). */
    routeAccess: RouteAccessEntry[];
  }
}

export interface RouteAccessEntry {
  method: string;
  url: string;
  scope: RouteAccess;
  /** false: the route said nothing and got the default (admin, or public under PUBLIC_PREFIXES). */
  declared: boolean;
}

const PUBLIC_PREFIXES = ['/docs', '/openapi.json', '/healthz', '/readyz'];

/**
 * Bearer-key authentication on every route. Each route declares the scope it needs; a route that forgets
 * to is admin-only, never public by accident. The OpenAPI `security` of each route is derived from it.
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeyService): void {
  app.decorateRequest('principal', null as unknown as Principal);
  const routeAccess: RouteAccessEntry[] = [];
  app.decorate('routeAccess', routeAccess);

  app.addHook('onRoute', (route) => {
    const isPublic = PUBLIC_PREFIXES.some((prefix) => route.url === prefix || route.url.startsWith(`${prefix}/`));
    const scope: RouteAccess = route.config?.scope ?? (isPublic ? 'public' : 'admin');
    for (const method of [route.method].flat()) routeAccess.push({ method, url: route.url, scope, declared: route.config?.scope !== undefined });
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

  // A callback hook, so that a key found in the cache (nearly every request) costs no promise.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.is404) return done();
    // A route that escaped the onRoute hook (registered before it) is admin-only, not public.
    const scope = request.routeOptions.config.scope ?? 'admin';
    if (scope === 'public') return done();
    const alternative = request.routeOptions.config.credentialAlternative;
    if (alternative && request.headers.authorization === undefined && alternative(request)) return done();
    try {
      const cached = keys.authenticateCached(request.headers.authorization);
      if (cached) {
        authorize(request, cached, scope);
        return done();
      }
    } catch (error) {
      return done(error as Error);
    }
    keys.authenticate(request.headers.authorization).then(
      (principal) => {
        try {
          authorize(request, principal, scope);
          done();
        } catch (error) {
          done(error as Error);
        }
      },
      (error: Error) => done(error),
    );
  });
}

function authorize(request: FastifyRequest, principal: Principal, scope: Scope): void {
  if (!hasScope(principal, scope)) {
    throw new ForbiddenError(`this API key lacks the "${scope}" scope (it has: ${[...principal.scopes].join(', ') || 'none'})`);
  }
  // Every route about one model (`/v1/models/:model/...`) is limited here, once, so that no handler can
  // forget to: a key limited to some models gets 403 on any other, whether it exists or not.
  const model = (request.params as Record<string, unknown> | undefined)?.model;
  if (typeof model === 'string') assertModelAccess(principal, model);
  request.principal = principal;
}
