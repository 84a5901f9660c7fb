/**
 * Large results, read fast. @duckdb/node-api reads every text value with its own native call
 * and buffer, about 1.3 µs a value here: 100,000 rows of 15 columns took 2 s to become JS
 * values, longer than the query. So a SELECT with several text columns is run wrapped: DuckDB
 * packs each row's text columns into one JSON array, and JS parses one string per row instead
 * of reading each value (the same rows; 1.4–2.8× faster on 73k–101k-row answers). Those
 * strings are read a run at a time (text-values.ts). Other columns are read from their bytes when
 * fixed-width (times, integers, doubles, booleans: fixed-values.ts), else as node-api converts
 * them. A statement that cannot be wrapped (not a SELECT, several statements) runs as it is.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBPreparedStatement, DuckDBType, JSDuckDBValueConverter } from '@duckdb/node-api';
import { fixedValues, type FixedTypeIds } from './fixed-values.js';
import { textValues } from './text-values.js';

export interface PackPlan {
  /**
   * The statement, wrapped: the other columns by position, then the packed text as the last
   * column, a JSON array with every column in its place, the other columns' as null.
   */
  sql: string;
  otherColumns: number[];
  /** The other columns' type ids, and which ids are which: fixed-width ones are read directly. */
  otherTypes: number[];
  typeIds: FixedTypeIds;
}

/** node-api's DuckDBTypeId, or the part of it packing reads. */
export type TypeIds = FixedTypeIds & { VARCHAR: number; INVALID: number };

export interface Column { name: string; type: string }

/** Below this many text columns packing saves nothing. */
const MIN_TEXT_COLUMNS = 2;

/** The result's columns as the store reports them (JSON keeps its alias, so output can nest it). */
export function describeColumns(prepared: DuckDBPreparedStatement): Column[] {
  const columns: Column[] = [];
  for (let i = 0; i < prepared.columnCount; i++) columns.push({ name: prepared.columnName(i), type: typeName(prepared.columnType(i)) });
  return columns;
}

export const typeName = (t: DuckDBType): string => t.alias ?? t.toString();

/**
 * How to pack `sql`'s result, or undefined when packing would not help, or when a column's type
 * is known only once parameters are bound (`SELECT $p`): the split must not turn it into text.
 */
function packPlan(sql: string, prepared: DuckDBPreparedStatement, ids: TypeIds): PackPlan | undefined {
  const places: string[] = [];
  const otherColumns: number[] = [];
  const otherTypes: number[] = [];
  for (let i = 0; i < prepared.columnCount; i++) {
    const id = prepared.columnTypeId(i);
    if (id === ids.INVALID) return undefined;
    if (id === ids.VARCHAR) {
      places.push(`#${i + 1}::VARCHAR`);
    } else {
      places.push('NULL');
      otherColumns.push(i);
      otherTypes.push(id);
    }
  }
  if (places.length - otherColumns.length < MIN_TEXT_COLUMNS) return undefined;
  // Positional references (#n): names may repeat or need quoting. The newline ends a trailing comment.
  const body = sql.replace(/;\s*$/, '');
  // The parsed array is the row: only the other columns' values are put in (one array a row).
  const packed = `to_json([${places.join(', ')}])::VARCHAR`;
  return {
    sql: `SELECT ${[...otherColumns.map((i) => `#${i + 1}`), packed].join(', ')} FROM (\n${body}\n)`,
    otherColumns,
    otherTypes,
    typeIds: ids,
  };
}

/**
 * A chunk of the wrapped statement's result, as rows in the original column order. `converter`
 * is node-api's JS converter (passed in: node-api loads lazily), whose values the fixed-width
 * columns are read to, and which converts the other columns.
 */
export function unpackChunk(chunk: DuckDBDataChunk, plan: PackPlan, converter: typeof JSDuckDBValueConverter): unknown[][] {
  const others = plan.otherColumns.map((_, k) => fixedValues(chunk, k, plan.otherTypes[k]!, plan.typeIds) ?? chunk.convertColumnValues(k, converter));
  const texts = textValues(chunk, plan.otherColumns.length);
  const rows = new Array<unknown[]>(chunk.rowCount);
  for (let r = 0; r < chunk.rowCount; r++) {
    const row = JSON.parse(texts[r]!) as unknown[];
    for (let k = 0; k < plan.otherColumns.length; k++) row[plan.otherColumns[k]!] = others[k]![r];
    rows[r] = row;
  }
  return rows;
}

export interface Packed { statement: DuckDBPreparedStatement; plan: PackPlan }

/**
 * `sql` (already prepared as `prepared`) wrapped and prepared with its parameters bound, or
 * undefined when it does not pack or DuckDB will not prepare the wrapper: then run it as it is.
 */
export async function preparePacked(
  conn: DuckDBConnection, sql: string, prepared: DuckDBPreparedStatement, params: Record<string, unknown>, ids: TypeIds,
): Promise<Packed | undefined> {
  const plan = packPlan(sql, prepared, ids);
  if (!plan) return undefined;
  let statement: DuckDBPreparedStatement | undefined;
  try {
    statement = await conn.prepare(plan.sql);
    if (Object.keys(params).length > 0) statement.bind(params as never);
    return { statement, plan };
  } catch {
    statement?.destroySync();
    return undefined;
  }
}
