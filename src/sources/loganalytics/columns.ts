/**
 * Reading Log Analytics cells. A query answer is `tables[].columns[{name,type}]` and `rows`
 * (arrays in column order); the SDK turns `datetime` cells into Dates and JSON-parses
 * `dynamic` ones, but several columns typed `string` hold JSON too (SigninLogs'
 * AuthenticationDetails, the non-interactive tables' Status, LocationDetails, ...).
 */
import { AuditlakeError } from '../../errors.js';
import { parseTime } from '../../schema/fields.js';
import { isKeptNumber, parseJson, recordText } from './numbers.js';

export type Row = Record<string, unknown>;

/** A cell the mapper cannot use: becomes a `rejects` row naming the table and column. */
export class CellError extends AuditlakeError {
  constructor(readonly column: string, message: string) {
    super('bad_input', `column ${column}: ${message}`);
  }
}

/**
 * `o[key] = value` as an own property whatever the key: assigning `__proto__` would set the
 * object's prototype instead (a column or JSON key of that name lost, and its keys read as if
 * they were the object's own).
 */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  else o[key] = value;
}

/** A column's name as a row object keys it (`column<i>` for one the answer leaves unnamed). */
export const columnName = (c: { name?: string }, i: number) => c.name ?? `column${i}`;

/**
 * What makes every row of an answer unreadable, whatever its cells: a column named twice, or no
 * `TimeGenerated` column. Checked once per answer, so each of its rows is refused for that (not
 * for whichever cell its mapper happened to read first).
 *
 * A column named twice (Log Analytics itself renames a repeat, `Id1`) cannot become one row
 * object without one cell overwriting the other, and which of them is the event's is a guess:
 * so its rows are refused, both cells kept in `rejects.raw` (see rowText), rather than the last
 * one silently winning.
 */
export function answerProblem(columns: readonly { name?: string }[]): CellError | null {
  const names = columns.map(columnName);
  const first = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const at = first.get(names[i]!);
    if (at === undefined) {
      first.set(names[i]!, i);
      continue;
    }
    const all = names.flatMap((n, k) => (n === names[i] ? [k + 1] : []));
    return new CellError(names[i]!, `named ${all.length === 2 ? 'twice' : `${all.length} times`} in the answer (columns ${all.join(' and ')}); no cell of it is chosen over the other`);
  }
  if (!names.includes('TimeGenerated')) return new CellError('TimeGenerated', `missing, no column of that name; ${namedAlike(names, 'TimeGenerated')}`);
  return null;
}

/** `columns` + one row → `{column: value}`. */
export function rowObject(columns: readonly { name?: string }[], cells: readonly unknown[]): Row {
  const row: Row = {};
  for (let i = 0; i < columns.length; i++) setOwn(row, columnName(columns[i]!, i), cells[i]);
  return row;
}

/**
 * A row with more cells than the answer has columns: the ones past the last column have no name
 * to be read by, and rowObject leaves them out. Refused (the row, not the answer), rather than
 * stored without them.
 */
export function surplusCells(columns: readonly unknown[], cells: readonly unknown[]): CellError | null {
  if (cells.length <= columns.length) return null;
  return new CellError(`#${columns.length + 1}`, `a cell past the answer's ${columns.length} columns (the row has ${cells.length}); refused rather than dropped`);
}

/**
 * A refused row as text for `rejects.raw`: `{column: cell}`, or, where the answer names a column
 * twice (an object would keep one of its cells) or the row has cells past the last column,
 * `[[column, cell], ...]` in column order (`null` for a cell with no column).
 */
export function rowText(columns: readonly { name?: string }[], cells: readonly unknown[], row: Row): string {
  const names = columns.map(columnName);
  if (new Set(names).size === names.length && cells.length <= names.length) return recordText(row);
  const pairs = names.map((n, i) => [n, cells[i]]);
  for (let i = names.length; i < cells.length; i++) pairs.push([null, cells[i]]);
  return recordText(pairs);
}

/**
 * The event time as ISO-8601 (ms), from a Date (the SDK's) or a string. Required. Text is read
 * as the Event Hubs path reads a record's `time` (parseTime: ISO-8601, no zone meaning UTC),
 * not by `new Date()`, which rolls `2025-02-30` into March, reads `x 1` as 2001 and a time
 * without a zone in the machine's own.
 */
export function timeOf(row: Row, column = 'TimeGenerated'): string {
  if (!Object.hasOwn(row, column)) throw new CellError(column, `missing, no column of that name; ${namedAlike(Object.keys(row), column)}`);
  const v = row[column];
  const ms = typeof v === 'string' ? parseTime(v) : null;
  const d = v instanceof Date ? v : ms !== null ? new Date(ms) : null;
  if (d === null || Number.isNaN(d.getTime())) {
    throw new CellError(column, v === undefined || v === null || v === '' ? 'missing; every row needs its time' : `expected a datetime, got ${JSON.stringify(v).slice(0, 60)}`);
  }
  return d.toISOString();
}

/**
 * What a row without the column has instead. Names in KQL are case-sensitive, and the query itself
 * filters on `TimeGenerated`, so an answer whose time column is spelled otherwise (`timegenerated`,
 * `TIMEGENERATED`, a trailing space) is not what was asked for: its rows are refused, saying what
 * was found, rather than stored under a guessed time.
 */
function namedAlike(names: readonly string[], column: string): string {
  const want = column.toLowerCase();
  const alike = names.filter((k) => k.trim().toLowerCase() === want);
  return alike.length > 0
    ? `found ${alike.slice(0, 3).map((k) => JSON.stringify(k)).join(', ')} (column names are case-sensitive; a column named otherwise is not read as the time)`
    : 'every row needs its time';
}

/** A cell that may hold JSON as text (or already parsed): the value, null when empty. */
export function jsonCell(row: Row, column: string): unknown {
  const v = row[column];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return v; // plain text, e.g. Identity = 'Bob Builder'
  try {
    return parseJson(t);
  } catch (err) {
    throw new CellError(column, `expected JSON, got text that does not parse (${(err as Error).message})`);
  }
}

/**
 * A Date cell as ISO-8601. The SDK turns every `datetime` cell into `new Date(text)`, and text
 * it cannot read becomes an Invalid Date, whose toISOString() throws (a RangeError failed the
 * whole backfill): that cell is refused, naming its column.
 */
export function isoOf(column: string, d: Date): string {
  if (Number.isNaN(d.getTime())) throw new CellError(column, 'expected a datetime, got a value that is not one (an Invalid Date)');
  return d.toISOString();
}

/**
 * A dynamic cell whose keys the mapper spreads into the record (Key Vault's `Properties`,
 * AzureDiagnostics' `AdditionalFields`): an object, or absent. JSON of another type (an array,
 * a number, text) is refused naming the column: spread, it added nothing and was lost unseen.
 */
export function objectCell(row: Row, column: string): Record<string, unknown> | undefined {
  const v = jsonCell(row, column);
  if (v === null) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new CellError(column, `expected a JSON object, got ${Array.isArray(v) ? 'an array' : isKeptNumber(v) ? 'a number' : typeof v === 'string' ? 'text' : `a ${typeof v}`}`);
}

/** A text cell; '' (Log Analytics' empty string) and null are absent. */
export function text(row: Row, column: string): string | undefined {
  const v = row[column];
  if (v === undefined || v === null || v === '') return undefined;
  return v instanceof Date ? isoOf(column, v) : typeof v === 'object' ? recordText(v) : String(v);
}

/**
 * A cell of another type than its column's (`'abc'` in DurationMs, `'yes'` in IsInteractive), as
 * it is: a streamed record holding such a value is stored with it in `raw` (the field that cannot
 * read it null), so the rebuilt record carries it too. Made absent, it left no trace in the stored
 * row. A Date (a column typed datetime) is its ISO text, as text() makes it.
 */
export function asItIs(row: Row, column: string): unknown {
  const v = row[column];
  if (v === undefined || v === null || v === '') return undefined;
  return v instanceof Date ? isoOf(column, v) : v;
}

/** Numbers stay numbers; numeric text becomes one; '' and null are absent; anything else stays as it is (asItIs). */
export function number(row: Row, column: string): unknown {
  const v = row[column];
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return asItIs(row, column);
}

/** true/false, also as text in any case; '' and null are absent; anything else stays as it is (asItIs). */
export function bool(row: Row, column: string): unknown {
  const v = row[column];
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return asItIs(row, column);
}

/** The object without its absent (undefined) entries: rebuilt records carry only what the row held. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) setOwn(out, k, v);
  return out as Partial<T>;
}
