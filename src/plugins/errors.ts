import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/client.js';
import { HttpError, PayloadTooLargeError, ServiceUnavailableError, ValidationError } from '../errors.js';
import { fieldErrorsFromAjv, validationContextPrefix } from './validation.js';

/** Renders every error as application/problem+json; nothing a client sends produces a 500. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const problem = toHttpError(error, request.routeOptions.bodyLimit);
    if (problem.status >= 500 && !(problem instanceof ServiceUnavailableError)) {
      request.log.error({ err: error }, 'unhandled error');
    } else if (problem instanceof ServiceUnavailableError) {
      request.log.warn({ err: { message: error.message, code: error.code } }, 'database unavailable');
    }
    return sendProblem(request, reply, problem);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, new HttpError(404, 'not-found', 'Not found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: HttpError) {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.status)
    .type('application/problem+json')
    .send({ ...error.toProblem(), instance: request.url.split('?')[0], requestId: request.id });
}

export function toHttpError(error: FastifyError, bodyLimit?: number): HttpError {
  if (error instanceof HttpError) return error;
  if (error.validation) {
    return new ValidationError(fieldErrorsFromAjv(error.validation as never, validationContextPrefix(error.validationContext)));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError(bodyLimit ? `the request body is larger than the limit of ${bodyLimit} bytes (BODY_LIMIT_BYTES)` : 'the request body is larger than the limit (BODY_LIMIT_BYTES)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ValidationError([{ path: '/body', message: 'must not be empty' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'bad-request', 'Bad request', 'the Content-Length header does not match the body');
  }
  if (isDatabaseUnavailable(error)) {
    return new ServiceUnavailableError('the database is unavailable; retry shortly');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new HttpError(status, 'bad-request', 'Bad request', error.message);
  }
  return new HttpError(500, 'internal', 'Internal server error', 'an unexpected error occurred; it has been logged with this requestId');
}

