import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads an `application/x-ndjson` body itself, as a stream (request.body is the raw stream). */
    ndjson?: boolean;
  }
}

export const NDJSON = 'application/x-ndjson';

/**
 * `application/x-ndjson` bodies are handed to the route as the raw request stream, unparsed and outside the
 * body size limit, so that a large upload is never held in memory: the route reads and stores it line by
 * line. Routes that do not say `config.ndjson` refuse the type (415).
 */
export function registerNdjsonParser(app: FastifyInstance): void {
  app.addContentTypeParser(NDJSON, (request, payload, done) => {
    if (request.routeOptions.config.ndjson !== true) {
      done(new HttpError(415, 'unsupported-media-type', 'Unsupported media type', `${request.method} ${request.routeOptions.url ?? request.url} does not take ${NDJSON}; send application/json`), undefined);
      return;
    }
    done(null, payload);
  });
}
