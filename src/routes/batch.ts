import type { FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { PayloadTooLargeError, ValidationError, type HttpError } from '../errors.js';
import { MAX_BATCH_ITEMS } from './predictions/schemas.js';

/**
 * Batch routes document `{items: [<item schema>]}` in OpenAPI, but Fastify only checks the envelope: each
 * item is validated on its own so that one bad item fails alone (207) instead of failing the batch.
 */
export const envelopeOnly: FastifySchemaCompiler<unknown> = ({ httpPart }) => {
  if (httpPart !== 'body') return () => ({ value: undefined });
  return (body: unknown) => {
    const items = (body as { items?: unknown } | null)?.items;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return { error: new ValidationError([{ path: '/body', message: 'must be an object {"items": [...]}' }]) };
    }
    const extra = Object.keys(body).find((key) => key !== 'items');
    if (extra !== undefined) return { error: new ValidationError([{ path: `/body/${extra}`, message: 'is not an allowed property' }]) };
    if (!Array.isArray(items)) return { error: new ValidationError([{ path: '/body/items', message: 'must be an array' }]) };
    if (items.length === 0) return { error: new ValidationError([{ path: '/body/items', message: 'must not be empty' }]) };
    if (items.length > MAX_BATCH_ITEMS) {
      return { error: new PayloadTooLargeError(`a batch holds at most ${MAX_BATCH_ITEMS} items, this one has ${items.length}`, '/body/items') };
    }
    return { value: body };
  };
};

export const itemPrefix = (index: number) => `/body/items/${index}`;

interface ItemOutcome {
  index: number;
  status: 'created' | 'duplicate' | 'failed';
  id?: string;
  error?: HttpError;
}

/** 201 when every item was created, 207 when any failed, 200 otherwise (some were retries). */
export function sendBatch(request: FastifyRequest, reply: FastifyReply, items: ItemOutcome[]) {
  let created = 0;
  let duplicates = 0;
  let failed = 0;
  const results = items.map((item) => {
    if (item.status === 'created') created++;
    else if (item.status === 'duplicate') duplicates++;
    else failed++;
    return item.error
      ? { index: item.index, status: item.status, error: { ...item.error.toProblem(), requestId: request.id } }
      : { index: item.index, status: item.status, ...(item.id !== undefined ? { id: item.id } : {}) };
  });
  const status = failed > 0 ? 207 : created === items.length ? 201 : 200;
  return reply.code(status).send({ results, created, duplicates, failed });
}
