/** Shared by the benchmarks: run a command and watch its peak memory; describe the machine. */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Run { code: number; stdout: string; stderr: string; wallMs: number; peakRssBytes: number; /** user + system, as last sampled */ cpuS: number }

/** Runs a child to completion, sampling its peak RSS (VmHWM is a high-water mark, so sampling loses nothing but the last ~50 ms). */
export function runMeasured(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let cpuS = 0;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
        cpuS = processCpu(child.pid!) ?? cpuS;
      } catch { /* exited */ }
    };
    const timer = setInterval(sample, 50);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, stdout, stderr, wallMs: performance.now() - started, peakRssBytes: peak, cpuS });
    });
  });
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

export const mb = (bytes: number) => bytes / 2 ** 20;
export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

/** A process's resident memory now and its high-water mark, from /proc (undefined once it has exited). */
export function memoryOf(pid: number): { rssBytes: number; hwmBytes: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds (user + system) each thread of a process has used so far, by thread id, with the thread's name. */
export function threadCpu(pid: number): Array<{ tid: number; name: string; cpuS: number }> {
  const out: Array<{ tid: number; name: string; cpuS: number }> = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // pid (comm) state ... : comm may hold spaces, so split after the last ')'.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ tid: Number(tid), name, cpuS: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S });
    } catch { /* the thread ended */ }
  }
  return out;
}

/**
 * What each thread of a live process is, from its outermost stack frames (gdb attaches for a
 * second or two; an empty map when gdb is missing or cannot attach): main thread, JS worker
 * thread, libuv pool (where @duckdb/node-api runs queries, and async fs), DuckDB's own
 * threads, V8 platform (GC, compiler), inspector.
 */
export function threadRoles(pid: number): Map<number, string> {
  const roles = new Map<number, string>();
  const gdb = spawnSync('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt -8'], { encoding: 'utf8', timeout: 60_000 });
  if (gdb.status !== 0 && !gdb.stdout) return roles;
  for (const block of gdb.stdout.split(/\n(?=Thread \d+ )/)) {
    const tid = Number(/\(LWP (\d+)\)/.exec(block)?.[1]);
    if (!tid) continue;
    const role = tid === pid ? 'main thread'
      : /node::worker::Worker::Run/.test(block) ? 'JS worker thread'
      : /threadpool\.c|uv__worker|\bworker \(arg=/.test(block) ? 'libuv pool'
      : /duckdb/i.test(block) ? 'DuckDB thread'
      : /PlatformWorkerThread|DelayedTaskScheduler/.test(block) ? 'V8 platform (GC, compiler)'
      : /inspector/i.test(block) ? 'inspector'
      : 'other';
    roles.set(tid, role);
  }
  return roles;
}

/** CPU seconds (user + system) a process has used so far; undefined once it has exited. */
export function processCpu(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** CPU seconds the whole machine has been busy (every core, any process), from /proc/stat: deltas show what else ran beside a benchmark. */
export function machineBusyS(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_S;
}

/**
 * Milliseconds to touch `bytes` of new memory, one byte per 4 KB page (each write faults a page
 * in): what a fresh process pays per MB it fills, the main cost of a cold query on this VM.
 */
export function touchFreshMemoryMs(bytes: number): number {
  const t = performance.now();
  const buf = Buffer.allocUnsafeSlow(bytes);
  for (let i = 0; i < bytes; i += 4096) buf[i] = 1;
  return performance.now() - t;
}
