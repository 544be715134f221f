/**
 * The export formats of a dataset, byte for byte. A dataset's content hash is the SHA-256 of its JSONL
 * export, so these functions define it: one line per row in seq order, each
 * `{"predictionId","externalId","version","predictedAt","prediction","actual","features"}` in that key
 * order, features with their keys sorted by UTF-16 code units, numbers as JavaScript prints them
 * (shortest round-trip), timestamps as ISO-8601 UTC with milliseconds, and every line ending in "\n".
 */

export interface DatasetRecord {
  predictionId: string;
  externalId: string | null;
  version: string | null;
  predictedAt: Date;
  features: Record<string, unknown>;
  predictedLabel: string | null;
  predictedValue: number | null;
  actualLabel: string | null;
  actualValue: number | null;
}

const json = (value: unknown) => (value === undefined ? 'null' : JSON.stringify(value));

/** Keys sorted by code units, written one by one: JSON.stringify would put integer-like keys first. */
export function canonicalFeatures(features: Record<string, unknown>): string {
  const keys = Object.keys(features).sort(compareCodeUnits);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${json(features[k])}`).join(',')}}`;
}

export const compareCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const predictionOf = (r: DatasetRecord) => r.predictedLabel ?? r.predictedValue;
const actualOf = (r: DatasetRecord) => r.actualLabel ?? r.actualValue;

export function jsonlLine(r: DatasetRecord): string {
  return (
    `{"predictionId":${JSON.stringify(r.predictionId)},"externalId":${json(r.externalId)},"version":${json(r.version)},` +
    `"predictedAt":"${r.predictedAt.toISOString()}","prediction":${json(predictionOf(r))},"actual":${json(actualOf(r))},` +
    `"features":${canonicalFeatures(r.features)}}\n`
  );
}

/** CSV columns before the features; each feature is a column `features.<name>`, sorted by name. */
export const CSV_FIXED_COLUMNS = ['predictionId', 'externalId', 'version', 'predictedAt', 'prediction', 'actual'] as const;

/** RFC 4180: a field with a comma, a double quote, CR or LF is quoted, and its quotes doubled. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(featureNames: readonly string[]): string {
  return [...CSV_FIXED_COLUMNS, ...featureNames.map((f) => `features.${f}`)].map(csvField).join(',') + '\r\n';
}

export function csvLine(r: DatasetRecord, featureNames: readonly string[]): string {
  const fixed = [r.predictionId, r.externalId, r.version, r.predictedAt.toISOString(), predictionOf(r), actualOf(r)];
  return [...fixed, ...featureNames.map((f) => r.features[f])].map(csvField).join(',') + '\r\n';
}

export type FeatureType = 'number' | 'string' | 'boolean' | 'null' | 'mixed';

/** Feature name → type over all rows: the one JSON type of its non-null values, `mixed` when several, `null` when only nulls. */
export class FeatureSchemaBuilder {
  private readonly types = new Map<string, Set<string>>();

  add(features: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(features)) {
      let seen = this.types.get(name);
      if (!seen) this.types.set(name, (seen = new Set()));
      if (value !== null && value !== undefined && seen.size < 2) seen.add(typeof value);
    }
  }

  result(): Record<string, FeatureType> {
    const names = [...this.types.keys()].sort(compareCodeUnits);
    return Object.fromEntries(
      names.map((name) => {
        const seen = this.types.get(name)!;
        const type: FeatureType = seen.size === 0 ? 'null' : seen.size > 1 ? 'mixed' : ([...seen][0] as FeatureType);
        return [name, type];
      }),
    );
  }
}
