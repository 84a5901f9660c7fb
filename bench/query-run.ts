/**
 * One timed run of bench/query, in a process of its own, as each `auditlake query` is: its JS
 * heap and compiled code start cold. The run comes as JSON in argv[2]; its timing goes to stdout
 * as one JSON line. Loading Node, auditlake's modules and DuckDB's library comes before the clock
 * starts: together ~0.4 s, the same for every invocation whatever it asks.
 */
import { openOrFindServer, queryServer } from '../src/server/client.js';
import { Store } from '../src/store/duckdb.js';

export interface QueryRun {
  /** db: `query --db` with no server holding the file; parquet: `query --parquet`; server: through `serve`. */
  mode: 'db' | 'parquet' | 'server';
  /** The database file, the export folder, or the server's URL. */
  target: string;
  tokenFile?: string;
  sql: string;
  params: Record<string, string>;
  maxRows?: number;
}

export interface RunTiming { openMs: number; queryMs: number; totalMs: number; rows: number; cpuS: number }

const run = JSON.parse(process.argv[2]!) as QueryRun;
if (run.mode !== 'server') await import('@duckdb/node-api');

const started = performance.now();
let opened = started;
let rows: number;
if (run.mode === 'server') {
  const result = await queryServer({ url: run.target, tokenFile: run.tokenFile! }, run.sql, run.params, { maxRows: run.maxRows });
  if (result.truncated) throw new Error(`the server cut the result at ${run.maxRows} rows`);
  rows = result.rows.length;
} else {
  const store = run.mode === 'parquet' ? await Store.overParquet(run.target) : await openLocal(run.target);
  opened = performance.now();
  try {
    rows = (await store.query(run.sql, run.params)).rows.length;
  } finally {
    store.close();
  }
}
const done = performance.now();
const cpu = process.cpuUsage();
const timing: RunTiming = { openMs: opened - started, queryMs: done - opened, totalMs: done - started, rows, cpuS: (cpu.user + cpu.system) / 1e6 };
process.stdout.write(`${JSON.stringify(timing)}\n`);

/** `auditlake query --db` opens the file read-only when no `auditlake run` holds it. */
async function openLocal(path: string): Promise<Store> {
  const found = await openOrFindServer(path, {});
  if (!('store' in found)) throw new Error(`${path} is held by a running auditlake: stop it before benchmarking`);
  return found.store;
}
