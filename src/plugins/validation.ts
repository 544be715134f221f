import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { FORBIDDEN_KEYS, findRefused } from '../domain/storable-text.js';
import { type FieldError, ValidationError, invalidField } from '../errors.js';

/**
 * Request validation. Bodies are validated strictly (a string where a number is required is an error,
 * never coerced); query strings and path parameters are coerced from their text form.
 */
const common: Options = { allErrors: true, useDefaults: true, strict: false, removeAdditional: false };

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options });
  addFormats.default(ajv, ['date-time', 'uri', 'uuid', 'email']);
  // Plain JSON.parse turns 1e400 into Infinity; JSON itself has no non-finite numbers.
  ajv.addKeyword({ keyword: 'finite', type: 'number', schemaType: 'boolean', validate: (on: boolean, value: number) => !on || Number.isFinite(value), errors: false });
  return ajv;
}

export const bodyAjv = createAjv({ coerceTypes: false });
const queryAjv = createAjv({ coerceTypes: 'array' });

export function registerValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema as object);
    const required = (schema as { required?: string[] }).required ?? [];
    if (httpPart !== 'body' || required.length > 0) return validate;
    // A body whose every field is optional may be left out entirely (`curl -X POST` without -d).
    const optionalBody = Object.assign(
      (data: unknown) => {
        if (data === null) return { value: {} };
        const valid = validate(data);
        optionalBody.errors = validate.errors;
        return valid;
      },
      { errors: null as typeof validate.errors },
    );
    return optionalBody;
  });
}

const PARTS: Record<string, string> = { body: '/body', querystring: '/query', params: '/params', headers: '/headers' };

export function fieldErrorsFromAjv(errors: ErrorObject[], prefix: string): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = describeAjvError(error, prefix);
    const key = `${field.path}|${field.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(field);
    }
  }
  return out;
}

export function validationContextPrefix(context: string | undefined): string {
  return PARTS[context ?? 'body'] ?? '/body';
}

function describeAjvError(error: ErrorObject, prefix: string): FieldError {
  const path = prefix + error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: `${path}/${String(params.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return { path: `${path}/${String(params.additionalProperty)}`, message: 'is not an allowed property' };
    case 'enum':
      return { path, message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'format':
      return { path, message: `must be a valid ${String(params.format)}${params.format === 'date-time' ? ' (RFC 3339 with a time zone, e.g. 2024-10-18T23:00:00Z)' : ''}` };
    case 'finite':
      return { path, message: 'must be a finite number' };
    case 'type':
      return { path, message: `must be ${String(params.type)}` };
    default:
      return { path, message: error.message ?? `fails ${error.keyword}` };
  }
}

/** Compiles a body schema for validating parts of a request by hand (batch items). */
export function compileBodyValidator(schema: FastifySchema['body']): (value: unknown, prefix: string) => FieldError[] {
  const validate = bodyAjv.compile(schema as object);
  return (value, prefix) => (validate(value) ? [] : fieldErrorsFromAjv(validate.errors ?? [], prefix));
}


/**
 * JSON bodies are parsed with plain JSON.parse (own `__proto__` keys cannot pollute anything there) and
 * then refused, with the path of the offending key, when they contain a prototype-polluting key.
 * The full walk only runs when the raw text mentions one of the keys.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const parse = (_request: unknown, text: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
      const raw = text as string;
      if (raw.trim() === '') return done(invalidField('/body', 'must not be empty'), undefined);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch (error) {
        return done(new ValidationError([{ path: '/body', message: `is not valid JSON: ${(error as Error).message}` }]), undefined);
      }
      // The full walk only runs when the raw text mentions a forbidden key, or escapes a NUL or a surrogate.
      const keys = FORBIDDEN_KEYS.some((key) => raw.includes(key));
      const escapes = raw.includes('\\u0000') || /\\u[dD][89a-fA-F]/.test(raw);
      if (keys || escapes) {
        const refused = findRefused(body, keys, escapes);
        if (refused) return done(invalidField(refused.path, refused.message), undefined);
      }
      done(null, body);
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parse);
  app.addContentTypeParser(/^application\/[\w.+-]+\+json$/, { parseAs: 'string' }, parse);
}
