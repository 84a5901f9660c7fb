/**
 * bench/cold: what a fresh process pays to read a column, against what a running one pays.
 * A query that opens the database (as `auditlake query --db` does) loads every block it reads
 * into new memory, and the first touch of new memory costs this machine far more than reading
 * the file from the page cache. Measured here, in the same run:
 *   - touching 256 MB of fresh memory, a page at a time (the kernel's first-touch cost);
 *   - reading 256 MB of the database file into one reused buffer (the page cache's cost);
 *   - one full scan of a wide column (`event_id`, unique 32-character ids) in a fresh DuckDB,
 *     then the same scan again in that DuckDB (its blocks cached), each 3 times in new processes.
 *
 *   npm run bench:cold -- [events=10000000]
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { buildBenchDatabase } from './database.js';
import { fmtInt, mb, touchFreshMemoryMs } from './measure.js';
import { writeResults } from './results.js';

const events = Number(process.argv[2] ?? 10_000_000);
const TOUCH_BYTES = 256 << 20;
const SCAN = 'SELECT max(event_id) FROM events';

if (process.argv[2] === '--scan') {
  // Child mode: one fresh DuckDB, the scan twice; prints both times as JSON.
  const { Store } = await import('../src/store/duckdb.js');
  const store = await Store.open(process.argv[3]!, { readOnly: true });
  const timed = async () => { const t = performance.now(); await store.query(SCAN); return performance.now() - t; };
  const first = await timed();
  const again = await timed();
  store.close();
  process.stdout.write(JSON.stringify({ first, again }));
  process.exit(0);
}

const db = await buildBenchDatabase(events);
const touchMs = [0, 1, 2].map(() => touchFreshMemoryMs(TOUCH_BYTES));
const readMs = [0, 1, 2].map(() => readFile(db.path, TOUCH_BYTES));
const scans = [0, 1, 2].map(() => JSON.parse(execFileSync(process.execPath, [process.argv[1]!, '--scan', db.path], { encoding: 'utf8' })) as { first: number; again: number });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const touch = median(touchMs);
const read = median(readMs);
const first = median(scans.map((s) => s.first));
const again = median(scans.map((s) => s.again));
writeResults('cold', [
  `Database: ${fmtInt(db.events)} events (bench/database.ts), ${mb(db.bytes).toFixed(0)} MB. Medians of 3; each scan in a new process.`,
  '',
  '| what | ms | per MB |',
  '| --- | ---: | ---: |',
  `| touch ${mb(TOUCH_BYTES).toFixed(0)} MB of fresh memory, a byte per 4 KB page | ${touch.toFixed(0)} | ${(touch / mb(TOUCH_BYTES)).toFixed(2)} ms |`,
  `| read ${mb(TOUCH_BYTES).toFixed(0)} MB of the database file (page cache) into one reused 256 KB buffer | ${read.toFixed(0)} | ${(read / mb(TOUCH_BYTES)).toFixed(2)} ms |`,
  `| \`${SCAN}\`, first in a fresh DuckDB | ${first.toFixed(0)} | |`,
  `| the same scan again in that DuckDB (blocks cached) | ${again.toFixed(0)} | |`,
  '',
  `First touch of memory costs ${(touch / read).toFixed(0)}× reading the same bytes from the page cache, and the cold scan ${(first / again).toFixed(1)}× the cached one: `
    + 'a process that opens the file per query pays the first cost for every block it reads, a running server (`auditlake serve`, or `run`) once.',
]);

/** Reads the file's first `bytes` a block at a time into one buffer (already faulted in). */
function readFile(path: string, bytes: number): number {
  const block = Buffer.alloc(256 << 10);
  const fd = openSync(path, 'r');
  const t = performance.now();
  for (let off = 0; off < bytes; off += block.length) readSync(fd, block, 0, block.length, off);
  const ms = performance.now() - t;
  closeSync(fd);
  return ms;
}
