import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time spent by the server under test, by PostgreSQL (the postmaster and its children) and by the harness
 * itself during a measurement, from /proc (Linux, local PostgreSQL; otherwise the figures are null). Divided by the work done
 * this says where each request's CPU goes.
 */
export interface CpuSnapshot {
  server: number | null;
  postgres: number | null;
  harness: number;
  /** Busy and total CPU seconds of the whole machine (all cores). */
  machineBusy: number | null;
  machineTotal: number | null;
}

export interface CpuUsage {
  /** CPU seconds over the interval. */
  server: number | null;
  postgres: number | null;
  harness: number;
  /** Busy fraction of all cores together (1 = every core saturated). */
  machineBusyShare: number | null;
}

const TICK = 100; // USER_HZ on Linux

/** utime + stime (and, with `reaped`, cutime + cstime: the time of its children that have exited). */
function processSeconds(pid: number, reaped = false): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14–17 of stat, i.e. 11–14 after "pid (comm) ".
    const own = Number(fields[11]) + Number(fields[12]);
    return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) / TICK;
  } catch {
    return null;
  }
}

/** The parent pid of a process, from /proc (null when it is not visible, e.g. a remote server). */
export function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/**
 * The postmaster and all its children (backends, WAL writer, checkpointer, autovacuum workers, …), including
 * children that exited meanwhile (their time moves to the postmaster's cutime/cstime when reaped).
 */
function postgresSeconds(postmasterPid: number | null): number | null {
  if (postmasterPid === null) return null;
  let total = processSeconds(postmasterPid, true);
  if (total === null) return null;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (parentPid(pid) !== postmasterPid) continue;
    total += processSeconds(pid) ?? 0;
  }
  return total;
}

function machineSeconds(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: (total - idle) / TICK, total: total / TICK };
  } catch {
    return null;
  }
}

/**
 * @param serverPid the server under test, if any
 * @param postmasterPid the PostgreSQL server's postmaster, when it runs on this machine
 */
export function cpuSnapshot(serverPid: number | null, postmasterPid: number | null): CpuSnapshot {
  const usage = process.cpuUsage();
  const machine = machineSeconds();
  return {
    server: serverPid === null ? null : processSeconds(serverPid),
    postgres: postgresSeconds(postmasterPid),
    harness: (usage.user + usage.system) / 1e6,
    machineBusy: machine?.busy ?? null,
    machineTotal: machine?.total ?? null,
  };
}

export function cpuSince(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  const busy = delta(before.machineBusy, after.machineBusy);
  const total = delta(before.machineTotal, after.machineTotal);
  return {
    server: delta(before.server, after.server),
    postgres: delta(before.postgres, after.postgres),
    harness: after.harness - before.harness,
    machineBusyShare: busy !== null && total ? busy / total : null,
  };
}

/** CPU microseconds per unit of work (request or row), or null when unknown. */
export const perUnitMicros = (seconds: number | null, units: number) => (seconds === null || units === 0 ? null : (seconds * 1e6) / units);
