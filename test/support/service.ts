/**
 * `auditlake run` as a child process for tests: its JSON log lines collected (and kept for the
 * secret-grep test), waits on them, SIGTERM or SIGKILL, and a config file written for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { repoRoot } from './cli.js';
import { queryJson, queryJsonAsync, replay, replayAsync } from './db.js';

export interface LogLine { level: string; msg: string; [field: string]: unknown }

export interface RunningService {
  child: ChildProcess;
  /** Every stdout and stderr byte so far, as text. */
  output(): string;
  logs(): LogLine[];
  /** Resolves with the first log line matching, or rejects after timeoutMs (with the output so far). */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sum of a numeric field over the 'Batch committed.' lines. */
  committed(field: 'records' | 'stored' | 'duplicates' | 'rejected' | 'alerts'): number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `prefix`: a command to run node under (`['prlimit', '--fsize=N']`), node's path appended to it. */
export function startRun(configFile: string, extraArgs: string[] = [], env: Record<string, string> = {}, prefix: string[] = []): RunningService {
  const args = [resolve(repoRoot, 'bin/auditlake.js'), 'run', '--config', configFile, ...extraArgs];
  const child = spawn(prefix[0] ?? process.execPath, prefix.length > 0 ? [...prefix.slice(1), process.execPath, ...args] : args, {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: Array<() => void> = [];
  const onData = (b: Buffer) => {
    text += b.toString('utf8');
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w();
      res({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => { done = true; });
  const logs = (): LogLine[] => text.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try { return [JSON.parse(l) as LogLine]; } catch { return []; }
  });
  return {
    child,
    output: () => text,
    logs,
    committed: (field) => logs().filter((l) => l.msg === 'Batch committed.').reduce((n, l) => n + Number(l[field] ?? 0), 0),
    exited,
    waitForLog: async (match, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = logs().find(match);
        if (hit) return hit;
        if (done) throw new Error(`auditlake run exited before the awaited log line:\n${text.slice(-4000)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for a log line:\n${text.slice(-4000)}`);
        await new Promise<void>((res) => {
          const t = setTimeout(res, Math.min(left, 500));
          waiters.push(() => { clearTimeout(t); res(); });
        });
      }
    },
    stop: async (signal = 'SIGTERM') => {
      if (!done) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` until it returns true (or throws its last failure after timeoutMs). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function writeConfig(dir: string, config: object, name = 'auditlake.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(config));
  return file;
}

/** The scenario days' records (~4,700, every family): the test streams' content. */
export const SCENARIO_DAYS = Array.from({ length: 8 }, (_, i) => `fixtures/scenarios/days/day-${i + 1}.ndjson`);

/** Records of NDJSON files of bodies or records, up to `limit`; beyond the files' own, copies with a distinct correlationId. */
export function recordsFrom(files: string[], limit: number): object[] {
  const records: object[] = [];
  for (const file of files) {
    for (const line of readFileSync(resolve(repoRoot, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const parsed = JSON.parse(line) as { records?: object[] };
      records.push(...(parsed.records ?? [parsed]));
    }
  }
  const originals = records.length;
  for (let copy = 1; records.length < limit; copy++) {
    for (let i = 0; i < originals && records.length < limit; i++) {
      const r = records[i] as { correlationId?: string };
      records.push({ ...r, correlationId: `${r.correlationId ?? 'none'}-copy-${copy}` });
    }
  }
  return records.slice(0, limit);
}

/** `{"records":[...]}` bodies of `perBody` records each. */
export function toBodies(records: object[], perBody: number): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < records.length; i += perBody) bodies.push(JSON.stringify({ records: records.slice(i, i + perBody) }));
  return bodies;
}

/** The event ids stored in a database, sorted. */
export function storedIds(db: string): string[] {
  return queryJson(db, 'SELECT event_id FROM events ORDER BY event_id').map((r) => String(r.event_id));
}

/** storedIds in a child process that does not block, so it can overlap other work. */
export async function storedIdsAsync(db: string): Promise<string[]> {
  return (await queryJsonAsync(db, 'SELECT event_id FROM events ORDER BY event_id')).map((r) => String(r.event_id));
}

function expectedBodies(dir: string, name: string, bodies: string[]): string {
  const where = join(dir, `${name}-expected`);
  mkdirSync(where, { recursive: true });
  writeFileSync(join(where, 'bodies.ndjson'), `${bodies.join('\n')}\n`);
  return where;
}

/** The event ids `replay` stores from the same bodies (in `dir/name`): what a consumer must store, exactly. */
export function replayedIds(dir: string, name: string, bodies: string[]): string[] {
  const where = expectedBodies(dir, name, bodies);
  replay(join(where, 'expected.duckdb'), [join(where, 'bodies.ndjson')]);
  return storedIds(join(where, 'expected.duckdb'));
}

/**
 * replayedIds without blocking: start it when the bodies are known and await it after the
 * consumer stopped, so the replay runs while the test waits on the consumer. A failure
 * surfaces where the promise is awaited (not as an unhandled rejection before that).
 */
export function replayedIdsAsync(dir: string, name: string, bodies: string[]): Promise<string[]> {
  const where = expectedBodies(dir, name, bodies);
  const ids = replayAsync(join(where, 'expected.duckdb'), [join(where, 'bodies.ndjson')]).then(() => storedIdsAsync(join(where, 'expected.duckdb')));
  ids.catch(() => undefined);
  return ids;
}

/** A loopback port nothing listens on (yet): for a peer that starts late, or never. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
