/**
 * A fixed-width column of a result chunk (times, integers, doubles, booleans) as the JS values
 * node-api's JSDuckDBValueConverter gives, read from the vector's bytes with one native call.
 * node-api builds a value object per item and then converts it (a TIMESTAMPTZ: an object, a
 * BigInt division, a Date), 1–2 µs an item in a fresh process: 120 ms of a 101,504-row
 * answer's two such columns (bench/RESULTS.md notes). Other types, and a time a JS Date cannot
 * hold, are left to node-api (`undefined`), which converts them, or says why it cannot.
 */
import type { DuckDBDataChunk } from '@duckdb/node-api';
import { bindings } from './duckdb-bindings.js';

/** The type ids read here, by name (node-api's DuckDBTypeId, passed in: node-api loads lazily). */
export interface FixedTypeIds { BOOLEAN: number; INTEGER: number; BIGINT: number; DOUBLE: number; TIMESTAMP: number; TIMESTAMP_TZ: number }

type Read = (view: DataView, row: number) => unknown;

/** JS Dates span ±8.64e15 ms around 1970. */
const MAX_DATE_MS = 8.64e15;
const TWO_32 = 4294967296;

/**
 * Microseconds since 1970 as a Date of their millisecond, truncated toward zero as node-api's
 * BigInt division does; undefined when a Date cannot hold it.
 */
function dateOfMicros(view: DataView, row: number): Date | undefined {
  const micros = view.getInt32(row * 8 + 4, true) * TWO_32 + view.getUint32(row * 8, true);
  // Exact below 2^53 µs (the year 2255); beyond, the same in BigInt.
  const ms = Number.isSafeInteger(micros) ? (micros - (micros % 1000)) / 1000 : Number(view.getBigInt64(row * 8, true) / 1000n);
  return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms) : undefined;
}

function reader(typeId: number, ids: FixedTypeIds): { width: number; read: Read } | undefined {
  switch (typeId) {
    case ids.BOOLEAN: return { width: 1, read: (v, r) => v.getUint8(r) !== 0 };
    case ids.INTEGER: return { width: 4, read: (v, r) => v.getInt32(r * 4, true) };
    case ids.BIGINT: return { width: 8, read: (v, r) => v.getBigInt64(r * 8, true) };
    case ids.DOUBLE: return { width: 8, read: (v, r) => v.getFloat64(r * 8, true) };
    case ids.TIMESTAMP:
    case ids.TIMESTAMP_TZ: return { width: 8, read: dateOfMicros };
    default: return undefined;
  }
}

/**
 * Column `column` of `chunk`, of type `typeId`, as JS values (null for SQL NULL), or undefined
 * when it is not one of the types read here or holds a value node-api must judge.
 */
export function fixedValues(chunk: DuckDBDataChunk, column: number, typeId: number, ids: FixedTypeIds): unknown[] | undefined {
  const how = reader(typeId, ids);
  if (!how) return undefined;
  const duckdb = bindings();
  const count = chunk.rowCount;
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  const data = duckdb.vector_get_data(vector, count * how.width);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  // One bit per row, least significant first; no mask means no NULLs.
  const validity = duckdb.vector_get_validity(vector, Math.ceil(count / 64) * 8);
  const values = new Array<unknown>(count);
  for (let row = 0; row < count; row++) {
    if (validity !== null && (validity[row >> 3]! & (1 << (row & 7))) === 0) {
      values[row] = null;
      continue;
    }
    const value = how.read(view, row);
    if (value === undefined) return undefined;
    values[row] = value;
  }
  return values;
}
