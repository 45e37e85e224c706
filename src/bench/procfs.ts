/**
 * Memory and CPU of other processes, from Linux's /proc: the worker's resident set, and the CPU
 * time PostgreSQL, the emulator, Temporal and the worker each used during a run. Everything here
 * degrades to "unknown" (undefined) where /proc or a process is not there.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** `VmRSS` / `VmHWM` (peak RSS) of a process, in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    const rss = kb('VmRSS');
    const hwm = kb('VmHWM');
    return Number.isNaN(rss) || Number.isNaN(hwm) ? undefined : { rss, hwm };
  } catch {
    return undefined;
  }
}

/** Direct children of a process, whichever of its threads started them. */
export function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime: children that exited and were waited for, seconds. */
  children: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = clockTicks();
    const n = (index: number) => Number(fields[index - 3]);
    return { pid, ppid: n(4), own: (n(14) + n(15)) / ticks, children: (n(16) + n(17)) / ticks };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Processes whose command line contains every one of `parts`. */
export function findProcesses(parts: string[]): number[] {
  return allPids().filter((pid) => pid !== process.pid && parts.every((part) => cmdline(pid).includes(part)));
}

/**
 * CPU seconds used so far by each root process and all its descendants, from one scan of /proc:
 * live processes plus those that ended and were reaped (PostgreSQL's backends end with their
 * connection and are reaped by the postmaster, so their time shows up in its `cutime`).
 */
export function treeCpuSeconds(roots: readonly number[]): Map<number, number> {
  const stats = allPids().flatMap((pid) => readStat(pid) ?? []);
  const byParent = new Map<number, ProcStat[]>();
  for (const stat of stats) byParent.set(stat.ppid, [...(byParent.get(stat.ppid) ?? []), stat]);
  const totals = new Map<number, number>();
  for (const root of roots) {
    const rootStat = stats.find((s) => s.pid === root);
    if (!rootStat) continue;
    let total = rootStat.children;
    const pending = [rootStat];
    while (pending.length > 0) {
      const stat = pending.pop()!;
      total += stat.own;
      pending.push(...(byParent.get(stat.pid) ?? []));
    }
    totals.set(root, total);
  }
  return totals;
}

/** A process's command name (`/proc/<pid>/comm`), or undefined. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The parent of a process (to find PostgreSQL's postmaster from a backend's pid). */
export function parentOf(pid: number): number | undefined {
  return readStat(pid)?.ppid;
}

/**
 * CPU seconds of a process's threads so far: its main thread (`main`: JavaScript, stream plumbing)
 * and the others summed by name. Node 20 leaves its threads unnamed, so libuv's pool (zlib,
 * file I/O), the workflow thread, V8's helpers and Temporal core's threads all count as `node`.
 */
export function threadCpuSeconds(pid: number): Record<string, number> {
  const totals: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return totals;
  }
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name =
        tid === String(pid) ? 'main' : `${text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'))} (other threads)`;
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      totals[name] = (totals[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / clockTicks();
    } catch {
      // the thread ended meanwhile
    }
  }
  return totals;
}

/** CPU seconds the whole machine has spent busy (all cores; /proc/stat minus idle and iowait). */
export function machineCpuSeconds(): number | undefined {
  try {
    const [line = ''] = readFileSync('/proc/stat', 'utf8').split('\n');
    // A missing field makes the sum NaN, as a malformed /proc/stat should.
    const [user = NaN, nice = NaN, system = NaN, , , irq = NaN, softirq = NaN, steal = 0] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return (user + nice + system + irq + softirq + steal) / clockTicks();
  } catch {
    return undefined;
  }
}

interface CpuSample {
  /** ms since the epoch */
  at: number;
  seconds: Record<string, number>;
}

/**
 * Samples the CPU time of named process trees (and of the whole machine, as `machine`) every
 * `intervalMs` while running, so the CPU used in any window of the run (the extract phase, the
 * load) can be read afterwards.
 */
export class CpuSampler {
  private samples: CpuSample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly roots: Record<string, number | undefined>,
    private readonly intervalMs = 200,
  ) {}

  private sample(): void {
    const pids = Object.values(this.roots).filter((pid): pid is number => pid !== undefined);
    const totals = treeCpuSeconds(pids);
    const seconds: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.roots)) {
      const value = pid === undefined ? undefined : totals.get(pid);
      if (value !== undefined) seconds[name] = value;
    }
    const machine = machineCpuSeconds();
    if (machine !== undefined) seconds.machine = machine;
    this.samples.push({ at: Date.now(), seconds });
  }

  start(): void {
    this.samples = [];
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** CPU seconds each tree used between two times (ms since the epoch), interpolated between samples. */
  between(from: number, to: number): Record<string, number> {
    const used: Record<string, number> = {};
    const names = new Set(this.samples.flatMap((s) => Object.keys(s.seconds)));
    for (const name of names) {
      const a = this.at(name, from);
      const b = this.at(name, to);
      if (a !== undefined && b !== undefined) used[name] = Math.round((b - a) * 100) / 100;
    }
    return used;
  }

  /** The whole sampled span. */
  total(): Record<string, number> {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last) return {};
    return this.between(first.at, last.at);
  }

  private at(name: string, time: number): number | undefined {
    const points = this.samples.flatMap((s) => {
      const value = s.seconds[name];
      return value === undefined ? [] : [{ at: s.at, value }];
    });
    let [prev] = points;
    if (!prev) return undefined;
    if (time <= prev.at) return prev.value;
    for (const next of points.slice(1)) {
      if (time <= next.at) {
        const fraction = next.at === prev.at ? 1 : (time - prev.at) / (next.at - prev.at);
        return prev.value + fraction * (next.value - prev.value);
      }
      prev = next;
    }
    return prev.value;
  }
}
