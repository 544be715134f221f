import type { IncomingMessage, ServerResponse } from 'node:http';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { HttpError } from '../errors.js';

export interface RateLimitOptions {
  /** Requests per minute per API key on the ingestion routes (scope `ingest`); 0: unlimited. A batch counts once. */
  ingestPerMinute: number;
  /** Requests per minute per API key on every other authenticated route; 0: unlimited. */
  perMinute: number;
}

export class RateLimitedError extends HttpError {
  constructor(detail: string, retryAfterSeconds: number) {
    super(429, 'rate-limited', 'Too many requests', detail);
    this.headers['retry-after'] = String(Math.max(1, retryAfterSeconds));
  }
}

/** The content security policy of every page and response, except routes that carry `config.ownCsp`. */
export function contentSecurityPolicy(publicUrl: string): Record<string, string[]> {
  const secure = publicUrl.startsWith('https:');
  return {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    // Swagger UI's "Try it out" sends requests to the OpenAPI server URL, PUBLIC_URL.
    'connect-src': ["'self'", new URL(publicUrl).origin],
    'font-src': ["'self'", 'data:'],
    'form-action': ["'self'"],
    'frame-ancestors': ["'self'"],
    // Swagger UI draws its icons as data: SVG images.
    'img-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    // Swagger UI (6.x) loads only its own files: no inline script, no eval.
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    // React sets style attributes while rendering Swagger UI.
    'style-src': ["'self'", "'unsafe-inline'"],
    // Upgrading requests on a plain-http deployment (the loopback default) would break every page.
    ...(secure ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

/** The headers helmet's middleware sets with these options, read once from a stand-in response. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader() {},
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * Security headers on every response, errors included (registered before authentication, so that a 401 has
 * them too). The API's JSON answers (everything but Swagger UI under /docs) get the short set OWASP advises
 * for REST services: nothing may be loaded or framed (`default-src 'none'; frame-ancestors 'none'`), nosniff,
 * `X-Frame-Options: DENY`, no referrer, same-origin resources — fewer bytes on the hot path than helmet's page
 * defaults, and a stricter policy. Swagger UI's pages get helmet's defaults with the policy above. A route with
 * `config.ownCsp` (the report page) sends its own Content-Security-Policy and gets the page set's other headers.
 *
 * The headers are computed once: @fastify/helmet rebuilds helmet's middleware (options parsed, the policy
 * validated and joined) on every request, which measured ~50 µs of CPU per request, 15 % of single-prediction
 * ingestion. The headers are the same; one callback hook sets them.
 */
export function registerSecurityHeaders(app: FastifyInstance, publicUrl: string): void {
  // HSTS only means something over https; the browser ignores it on http.
  const strictTransportSecurity: HelmetOptions['strictTransportSecurity'] = publicUrl.startsWith('https:') ? { maxAge: 15_552_000, includeSubDomains: false } : false;
  const pageOptions: HelmetOptions = { contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(publicUrl) }, strictTransportSecurity };
  const pages = helmetHeaders(pageOptions);
  const ownPolicy = helmetHeaders({ ...pageOptions, contentSecurityPolicy: false });
  const api = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    strictTransportSecurity,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.routeOptions.config.ownCsp ? ownPolicy : request.url.startsWith('/docs') ? pages : api);
    done();
  });
}

/**
 * Rate limiting per API key.
 *
 * Rate limits count per principal (the key id; the bootstrap admin key is one principal), never per IP:
 * many serving pods behind one NAT share an IP, and one key is one client. Ingestion routes and the others
 * have separate budgets, so that a dashboard cannot starve ingestion of the same key. The counters live in
 * this process: behind N replicas a key gets up to N × the limit. Public routes (probes, docs, /metrics,
 * which authenticates its scraper itself) are not limited. Requests without a key (a trainer's signed
 * callback) are limited per client IP at the general limit.
 *
 * Must be registered after the auth plugin (its onRoute hook resolves each route's scope, read here) and
 * before the routes.
 */
export async function registerRateLimits(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    const perMinute = scope === 'ingest' ? options.ingestPerMinute : options.perMinute;
    if (scope === 'public' || perMinute === 0) route.config = { ...route.config, rateLimit: false };
  });

  const classOf = (request: FastifyRequest) => (request.routeOptions.config.scope === 'ingest' ? 'ingest' : 'api');
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: 60_000,
    // Route-level onRequest hooks run after the global auth hook: the principal is known here.
    keyGenerator: (request) => {
      const principal = request.principal as FastifyRequest['principal'] | null;
      const who = principal ? (principal.keyId ?? 'HINDSIGHT_ADMIN_KEY') : `ip:${request.ip}`;
      return `${classOf(request)}:${who}`;
    },
    max: (request) => (classOf(request) === 'ingest' ? options.ingestPerMinute : options.perMinute),
    // Only the client's own counters are worth a header on success; the rest is noise on the hot path.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    cache: 10_000,
    errorResponseBuilder: (request, context) =>
      new RateLimitedError(
        `this API key sent more than ${context.max} ${classOf(request) === 'ingest' ? 'ingestion ' : ''}requests in a minute; retry in ${context.after}`,
        Math.ceil(context.ttl / 1000),
      ),
  });
}
