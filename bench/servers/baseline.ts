/**
 * The baseline of single-prediction ingestion: the least a Fastify service can do to store a prediction —
 * parse the JSON body and run one parameterised INSERT of the same row into a plain (unpartitioned) table
 * shaped like `predictions`. No auth, no validation, no idempotency. Same pool size and log level as
 * Hindsight; started by the harness like Hindsight (child process, loopback).
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const table = env('BASELINE_TABLE');
const modelId = env('BASELINE_MODEL_ID');
const versionId = env('BASELINE_VERSION_ID');
const positiveLabel = env('BASELINE_POSITIVE_LABEL');

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(env('DATABASE_POOL_SIZE')), application_name: 'bench-baseline' });
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } });

const INSERT = `INSERT INTO ${table} (id, predicted_at, model_id, version_id, external_id, features, predicted_label, confidence, p_positive)
  VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`;

interface Body {
  externalId?: string;
  features: Record<string, unknown>;
  prediction: string;
  confidence?: number;
}

app.get('/healthz', async () => ({ status: 'ok' }));

app.post('/v1/predictions', async (request, reply) => {
  const body = request.body as Body;
  const confidence = body.confidence ?? null;
  const pPositive = confidence === null ? null : body.prediction === positiveLabel ? confidence : 1 - confidence;
  const { rows } = await pool.query<{ id: string; created_at: Date }>(INSERT, [
    randomUUID(),
    modelId,
    versionId,
    body.externalId ?? null,
    JSON.stringify(body.features),
    body.prediction,
    confidence,
    pPositive,
  ]);
  return reply.code(201).send({ id: rows[0]!.id, createdAt: rows[0]!.created_at });
});

let closing = false;
const shutdown = async () => {
  if (closing) return;
  closing = true;
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

await app.listen({ host: '127.0.0.1', port: Number(env('PORT')) });
