/** Query results as table, CSV, JSON, NDJSON or Arrow IPC (Parquet is written by DuckDB itself). */
import { closeSync, existsSync, openSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Vector } from 'apache-arrow';
import { AuditlakeError, errorMessage } from '../errors.js';
import { printable, printableJson } from '../schema/printable.js';
import type { QueryResult } from '../store/duckdb.js';
import { blobText, shownAs } from './value-text.js';

export type TextFormat = 'table' | 'csv' | 'json' | 'ndjson';

/** A JSON-safe scalar: BIGINTs as numbers when exact, times as ISO-8601 strings. */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return blobText(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function cellText(v: unknown): string {
  const p = plain(v);
  if (p === null || p === undefined) return '';
  return typeof p === 'object' ? JSON.stringify(p) : String(p);
}

export function renderText(result: QueryResult, format: TextFormat, options: TextOptions = {}): string {
  return [...textPieces(result, format, options)].join('');
}

export interface TextOptions {
  /** Output goes to a terminal: CSV escapes what it would act on. */
  terminal?: boolean;
  /**
   * CSV is a download for a spreadsheet (the console's): a text cell that starts as a formula
   * would (`=`, `+`, `-`, `@`, a tab or CR) gets a leading `'`, so that logged text such as the
   * user name a failed sign-in tried (`=HYPERLINK(…)`) is shown, not run (OWASP's advice on CSV
   * injection).
   */
  spreadsheet?: boolean;
}

/** Rows per piece of output: large answers are written a piece at a time, never as one string. */
const PIECE_ROWS = 1000;

/**
 * The text of `renderText`, in pieces of up to PIECE_ROWS rows. A 100k-row answer is 30–50 MB of
 * text: built whole, then encoded whole for writing, it costs twice that in new memory.
 *
 * Logged values can hold escape sequences and bidi overrides (printable.ts), so nothing here
 * writes them raw where a person reads it: a table escapes them (`\u001b`) in every cell, JSON
 * and NDJSON write them as JSON escapes (the same values once parsed), and CSV escapes them only
 * for a terminal (`terminal`), since CSV has no escape of its own and a file keeps values exact.
 */
export function* textPieces(result: QueryResult, format: TextFormat, { terminal = false, spreadsheet = false }: TextOptions = {}): Generator<string> {
  const names = result.columns.map((c) => c.name);
  const keys = uniqueNames(names);
  const json = result.columns.map((c) => c.type === 'JSON');
  const shown = result.columns.map((c) => shownAs(c.type));
  // Copied only when a column's type is shown otherwise (value-text.ts): most answers have none.
  const rows = shown.some(Boolean)
    ? result.rows.map((r) => r.map((v, i) => (v === null || v === undefined || !shown[i] ? v : shown[i](v))))
    : result.rows;
  switch (format) {
    case 'json':
      yield* jsonPieces(rows, (r) => rowObject(keys, json, r));
      return;
    case 'ndjson':
      yield* inPieces(rows, (r) => `${printableJson(JSON.stringify(rowObject(keys, json, r)))}\n`);
      return;
    case 'csv': {
      const shownCell = terminal ? (v: unknown) => printable(cellText(v)) : cellText;
      const cell = spreadsheet ? (v: unknown) => (typeof v === 'string' && FORMULA_START.test(v) ? `'${shownCell(v)}` : shownCell(v)) : shownCell;
      yield csvLine(terminal ? names.map(printable) : names);
      yield* inPieces(rows, (r) => csvLine(r.map(cell)));
      return;
    }
    case 'table':
      yield* tablePieces(names, rows);
  }
}

/**
 * Column names as object keys: the first of a name keeps it, later ones get `_2`, `_3`, … (past
 * any name already taken). An object holds one value per key, so `SELECT *` over a join (two
 * `event_id`s) would otherwise silently lose all but the last.
 */
export function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set(names);
  const seen = new Set<string>();
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let n = 2;
    while (taken.has(`${name}_${n}`)) n++;
    const key = `${name}_${n}`;
    taken.add(key);
    return key;
  });
}

/** `--out FILE` can be written: checked before the query runs, and said in words rather than as ENOENT. */
export function checkOutPath(out: string): void {
  if (existsSync(out) && statSync(out).isDirectory()) throw new AuditlakeError('bad_argument', `--out ${out}: is a folder; expected a file path`);
  const dir = dirname(out);
  if (!existsSync(dir)) throw new AuditlakeError('bad_argument', `--out ${out}: no folder ${dir} (auditlake does not create it)`);
  if (!statSync(dir).isDirectory()) throw new AuditlakeError('bad_argument', `--out ${out}: ${dir} is not a folder`);
}

/**
 * A result in a text format, to the file `out` or else to stdout. For a terminal (no file, stdout
 * a TTY) CSV escapes what the terminal would act on, as `ls` shows `?` there; to a file or a
 * pipe it keeps values exact.
 */
export function writeText(result: QueryResult, format: TextFormat, out?: string): void {
  writeOut(textPieces(result, format, { terminal: out === undefined && process.stdout.isTTY === true }), out);
}

/** Output, a piece at a time, to the file `out` (`--out`) or else to stdout. */
export function writeOut(pieces: Iterable<string | Uint8Array>, out?: string): void {
  if (out === undefined) {
    for (const piece of pieces) process.stdout.write(piece);
    return;
  }
  checkOutPath(out);
  let fd: number;
  try {
    fd = openSync(out, 'w');
  } catch (err) {
    throw new AuditlakeError('bad_argument', `--out ${out}: cannot write it (${errorMessage(err)})`, { cause: err });
  }
  try {
    for (const piece of pieces) writeFileSync(fd, piece); // an fd: written whole, at the file's position
  } finally {
    closeSync(fd);
  }
}

/**
 * `JSON.stringify(rows.map(toObject), null, 2)` and a newline, a piece at a time: each element is
 * that call's text for it, indented one level deeper (JSON text holds no raw newline inside a
 * string, so every newline is layout).
 */
function* jsonPieces(rows: unknown[][], toObject: (row: unknown[]) => Record<string, unknown>): Generator<string> {
  if (rows.length === 0) {
    yield '[]\n';
    return;
  }
  yield '[\n';
  yield* inPieces(rows, (r, i) => `${i === 0 ? '' : ',\n'}  ${printableJson(JSON.stringify(toObject(r), null, 2)).replace(/\n/g, '\n  ')}`);
  yield '\n]\n';
}

function* inPieces<T>(items: readonly T[], line: (item: T, index: number) => string): Generator<string> {
  for (let start = 0; start < items.length; start += PIECE_ROWS) {
    let piece = '';
    for (let i = start; i < Math.min(start + PIECE_ROWS, items.length); i++) piece += line(items[i]!, i);
    yield piece;
  }
}

/** A row as an object; JSON columns (`details`, `evidence`) nest as JSON rather than as strings. */
function rowObject(names: string[], json: boolean[], row: unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  names.forEach((n, i) => {
    const v = row[i];
    o[n] = json[i] && typeof v === 'string' ? parseOr(v) : (plain(v) ?? null);
  });
  return o;
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** How a spreadsheet cell starts a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvLine(cells: string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const MAX_CELL = 60;
/** Whitespace a table cell shows as one space: a run of two or more, or any but a space. */
const FOLDED_SPACE = /[^\S ]| {2}/;

/** A value's text on one line, with nothing a terminal would act on. */
function oneLine(v: unknown): string {
  const text = cellText(v);
  return printable(FOLDED_SPACE.test(text) ? text.replace(/\s+/g, ' ') : text);
}

function* tablePieces(names: string[], rows: unknown[][]): Generator<string> {
  let clipped = false;
  /** A value as one table cell: on one line, at most MAX_CELL characters. */
  const tableCell = (v: unknown): string => {
    const one = oneLine(v);
    if (one.length <= MAX_CELL) return one;
    clipped = true;
    return `${one.slice(0, MAX_CELL - 1)}…`;
  };
  const cells = rows.map((r) => r.map(tableCell));
  const heads = names.map(printable);
  // A loop, not Math.max(...column): spreading ~150k values overflows the stack.
  const widths = heads.map((n) => n.length);
  for (const r of cells) {
    for (let i = 0; i < r.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  }
  const line = (r: string[]) => `${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  yield line(heads) + line(widths.map((w) => '-'.repeat(w)));
  yield* inPieces(cells, line);
  // Said, so that a cut blob path or summary is not taken for the value.
  const note = clipped ? `; values longer than ${MAX_CELL} characters are cut (…): --format json shows them whole` : '';
  yield `(${rows.length} row${rows.length === 1 ? '' : 's'}${note})\n`;
}

/** Arrow IPC stream: numbers stay numbers, times become epoch-ms timestamps, the rest text. */
export async function renderArrow(result: QueryResult): Promise<Uint8Array> {
  // Loaded only for this format: apache-arrow costs every other command ~0.2 s of start-up.
  const { Table, tableToIPC, vectorFromArray } = await import('apache-arrow');
  const columns: Record<string, Vector> = {};
  const keys = uniqueNames(result.columns.map((c) => c.name));
  result.columns.forEach((c, i) => {
    const values = result.rows.map((r) => r[i]);
    const numeric = values.every((v) => v === null || typeof v === 'number' || typeof v === 'bigint');
    const times = values.every((v) => v === null || v instanceof Date);
    columns[keys[i]!] = vectorFromArray((numeric
      ? values.map((v) => (v === null ? null : Number(v)))
      : times
        ? values.map((v) => (v === null ? null : (v as Date)))
        : values.map((v) => (v === null || v === undefined ? null : cellText(v)))) as unknown[]);
  });
  return tableToIPC(new Table(columns), 'stream');
}
