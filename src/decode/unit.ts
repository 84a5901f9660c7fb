/**
 * One unit of input (an NDJSON line, an Event Hubs message body, an element of a `.json`
 * file) → the rows it holds and the records it refused. Never throws: every failure becomes
 * a reject naming where it came from and why.
 */
import { compactJsonText } from './compact-json.js';
import { formatBytes } from '../format.js';
import { EVENT_COLUMNS, type EventRow, type RejectRow } from '../schema/event.js';
import { fitsInt64, isStorableTime } from '../schema/fields.js';
import { normalizeRecord } from '../schema/normalize.js';
import { nameInReason } from '../schema/printable.js';
import { redactSecrets } from '../schema/redact.js';
import { rejectRow } from '../schema/reject.js';
import { toEventRow } from '../schema/row.js';
import { mayHoldSurrogate, withoutLoneSurrogates } from '../schema/surrogates.js';
import { splitRecords } from './json-splitter.js';
import { deepPath } from './nesting.js';

export interface Unit {
  text: string;
  /** Where it came from, for rejects and the `source` column: `file:/path` or `eventhubs:hub/0`. */
  source: string;
  /** Human location inside the source, e.g. `line 12` or `offset 4711`. */
  where: string;
}

export interface DecodeLimits {
  /** Records larger than this are refused (Event Hubs caps a message at 1 MB). */
  maxRecordBytes: number;
}

export const DEFAULT_LIMITS: DecodeLimits = { maxRecordBytes: 1024 * 1024 };

export interface Decoded {
  rows: EventRow[];
  rejects: RejectRow[];
  /** Records seen, accepted or not. */
  records: number;
}

export function emptyDecoded(): Decoded {
  return { rows: [], rejects: [], records: 0 };
}

/** `text` is redacted already (the whole unit is, before it is split). */
export function reject(out: Decoded, unit: Unit, reason: string, text: string): void {
  out.records++;
  out.rejects.push(rejectRow(unit.source, `${unit.where}: ${reason}`, text));
}

export function decodeUnit(unit: Unit, limits: DecodeLimits, out: Decoded): void {
  const text = redactSecrets(unit.text);
  let split;
  try {
    split = splitRecords(text);
  } catch (err) {
    reject(out, unit, `invalid JSON: ${(err as Error).message}`, text);
    return;
  }
  const many = split.elements.length > 1;
  for (let i = 0; i < split.elements.length; i++) {
    const element = split.elements[i]!;
    const where = many ? { ...unit, where: `${unit.where} record ${i + 1}` } : unit;
    if (element.error !== undefined) reject(out, where, `invalid JSON: ${element.error}`, element.text);
    else decodeRecordText(element.text, element.spaced, element.depth, where, limits, out);
  }
}

/**
 * Levels of objects and arrays a record may nest. JSON.stringify (compacting pretty-printed
 * input) recurses, and overflowed the stack past ~4,000 levels on the main thread but ~16,000
 * in a decode worker: the same record was refused with `--workers 0` and stored with workers.
 * Checked on the text first, far below either; Azure's records nest a dozen levels.
 */
export const MAX_NESTING = 1000;

/**
 * One record, whatever it holds: a throw here (a record nested 50,000 levels deep overflows
 * the stack) would fail the whole batch, and for a long-running consumer fail it again at
 * every restart. So it becomes this record's reject, and the batch goes on.
 */
/** "5.0 MiB exceeds the 1.0 MiB", in bytes when rounding would make the two read alike. */
function sizeAgainst(bytes: number, limit: number): string {
  const [size, max] = [formatBytes(bytes), formatBytes(limit)];
  return size !== max ? `${size} exceeds the ${max}` : `${bytes.toLocaleString('en-US')} bytes exceeds the ${limit.toLocaleString('en-US')}-byte`;
}

function decodeRecordText(text: string, spaced: boolean, depth: number, unit: Unit, limits: DecodeLimits, out: Decoded): void {
  // The limit is in bytes, as Event Hubs' is: 1 MiB of 'é' is 2 MiB. A UTF-16 unit is at most
  // 3 bytes, so only text that could reach the limit is measured.
  const bytes = text.length * 3 > limits.maxRecordBytes ? Buffer.byteLength(text, 'utf8') : text.length;
  if (bytes > limits.maxRecordBytes) {
    reject(out, unit, `record of ${sizeAgainst(bytes, limits.maxRecordBytes)} limit`, text);
    return;
  }
  if (depth > MAX_NESTING) {
    reject(out, unit, `record: ${deepPath(text)}: nested too deeply to read`, text);
    return;
  }
  let row: EventRow | string;
  try {
    row = recordToRow(text, spaced, unit);
  } catch (err) {
    row = err instanceof RangeError && /call stack/i.test(err.message)
      ? `record: ${deepPath(text)}: nested too deeply to read`
      : `record could not be read: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof row === 'string') reject(out, unit, row, text);
  else {
    out.records++;
    out.rows.push(row);
  }
}

/** The row for a record's text, or the reason it is refused. */
function recordToRow(text: string, spaced: boolean, unit: Unit): EventRow | string {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (err) {
    return `invalid JSON: ${(err as Error).message}`;
  }
  let reserialize = false;
  if (mayHoldSurrogate(text)) {
    const wellFormed = withoutLoneSurrogates(record);
    if (wellFormed !== record) {
      record = wellFormed;
      reserialize = true;
    }
  }
  const normalized = normalizeRecord(record);
  if (!normalized.ok) return normalized.reason;
  // Pretty-printed input is compacted (its own text, numbers as written) so the same record
  // hashes the same however it was laid out; a record whose lone surrogates were replaced is
  // re-serialized, so `raw` reads as JSON in DuckDB too.
  const compact = reserialize ? JSON.stringify(record) : spaced ? compactJsonText(text) : text;
  const row = toEventRow(normalized.fields, compact, unit.source, normalized.nativeId);
  const outOfRange = rangeProblem(row);
  return outOfRange === null ? row : `invalid ${nameInReason(row.category)} record: ${outOfRange}`;
}

const BIGINT_COLUMNS = EVENT_COLUMNS.filter(([, type]) => type === 'BIGINT').map(([name]) => name);

/**
 * A value the store's column cannot hold fails DuckDB's cast, and with it the whole batch:
 * checked here so it costs one record instead. Names the column.
 */
function rangeProblem(row: EventRow): string | null {
  if (!isStorableTime(row.time)) return `time: ${row.time} is outside the dates the store can hold`;
  for (const name of BIGINT_COLUMNS) {
    const v = row[name];
    if (typeof v === 'number' && !fitsInt64(v)) return `${name}: ${v} does not fit a 64-bit integer`;
  }
  return null;
}
