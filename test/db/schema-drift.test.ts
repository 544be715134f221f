import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../helpers/db.js';

/**
 * The service applies hand-written SQL migrations (prisma migrate cannot run here), so this proves that
 * prisma/schema.prisma and the migrated database agree: every model is a table, every scalar field a
 * column of a compatible type and nullability, every enum a PostgreSQL enum with the same values.
 */
interface Field {
  name: string;
  column: string;
  type: string;
  list: boolean;
  optional: boolean;
  nativeType?: string;
}

interface Schema {
  models: { name: string; table: string; fields: Field[] }[];
  enums: { name: string; dbName: string; values: string[] }[];
}

function parseSchema(text: string): Schema {
  const blocks = [...text.matchAll(/^(model|enum)\s+(\w+)\s*\{([\s\S]*?)^\}/gm)];
  const enumNames = new Set(blocks.filter((b) => b[1] === 'enum').map((b) => b[2]!));
  const modelNames = new Set(blocks.filter((b) => b[1] === 'model').map((b) => b[2]!));
  const schema: Schema = { models: [], enums: [] };
  for (const [, kind, name, body] of blocks) {
    const lines = body!.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim()).filter(Boolean);
    const mapped = lines.map((l) => /^@@map\("([^"]+)"\)/.exec(l)?.[1]).find(Boolean) ?? name!;
    if (kind === 'enum') {
      schema.enums.push({ name: name!, dbName: mapped, values: lines.filter((l) => !l.startsWith('@@')).map((l) => l.split(/\s+/)[0]!) });
      continue;
    }
    const fields: Field[] = [];
    for (const line of lines.filter((l) => !l.startsWith('@@'))) {
      const [fieldName, rawType] = line.split(/\s+/) as [string, string];
      const type = rawType.replace(/[?[\]]/g, '');
      if (modelNames.has(type)) continue; // relation field, no column
      fields.push({
        name: fieldName,
        column: /@map\("([^"]+)"\)/.exec(line)?.[1] ?? fieldName,
        type: enumNames.has(type) ? `enum:${type}` : type,
        list: rawType.endsWith('[]'),
        optional: rawType.endsWith('?'),
        nativeType: /@db\.(\w+)/.exec(line)?.[1],
      });
    }
    schema.models.push({ name: name!, table: mapped, fields });
  }
  return schema;
}

function compatible(field: Field, column: { data_type: string; udt_name: string }, enums: Schema['enums']): boolean {
  if (field.list) return column.data_type === 'ARRAY' && column.udt_name === `_${udtOf(field, enums)}`;
  return column.udt_name === udtOf(field, enums);
}

function udtOf(field: Field, enums: Schema['enums']): string {
  if (field.type.startsWith('enum:')) return enums.find((e) => e.name === field.type.slice(5))!.dbName;
  const native: Record<string, string> = { Uuid: 'uuid', Text: 'text', Timestamptz: 'timestamptz' };
  if (field.nativeType) return native[field.nativeType] ?? field.nativeType.toLowerCase();
  const defaults: Record<string, string> = {
    String: 'text',
    Int: 'int4',
    BigInt: 'int8',
    Float: 'float8',
    Boolean: 'bool',
    DateTime: 'timestamp',
    Json: 'jsonb',
    Bytes: 'bytea',
  };
  return defaults[field.type]!;
}

let client: pg.Client;
let schema: Schema;
beforeAll(async () => {
  client = new pg.Client({ connectionString: await createTestDatabase() });
  await client.connect();
  schema = parseSchema(await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8'));
});
afterAll(() => client.end());

describe('schema.prisma and the migrated database', () => {
  it('parses a non-trivial schema', () => {
    expect(schema.models.length).toBeGreaterThanOrEqual(7);
    expect(schema.enums.length).toBeGreaterThanOrEqual(3);
  });

  it('has every model as a table and every scalar field as a column of a compatible type', async () => {
    const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const problems: string[] = [];
    for (const model of schema.models) {
      const columns = new Map(rows.filter((r) => r.table_name === model.table).map((r) => [r.column_name, r]));
      if (columns.size === 0) {
        problems.push(`model ${model.name}: table ${model.table} is missing`);
        continue;
      }
      for (const field of model.fields) {
        const column = columns.get(field.column);
        if (!column) problems.push(`${model.name}.${field.name}: column ${model.table}.${field.column} is missing`);
        else if (!compatible(field, column, schema.enums)) problems.push(`${model.name}.${field.name}: ${field.type}${field.list ? '[]' : ''} vs ${column.udt_name}`);
        else if (field.optional !== (column.is_nullable === 'YES')) problems.push(`${model.name}.${field.name}: nullability differs`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('has every enum with the same values', async () => {
    for (const e of schema.enums) {
      const { rows } = await client.query<{ v: string }>(`SELECT unnest(enum_range(NULL::"${e.dbName}"))::text AS v`);
      expect(rows.map((r) => r.v), e.name).toEqual(e.values);
    }
  });

  it('partitions predictions and outcomes by time', async () => {
    const { rows } = await client.query<{ relname: string; strategy: string }>(
      `SELECT c.relname, p.partstrat AS strategy FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid ORDER BY c.relname`,
    );
    expect(rows).toEqual([
      { relname: 'outcomes', strategy: 'r' },
      { relname: 'predictions', strategy: 'r' },
    ]);
  });
});
