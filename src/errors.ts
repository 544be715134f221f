/**
 * Errors that carry their HTTP status. One handler (src/plugins/errors.ts) renders every one of them as
 * RFC 9457 application/problem+json.
 */
export interface FieldError {
  /** JSON Pointer into the request, e.g. `/body/items/3/confidence` or `/query/limit`. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_BASE = 'https://hindsight.dev/problems/';

export class HttpError extends Error {
  readonly headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly errors?: FieldError[],
    readonly extensions?: Record<string, unknown>,
  ) {
    super(detail);
  }

  toProblem(): Problem {
    return {
      type: PROBLEM_BASE + this.slug,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

export class ValidationError extends HttpError {
  constructor(errors: FieldError[], detail?: string) {
    super(400, 'validation', 'Invalid request', detail ?? describeFieldErrors(errors), errors);
  }
}

export const invalidField = (path: string, message: string) => new ValidationError([{ path, message }]);

export class UnauthorizedError extends HttpError {
  constructor(detail: string) {
    super(401, 'unauthorized', 'Unauthorized', detail);
    this.headers['www-authenticate'] = 'Bearer realm="hindsight"';
  }
}

export class ForbiddenError extends HttpError {
  constructor(detail: string) {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

export class NotFoundError extends HttpError {
  constructor(what: string, name: string, path?: string) {
    super(404, 'not-found', 'Not found', `${what} "${name}" does not exist`, path ? [{ path, message: 'not found' }] : undefined);
  }
}

export class ConflictError extends HttpError {
  constructor(detail: string, errors?: FieldError[], extensions?: Record<string, unknown>) {
    super(409, 'conflict', 'Conflict', detail, errors, extensions);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(detail: string, path?: string) {
    super(413, 'payload-too-large', 'Payload too large', detail, path ? [{ path, message: detail }] : undefined);
  }
}

export class UnprocessableError extends HttpError {
  constructor(errors: FieldError[], detail?: string) {
    super(422, 'unprocessable', 'Unprocessable request', detail ?? describeFieldErrors(errors), errors);
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(detail: string, retryAfterSeconds = 5) {
    super(503, 'unavailable', 'Service unavailable', detail);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

export function describeFieldErrors(errors: FieldError[]): string {
  const first = errors[0];
  if (!first) return 'the request is invalid';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.path || 'request'}: ${first.message}${more}`;
}
