import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProfileSummary } from './profile.js';
import { median } from './stats.js';

export interface Target {
  /** What the target constrains: the Hindsight/baseline ratio, or Hindsight's own value. */
  on: 'ratio' | 'value';
  op: '>=' | '<=';
  value: number;
}

/** One compared figure: Hindsight's median, the baseline's median, and the median of the per-round ratios. */
export interface Figure {
  metric: string;
  unit: string;
  hindsight: number;
  baseline: number | null;
  ratio: number | null;
  ratioMin: number | null;
  ratioMax: number | null;
  target?: Target;
  met?: boolean;
}

export interface SectionResult {
  id: string;
  title: string;
  /** One line: what was run against what, how. */
  setup: string;
  figures: Figure[];
  /** Raw per-round measurements. */
  rounds: unknown[];
  notes: string[];
  /** BENCH_PROFILE: CPU profiles of the servers under this section's load. */
  profiles?: Partial<Record<'hindsight' | 'baseline', ProfileSummary>>;
}

/**
 * Builds a figure from paired rounds. `higherIsBetter` only matters for readers; the ratio is always
 * Hindsight / baseline.
 */
export function figure(
  metric: string,
  unit: string,
  pairs: { hindsight: number; baseline: number | null }[],
  target?: Target,
): Figure {
  const h = median(pairs.map((p) => p.hindsight));
  const withBaseline = pairs.filter((p): p is { hindsight: number; baseline: number } => p.baseline !== null);
  const b = withBaseline.length > 0 ? median(withBaseline.map((p) => p.baseline)) : null;
  const ratios = withBaseline.map((p) => p.hindsight / p.baseline);
  const ratio = ratios.length > 0 ? median(ratios) : null;
  const result: Figure = {
    metric,
    unit,
    hindsight: h,
    baseline: b,
    ratio,
    ratioMin: ratios.length > 0 ? Math.min(...ratios) : null,
    ratioMax: ratios.length > 0 ? Math.max(...ratios) : null,
  };
  if (target) {
    const actual = target.on === 'ratio' ? ratio : h;
    result.target = target;
    result.met = actual !== null && Number.isFinite(actual) && (target.op === '>=' ? actual >= target.value : actual <= target.value);
  }
  return result;
}

const fmt = (value: number | null, unit = ''): string => {
  if (value === null || !Number.isFinite(value)) return '—';
  const digits = Math.abs(value) >= 1000 ? 0 : Math.abs(value) >= 100 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) + unit;
};

function table(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (rightAligned[c] && i > 0 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n')
    .replace(/ +$/gm, '');
}

export function renderSection(section: SectionResult): string {
  const rows = [['metric', 'Hindsight', 'baseline', 'ratio H/B', 'range of rounds', 'target', '']];
  for (const f of section.figures) {
    const target = f.target ? `${f.target.on === 'ratio' ? 'ratio' : 'value'} ${f.target.op === '>=' ? '≥' : '≤'} ${f.target.value}` : '';
    rows.push([
      `${f.metric} (${f.unit})`,
      fmt(f.hindsight),
      fmt(f.baseline),
      f.ratio === null ? '—' : `${f.ratio.toFixed(2)}×`,
      f.ratioMin === null ? '' : `${f.ratioMin.toFixed(2)}–${f.ratioMax!.toFixed(2)}`,
      target,
      f.met === undefined ? '' : f.met ? 'MET' : 'MISSED',
    ]);
  }
  const out = [`\n${section.title}`, `${'='.repeat(section.title.length)}`, section.setup, '', table(rows, [false, true, true, true, true, false, false])];
  for (const note of section.notes) out.push(`  · ${note}`);
  return out.join('\n');
}

export interface RunReport {
  startedAt: string;
  seconds: number;
  machine: Record<string, unknown>;
  database: string;
  options: Record<string, unknown>;
  sections: SectionResult[];
  targets: { section: string; metric: string; target: Target; actual: number | null; met: boolean }[];
  allTargetsMet: boolean;
  error?: string;
}

export function collectTargets(sections: SectionResult[]): RunReport['targets'] {
  return sections.flatMap((s) =>
    s.figures
      .filter((f) => f.target)
      .map((f) => ({ section: s.id, metric: f.metric, target: f.target!, actual: f.target!.on === 'ratio' ? f.ratio : f.hindsight, met: f.met === true })),
  );
}

export function renderSummary(report: RunReport): string {
  const lines = ['', 'Targets (DESIGN §9)', '-------------------'];
  for (const t of report.targets) {
    const op = t.target.op === '>=' ? '≥' : '≤';
    lines.push(`${t.met ? 'MET   ' : 'MISSED'}  ${t.section} ${t.metric}: ${t.target.on} ${fmt(t.actual)} (target ${op} ${t.target.value})`);
  }
  if (report.targets.length === 0) lines.push('(no targets in the selected sections)');
  return lines.join('\n');
}

export async function writeReport(dir: string, report: RunReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'latest.json');
  await writeFile(file, JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  return file;
}
