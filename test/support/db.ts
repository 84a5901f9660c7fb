/** A DuckDB file loaded from the fixtures through the real `auditlake replay`, and saved queries run against it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliAsync, runCliOk } from './cli.js';

export const FIXTURE_DIRS = ['fixtures/keyvault', 'fixtures/storage', 'fixtures/activity', 'fixtures/entra', 'fixtures/signin', 'fixtures/aml'];

export interface ReplaySummary {
  files: number;
  read: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  alerts: ReplayedAlert[];
}

/** An alert as `replay --json` lists it. */
export interface ReplayedAlert {
  alert_id: string;
  detector_id: string;
  severity: string;
  principal_id: string | null;
  principal_name: string | null;
  caller_ip: string | null;
  resource_id: string | null;
  event_count: number;
  title: string;
}

export function tempDir(prefix = 'auditlake-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function replayArgs(db: string, paths: string[], detect: boolean): string[] {
  return ['replay', '--json', '--quiet', ...(detect ? [] : ['--no-detect']), '--db', db, ...paths];
}

/** `auditlake replay --json [--no-detect] --db <path> PATHS...`, returning its summary. */
export function replay(db: string, paths: string[], { detect = false } = {}): ReplaySummary {
  return JSON.parse(runCliOk(replayArgs(db, paths, detect), { timeoutMs: 150_000 }).stdout) as ReplaySummary;
}

/** replay in a child process that does not block, so two loads can run at once. */
export async function replayAsync(db: string, paths: string[], { detect = false } = {}): Promise<ReplaySummary> {
  const args = replayArgs(db, paths, detect);
  const r = await runCliAsync(args, { timeoutMs: 150_000 });
  if (r.code !== 0) throw new Error(`auditlake ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as ReplaySummary;
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export type Row = Record<string, unknown>;

function queryArgs(db: string, nameOrSql: string, params: Record<string, string>): string[] {
  const args = ['query', '--db', db, nameOrSql, '--format', 'json'];
  for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
  return args;
}

/** Runs a saved query (or SQL) with `--format json` and returns its rows. */
export function queryJson(db: string, nameOrSql: string, params: Record<string, string> = {}): Row[] {
  return JSON.parse(runCliOk(queryArgs(db, nameOrSql, params)).stdout) as Row[];
}

/** queryJson in a child process that does not block, so several can run at once. */
export async function queryJsonAsync(db: string, nameOrSql: string, params: Record<string, string> = {}): Promise<Row[]> {
  const args = queryArgs(db, nameOrSql, params);
  const r = await runCliAsync(args);
  if (r.code !== 0) throw new Error(`auditlake ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as Row[];
}
