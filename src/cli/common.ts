/** Pieces every command shares: where the database is, how numbers print, how errors exit. */
import { availableParallelism } from 'node:os';
import { Option } from 'commander';
import { AuditlakeError } from '../errors.js';

export const dbOption = () =>
  new Option('--db <path>', 'DuckDB database file (default: $AUDITLAKE_DB, else ./auditlake.duckdb)');

/** `--db`, else $AUDITLAKE_DB, else the config file's `db`, else ./auditlake.duckdb. */
export function resolveDb(db: string | undefined, configured?: string): string {
  return db ?? process.env.AUDITLAKE_DB ?? configured ?? './auditlake.duckdb';
}

/** One decode worker per spare core; the main thread appends to DuckDB. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new AuditlakeError('bad_argument', `${name}: expected a whole number, got '${value}'`);
    return n;
  };
}

export const fmt = (n: number) => n.toLocaleString('en-US');

/** The UTC day of an instant, as YYYY-MM-DD. */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Time left, as a progress line shows it: 42s, 4m 12s, 1h 5m. */
export function formatEta(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
