/**
 * A text column of a result chunk as JS strings, in few native calls. @duckdb/node-api copies
 * each string longer than 12 bytes out of DuckDB with a native call of its own, 1.3–3.6 µs a
 * string here: on 100k-row answers, read as one packed string per row (packed-rows.ts,
 * json-rows.ts), that was most of the time spent turning them into JS values.
 *
 * DuckDB lays out a result's strings one after another, so the bytes of consecutive strings
 * mostly follow on: a 101,504-row answer's strings fall in ~400 such runs. Each run is copied
 * with one call and then cut into its strings. A run is exactly the strings' own bytes, each
 * range DuckDB's to read, so nothing outside them is touched; where the bytes do not follow on,
 * a run simply ends, so the layout affects only the speed, never the values.
 */
import type { DuckDBDataChunk } from '@duckdb/node-api';
import { bindings } from './duckdb-bindings.js';

/** A string entry: 4 bytes of length, then 12 bytes inline or 4 of prefix and an 8-byte pointer. */
const ENTRY = 16;
const INLINE = 12;

/** Column `column` of `chunk` (VARCHAR) as DuckDB holds it: its string entries, and which rows are NULL. */
export function textEntries(chunk: DuckDBDataChunk, column: number): { count: number; data: Uint8Array; entries: DataView; isNull: (row: number) => boolean } {
  const duckdb = bindings();
  const count = chunk.rowCount;
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  const data = duckdb.vector_get_data(vector, count * ENTRY);
  const entries = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // One bit per row, least significant first; no mask means no NULLs.
  const validity = duckdb.vector_get_validity(vector, Math.ceil(count / 64) * 8);
  return { count, data, entries, isNull: (row) => validity !== null && (validity[row >> 3]! & (1 << (row & 7))) === 0 };
}

/** The UTF-8 bytes of column `column` of `chunk` (VARCHAR), read from its entries without copying a string. */
export function textBytes(chunk: DuckDBDataChunk, column: number): number {
  const { count, entries, isNull } = textEntries(chunk, column);
  let total = 0;
  for (let row = 0; row < count; row++) if (!isNull(row)) total += entries.getUint32(row * ENTRY, true);
  return total;
}

/**
 * Column `column` of `chunk`, which must be VARCHAR, as strings (null for SQL NULL); `copies`,
 * when given, counts the copies made out of DuckDB.
 */
export function textValues(chunk: DuckDBDataChunk, column: number, copies?: { count: number }): (string | null)[] {
  const { count, data, entries, isNull } = textEntries(chunk, column);
  const length = (row: number) => entries.getUint32(row * ENTRY, true);
  const pointer = (row: number) => entries.getBigUint64(row * ENTRY + 8, true);

  const values = new Array<string | null>(count);
  let row = 0;
  while (row < count) {
    if (isNull(row)) {
      values[row++] = null;
      continue;
    }
    const first = length(row);
    if (first <= INLINE) {
      values[row] = Buffer.from(data.buffer, data.byteOffset + row * ENTRY + 4, first).toString('utf8');
      row++;
      continue;
    }
    // The run: the following long strings whose bytes start where the previous one's end.
    let end = row + 1;
    let total = first;
    let next = pointer(row) + BigInt(first);
    while (end < count && !isNull(end) && length(end) > INLINE && pointer(end) === next) {
      total += length(end);
      next += BigInt(length(end));
      end++;
    }
    if (copies) copies.count++;
    const copied = bindings().get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + row * ENTRY + 8, total);
    const bytes = Buffer.from(copied.buffer, copied.byteOffset, copied.byteLength);
    for (let offset = 0; row < end; row++) {
      const n = length(row);
      values[row] = bytes.toString('utf8', offset, offset + n);
      offset += n;
    }
  }
  return values;
}
