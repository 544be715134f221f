import { readFile } from 'node:fs/promises';

/**
 * Summarises a V8 .cpuprofile (`node --cpu-prof`): self time per function, self time per area (a package,
 * a file of src/, node internals, GC) and inclusive time of the service's own functions.
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** libuv stream write bindings: their samples include the write syscall (and on loopback, the receiver's TCP work). */
const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);

export interface ProfileEntry {
  name: string;
  ms: number;
  pct: number;
  /** Microseconds per unit of work (request, row) when the work done is known. */
  perUnitUs?: number;
}

export interface ProfileSummary {
  file: string;
  /** Sampled wall time, and the part of it the main thread was busy (not idle). */
  totalMs: number;
  busyMs: number;
  /** The work done while sampling, when known. */
  units?: number;
  unit?: string;
  /** Percentages below are of busy time. */
  topSelf: ProfileEntry[];
  byArea: ProfileEntry[];
  /** Inclusive time of functions in src/ (what a request spends inside the service's own code and below). */
  topInclusiveSrc: ProfileEntry[];
}

/**
 * @param window only samples taken within it count (µs of the monotonic clock: `process.hrtime.bigint() / 1000n`
 *   in any process on this machine), so that start-up and shutdown do not blur the picture of the workload
 */
export async function summariseProfile(
  file: string,
  repoRoot: string,
  window?: { fromUs: number; toUs: number },
  work?: { units: number; unit: string },
  top = 25,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const root = `file://${repoRoot.replace(/\/$/, '')}/`;
  const location = (f: CallFrame) => {
    const url = f.url.startsWith(root) ? f.url.slice(root.length) : f.url.replace(/^file:\/\//, '');
    const shortUrl = url.replace(/^.*node_modules\//, '');
    return shortUrl ? `${shortUrl}:${f.lineNumber + 1}` : '';
  };
  const fnKey = (f: CallFrame) => `${f.functionName || '(anonymous)'}${location(f) ? ` ${location(f)}` : ''}`;
  const area = (f: CallFrame) => {
    if (!f.url) {
      if (['(idle)', '(garbage collector)', '(program)', '(root)'].includes(f.functionName)) return f.functionName;
      if (SOCKET_WRITES.has(f.functionName)) return 'socket writes (native, incl. the write syscall)';
      return 'V8 builtins / native';
    }
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url);
    if (pkg) return pkg[1]!;
    if (f.url.startsWith('node:')) return f.url.startsWith('node:internal/') ? `node:internal/${f.url.split('/')[1]}` : f.url;
    if (f.url.startsWith(root)) return f.url.slice(root.length);
    return f.url;
  };

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    total += dt;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    self.set(fnKey(f), (self.get(fnKey(f)) ?? 0) + dt);
    areas.set(area(f), (areas.get(area(f)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (!frame.url.startsWith(`${root}src/`)) continue;
      const key = fnKey(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>, n: number): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({
        name,
        ms: Math.round(ms),
        pct: Math.round((1000 * ms) / busy) / 10,
        ...(work?.units ? { perUnitUs: Math.round((10_000 * ms) / work.units) / 10 } : {}),
      }));
  return {
    file,
    totalMs: Math.round(total),
    busyMs: Math.round(busy),
    ...(work ? { units: work.units, unit: work.unit } : {}),
    topSelf: rank(self, top),
    byArea: rank(areas, top),
    topInclusiveSrc: rank(inclusive, 15),
  };
}

export function renderProfile(title: string, p: ProfileSummary): string {
  const perUnit = p.units ? ` = ${Math.round((1000 * p.busyMs) / p.units)} µs per ${p.unit} over ${p.units.toLocaleString('en-US')} ${p.unit}s` : '';
  const lines = [`\nCPU profile: ${title}`, `(${p.file}; main thread busy ${p.busyMs} ms of ${p.totalMs} ms under load${perUnit}; % of busy time)`];
  const block = (heading: string, entries: ProfileEntry[]) => {
    lines.push(`  ${heading}`);
    for (const e of entries) {
      const unit = e.perUnitUs !== undefined ? `${e.perUnitUs.toFixed(1).padStart(8)} µs/${p.unit}` : '';
      lines.push(`    ${e.pct.toFixed(1).padStart(5)}%  ${String(e.ms).padStart(6)} ms ${unit}  ${e.name}`);
    }
  };
  block('self time by area', p.byArea.slice(0, 15));
  block('top self-time functions', p.topSelf);
  block('inclusive time of src/ functions', p.topInclusiveSrc);
  return lines.join('\n');
}
