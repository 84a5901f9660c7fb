/**
 * Batches reach DuckDB as a delimited text file that DuckDB's own (parallel, native) CSV
 * reader loads: per-cell N-API calls (Appender/DataChunk) cost ~80 µs a record here with 28
 * columns and 1.5 KB raw texts, a text file ~2 µs to write and a few to read.
 *
 * The format needs no quoting: fields are separated by U+001F and rows by newlines, NULL is
 * U+001E, and every control character is replaced in text fields. `raw` is compact JSON, which
 * cannot hold a raw control character, so it goes through untouched.
 */
import { accessSync, constants, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { EVENT_COLUMNS, type EventRow } from '../schema/event.js';
import { withoutControlChars } from '../schema/row.js';
import { FACT_COLUMNS, factFromListSql, factListSql, settingsChangeSql } from '../schema/facts.js';
import { isAlive } from '../pid.js';

const FIELD = '\x1f';
const NULL = '\x1e';

/** tmpfs when there is one: stage files are written once, read once, never kept. */
function stageDir(): string {
  try {
    if (existsSync('/dev/shm')) { accessSync('/dev/shm', constants.W_OK); return '/dev/shm'; }
  } catch { /* fall through to the temp folder */ }
  return tmpdir();
}

/** Where every stage file goes (the query reader allows DuckDB this directory and no other). */
export const STAGE_DIR = stageDir();
const dir = STAGE_DIR;
let sequence = 0;

/** A fresh, unique stage file path for this process and thread. */
export function stagePath(kind: string): string {
  return join(dir, `auditlake-${process.pid}-${threadId}-${sequence++}.${kind}`);
}

/**
 * Removes stage files left by processes that died mid-batch (kill -9, OOM): on tmpfs they
 * would hold memory until reboot. Files of live processes are theirs to delete.
 */
export function removeOrphanStageFiles(): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const m = /^auditlake-(\d+)-\d+-\d+\.\w+$/.exec(name);
    if (!m || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed++;
  }
  return removed;
}


/** A written stage file: DuckDB reads it once, then it is deleted. */
export interface StageFile { path: string; rows: number; minTime: number; maxTime: number; longestLineBytes: number }

/** Every column but `ingested_at`, which the store stamps at commit; `raw` last. */
export const STAGE_COLUMNS = [
  ...EVENT_COLUMNS.filter(([name]) => name !== 'ingested_at' && name !== 'raw'),
  ...EVENT_COLUMNS.filter(([name]) => name === 'raw'),
];

/** Writes rows to `path` and returns their event-time range (epoch ms). */
export function writeStageFile(rows: readonly EventRow[], path: string): Omit<StageFile, 'path' | 'rows'> {
  const out = sink;
  out.reset();
  let minTime = Infinity;
  let maxTime = -Infinity;
  let longestLineBytes = 0;
  for (const row of rows) {
    const lineStart = out.size;
    if (row.time < minTime) minTime = row.time;
    if (row.time > maxTime) maxTime = row.time;
    // The short columns as one string, then raw: two encodes a row rather than one per column.
    let line = '';
    for (let i = 0; i < STAGE_COLUMNS.length; i++) {
      const [name, type] = STAGE_COLUMNS[i]!;
      if (name === 'raw') continue;
      const v = row[name];
      if (v === null || v === undefined) line += NULL;
      else if (type === 'JSON') line += compactJson(v as Record<string, unknown>);
      else if (typeof v !== 'string') line += String(v);
      else line += withoutControlChars(v); // rows from toEventRow have none; the format must never hold one
      line += FIELD;
    }
    out.text(line);
    out.text(row.raw);
    out.byte(NEWLINE);
    longestLineBytes = Math.max(longestLineBytes, out.size - lineStart);
  }
  writeFileSync(path, out.bytes());
  return { minTime, maxTime, longestLineBytes };
}

const NEWLINE = 0x0a;

/**
 * Encodes straight into one reused buffer: no per-row strings, no final join, no second
 * UTF-8 pass — this file is the largest allocation of a batch otherwise.
 */
class ByteSink {
  private buf = Buffer.allocUnsafe(8 << 20);
  private length = 0;
  reset(): void { this.length = 0; }
  get size(): number { return this.length; }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
  byte(b: number): void {
    if (this.length + 1 > this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
  }
  text(s: string): void {
    const worst = s.length * 3;
    if (this.length + worst > this.buf.length) this.grow(worst);
    this.length += this.buf.write(s, this.length);
  }
  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + need));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

const sink = new ByteSink();

/** A flat object as JSON without its null members (half of a typical `details`). JSON escapes control characters itself. */
function compactJson(obj: Record<string, unknown>): string {
  let s = '{';
  for (const k in obj) {
    const v = obj[k];
    if (v === null || v === undefined) continue;
    if (s.length > 1) s += ',';
    s += `${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  return `${s}}`;
}

const csvType = (t: string) => (t === 'TIMESTAMPTZ' || t === 'BIGINT' ? 'DOUBLE' : 'VARCHAR');

/**
 * `read_csv` of stage files, with fixed column types (no sniffing). Its buffers are sized to
 * the longest line actually written: DuckDB allocates (and the kernel zeroes) them per read.
 */
function readStageSql(files: readonly Pick<StageFile, 'path' | 'longestLineBytes'>[]): string {
  const longest = Math.max(2 << 20, ...files.map((f) => f.longestLineBytes + 1));
  const paths = files.map((f) => f.path);
  const columns = STAGE_COLUMNS.map(([n, t]) => `'${n}': '${csvType(t)}'`).join(', ');
  const list = paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ');
  return `read_csv([${list}], columns = {${columns}}, delim = '${FIELD}', quote = '', escape = '', `
    + `header = false, nullstr = '${NULL}', auto_detect = false, strict_mode = false, max_line_size = ${longest}, buffer_size = ${Math.max(8 << 20, 2 * longest)})`;
}

/**
 * The stage rows as the `events` columns, in table order: the row's columns converted to their
 * types, then the facts, from `details` in SQL (`stagedRowsSql` lists them once per row), as
 * migration 005 does for rows stored before, then `settings_change` from the facts (006).
 * Replaying 200,000 records against no fact columns: +35–45 % with the facts as 35 more
 * stage-file columns, +10–15 % this way (on 1M records it was +44 %: most of the cost is the
 * table's width, not the extraction).
 */
export function stageToEventsSelect(ingestedAtParam: string): string {
  const row = EVENT_COLUMNS.map(([name, type]) => {
    if (name === 'ingested_at') return `to_timestamp(${ingestedAtParam} / 1000.0)`;
    if (type === 'TIMESTAMPTZ') return `to_timestamp(s.${name} / 1000.0)`;
    if (type === 'BIGINT') return `CAST(s.${name} AS BIGINT)`;
    if (type === 'JSON') return `CAST(s.${name} AS JSON)`;
    return `s.${name}`;
  });
  const facts = FACT_COLUMNS.map((_, i) => factFromListSql('s.facts', i));
  const fact = (name: string) => facts[FACT_COLUMNS.findIndex(([n]) => n === name)]!;
  return [...row, ...facts, settingsChangeSql(fact)].join(', ');
}

/** The stage files' rows with their facts as one list, `facts` (see stageToEventsSelect). */
export function stagedRowsSql(files: readonly Pick<StageFile, 'path' | 'longestLineBytes'>[]): string {
  return `(SELECT *, ${factListSql('details')} AS facts FROM ${readStageSql(files)})`;
}
