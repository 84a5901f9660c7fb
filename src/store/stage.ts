/**
 * Batches reach DuckDB as a delimited text file that DuckDB's own (parallel, native) CSV
 * reader loads: per-cell N-API calls (Appender/DataChunk) cost ~80 µs a record here with 28
 * columns and 1.5 KB raw texts, a text file ~2 µs to write and a few to read.
 *
 * The format needs no quoting: fields are separated by U+001F and rows by newlines, NULL is
 * U+001E, and every control character is replaced in text fields. `raw` is compact JSON, which
 * cannot hold a raw control character, so it goes through untouched.
 */
import { writeFileSync } from 'node:fs';
import { EVENT_COLUMNS, type EventRow } from '../schema/event.js';

const FIELD = '\x1f';
const NULL = '\x1e';
const CONTROL = /[\x00-\x1f]/;
const CONTROLS = /[\x00-\x1f]/g;

/** Every column but `ingested_at`, which the store stamps at commit. */
export const STAGE_COLUMNS = EVENT_COLUMNS.filter(([name]) => name !== 'ingested_at');

/** Writes rows to `path` and returns their event-time range (epoch ms). */
export function writeStageFile(rows: readonly EventRow[], path: string): { minTime: number; maxTime: number } {
  const parts: string[] = [];
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const row of rows) {
    if (row.time < minTime) minTime = row.time;
    if (row.time > maxTime) maxTime = row.time;
    let line = '';
    for (let i = 0; i < STAGE_COLUMNS.length; i++) {
      const [name, type] = STAGE_COLUMNS[i]!;
      if (i > 0) line += FIELD;
      const v = row[name];
      if (v === null || v === undefined) line += NULL;
      else if (type === 'JSON') line += clean(JSON.stringify(v));
      else if (typeof v !== 'string') line += String(v);
      else if (name === 'raw') line += v;
      else line += clean(v);
    }
    parts.push(line);
  }
  parts.push('');
  writeFileSync(path, parts.join('\n'));
  return { minTime, maxTime };
}

function clean(s: string): string {
  return CONTROL.test(s) ? s.replace(CONTROLS, ' ') : s;
}

/** A stage row holds one record (≤ --max-record-bytes, itself capped below this) plus its columns. */
export const MAX_LINE_BYTES = 32 << 20;

const csvType = (t: string) => (t === 'TIMESTAMPTZ' || t === 'BIGINT' ? 'DOUBLE' : 'VARCHAR');

/** `read_csv` of a stage file, with fixed column types (no sniffing). */
export function readStageSql(path: string): string {
  const columns = STAGE_COLUMNS.map(([n, t]) => `'${n}': '${csvType(t)}'`).join(', ');
  return `read_csv('${path.replace(/'/g, "''")}', columns = {${columns}}, delim = '${FIELD}', quote = '', escape = '', `
    + `header = false, nullstr = '${NULL}', auto_detect = false, strict_mode = false, max_line_size = ${MAX_LINE_BYTES}, buffer_size = ${2 * MAX_LINE_BYTES})`;
}

/** The stage row's columns converted to the `events` types, in table order. */
export function stageToEventsSelect(ingestedAtParam: string): string {
  return EVENT_COLUMNS.map(([name, type]) => {
    if (name === 'ingested_at') return `to_timestamp(${ingestedAtParam} / 1000.0)`;
    if (type === 'TIMESTAMPTZ') return `to_timestamp(s.${name} / 1000.0)`;
    if (type === 'BIGINT') return `CAST(s.${name} AS BIGINT)`;
    if (type === 'JSON') return `CAST(s.${name} AS JSON)`;
    return `s.${name}`;
  }).join(', ');
}
