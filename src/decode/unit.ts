/**
 * One unit of input (an NDJSON line, an Event Hubs message body, an element of a `.json`
 * file) → the rows it holds and the records it refused. Never throws: every failure becomes
 * a reject naming where it came from and why.
 */
import { formatBytes } from '../format.js';
import type { EventRow, RejectRow } from '../schema/event.js';
import { normalizeRecord } from '../schema/normalize.js';
import { redactSecrets } from '../schema/redact.js';
import { toEventRow } from '../schema/row.js';
import { splitRecords } from './json-splitter.js';

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

/** How much of a refused record's text is kept in `rejects.raw`. */
const MAX_REJECT_TEXT = 64 * 1024;

export function reject(out: Decoded, unit: Unit, reason: string, text: string): void {
  out.records++;
  const raw = text.length > MAX_REJECT_TEXT ? `${text.slice(0, MAX_REJECT_TEXT)}…[truncated from ${text.length} chars]` : text;
  out.rejects.push({ received_at: Date.now(), source: unit.source, reason: `${unit.where}: ${reason}`, raw });
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
    decodeRecordText(element.text, element.spaced, where, limits, out);
  }
}

function decodeRecordText(text: string, spaced: boolean, unit: Unit, limits: DecodeLimits, out: Decoded): void {
  if (text.length > limits.maxRecordBytes) {
    reject(out, unit, `record of ${formatBytes(text.length)} exceeds the ${formatBytes(limits.maxRecordBytes)} limit`, text);
    return;
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (err) {
    reject(out, unit, `invalid JSON: ${(err as Error).message}`, text);
    return;
  }
  const normalized = normalizeRecord(record);
  if (!normalized.ok) {
    reject(out, unit, normalized.reason, text);
    return;
  }
  out.records++;
  // Pretty-printed input is compacted so the same record hashes the same however it was laid out.
  const compact = spaced ? JSON.stringify(record) : text;
  out.rows.push(toEventRow(normalized.fields, compact, unit.source, normalized.nativeId));
}
