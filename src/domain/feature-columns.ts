/**
 * Features of a sample of predictions as typed columns. A feature is numeric when every value it takes
 * in the sample is a finite number; anything else (strings, booleans, mixed types) is categorical, its
 * values compared as text ("true"/"false" for booleans). A missing key and null are both "missing".
 */
export interface FeatureColumn {
  name: string;
  kind: 'numeric' | 'categorical';
  /** One entry per sample row: a number (numeric), a string (categorical), or null (missing). */
  values: (number | string | null)[];
  /** Rows where the feature is present. */
  present: number;
  /** Categorical: the value each category text stands for (a boolean stays a boolean in responses). */
  originals?: Map<string, string | number | boolean>;
}

/** Features analysed per request, the most often present first (ties by name). */
export const MAX_FEATURES = 100;
/** Categories kept per categorical feature, the most frequent first; the rest are grouped. */
export const MAX_CATEGORIES = 10;
export const OTHER_CATEGORY = '(other)';
export const MISSING_CATEGORY = '(missing)';

export function featureColumns(rows: readonly { features: Record<string, unknown> }[], maxFeatures = MAX_FEATURES): { columns: FeatureColumn[]; skipped: string[] } {
  const presence = new Map<string, number>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row.features)) {
      if (value !== null && value !== undefined) presence.set(name, (presence.get(name) ?? 0) + 1);
    }
  }
  const names = [...presence.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([name]) => name);
  const columns = names.slice(0, maxFeatures).map((name) => {
    const raw = rows.map((r) => r.features[name] ?? null);
    const numeric = raw.every((v) => v === null || (typeof v === 'number' && Number.isFinite(v)));
    if (numeric) return { name, kind: 'numeric' as const, values: raw as (number | null)[], present: presence.get(name)! };
    const originals = new Map<string, string | number | boolean>();
    const values = raw.map((v) => {
      if (v === null) return null;
      const text = String(v);
      if (!originals.has(text)) originals.set(text, v as string | number | boolean);
      return text;
    });
    return { name, kind: 'categorical' as const, values, present: presence.get(name)!, originals };
  });
  return { columns, skipped: names.slice(maxFeatures) };
}

/** The categories kept for a categorical column: the MAX_CATEGORIES most frequent, ties by value. */
export function topCategories(values: readonly (string | number | null)[], max = MAX_CATEGORIES): { kept: string[]; grouped: number } {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([value]) => value);
  return { kept: ranked.slice(0, max), grouped: Math.max(0, ranked.length - max) };
}

/** Each row's category after grouping: a kept value, OTHER_CATEGORY, or MISSING_CATEGORY. */
export function groupedCategories(values: readonly (string | number | null)[], max = MAX_CATEGORIES): string[] {
  const kept = new Set(topCategories(values, max).kept);
  return values.map((v) => (v === null ? MISSING_CATEGORY : kept.has(String(v)) ? String(v) : OTHER_CATEGORY));
}
