/** Pieces every command shares: where the database is, how numbers print, how errors exit. */
import { availableParallelism } from 'node:os';
import { Option } from 'commander';
import { AuditlakeError } from '../errors.js';

/** `withConfig` for commands that take --config, whose `db` comes between the two defaults. */
export const dbOption = ({ withConfig = false } = {}) =>
  new Option('--db <path>', withConfig
    ? 'DuckDB database file (default: $AUDITLAKE_DB, else the --config file\'s db, else ./auditlake.duckdb)'
    : 'DuckDB database file (default: $AUDITLAKE_DB, else ./auditlake.duckdb)');

/**
 * `--db`, else $AUDITLAKE_DB, else the config file's `db`, else ./auditlake.duckdb.
 * DuckDB reads '' and ':memory:' as "an in-memory database": a replay into one reports rows
 * stored and then keeps nothing, so neither is ever accepted as a place to keep data. An empty
 * variable is how shells unset one (`AUDITLAKE_DB= auditlake …`), so it counts as unset.
 */
export function resolveDb(db: string | undefined, configured?: string): string {
  if (db !== undefined) return checkDbPath('--db', db);
  const env = process.env.AUDITLAKE_DB;
  if (env !== undefined && env.trim() !== '') return checkDbPath('$AUDITLAKE_DB', env);
  return configured ?? './auditlake.duckdb';
}

function checkDbPath(where: string, path: string): string {
  if (path.trim() === '' || path.trim().toLowerCase().startsWith(':memory:')) {
    throw new AuditlakeError('bad_argument', `${where} '${path}': expected a database file path (DuckDB would keep an empty path or :memory: in memory only, and store nothing)`);
  }
  return path;
}

/** One decode worker per spare core; the main thread appends to DuckDB. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * A whole-number flag within [min, max] (the same bounds the config schema sets for the same
 * setting). Digits only: Number() would take '' as 0, '0x2' as 2 and '1e3' as 1000.
 */
export function positiveInt(name: string, { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}) {
  return (value: string): number => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${fmt(min)} to ${fmt(max)}`;
      throw new AuditlakeError('bad_argument', `${name} '${value}': expected a whole number, ${range}`);
    }
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
