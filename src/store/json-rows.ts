/**
 * Rows as JSON text, written by DuckDB. The server's `POST /sql` answers with each row as a
 * JSON array of plain values (times as ISO strings, BIGINTs as numbers when exact, else as
 * strings); building that in JS — convert each value, then `JSON.stringify` — took about as long
 * as the query on 70k–100k-row answers. So the statement is run wrapped: DuckDB writes each
 * row's array itself, value by value as the JS path would, and the server joins the texts.
 * Columns of other types (intervals, blobs, structs, nested lists…) leave the statement to the
 * JS path.
 */
import type { DuckDBPreparedStatement, DuckDBType } from '@duckdb/node-api';

/** The type ids this module reads (DuckDBTypeId, passed in: the package loads lazily). */
export interface TypeIds {
  BOOLEAN: number; TINYINT: number; SMALLINT: number; INTEGER: number; UTINYINT: number; USMALLINT: number; UINTEGER: number;
  BIGINT: number; UBIGINT: number; HUGEINT: number; UHUGEINT: number; FLOAT: number; DOUBLE: number; DECIMAL: number;
  VARCHAR: number; ENUM: number; UUID: number; DATE: number; TIMESTAMP: number; TIMESTAMP_S: number; TIMESTAMP_MS: number;
  TIMESTAMP_NS: number; TIMESTAMP_TZ: number; LIST: number; INVALID: number;
}

/** Integers a JSON number holds exactly (Number.MAX_SAFE_INTEGER). */
const SAFE = 9007199254740991;

/**
 * How one value is written, as `plain()` of the JS conversion would give it, or undefined when
 * DuckDB cannot write it the same way.
 */
function jsonValueSql(x: string, type: DuckDBType, ids: TypeIds): string | undefined {
  switch (type.typeId) {
    case ids.VARCHAR: case ids.ENUM: case ids.UUID:
      return `${x}::VARCHAR`; // JSON too: the wire carries it as text, and clients nest it
    case ids.BOOLEAN: case ids.TINYINT: case ids.SMALLINT: case ids.INTEGER: case ids.UTINYINT: case ids.USMALLINT: case ids.UINTEGER:
      return x;
    case ids.BIGINT: case ids.UBIGINT: case ids.HUGEINT: case ids.UHUGEINT:
      return `CASE WHEN ${x} BETWEEN -${SAFE} AND ${SAFE} THEN to_json(${x}) ELSE to_json(${x}::VARCHAR) END`;
    case ids.FLOAT: case ids.DOUBLE:
      return `CASE WHEN isfinite(${x}) THEN ${x}::DOUBLE END`; // JSON has no NaN or infinity: null, as JSON.stringify writes them
    case ids.DECIMAL:
      return `${x}::DOUBLE`;
    case ids.DATE: case ids.TIMESTAMP: case ids.TIMESTAMP_S: case ids.TIMESTAMP_MS: case ids.TIMESTAMP_NS: case ids.TIMESTAMP_TZ:
      // Whole milliseconds toward zero, as the JS conversion makes a Date; then toISOString's layout.
      return `CASE WHEN isfinite(${x}) THEN strftime(make_timestamp((epoch_us(${x}) // 1000) * 1000), '%Y-%m-%dT%H:%M:%S.%gZ') END`;
    case ids.LIST: {
      const child = (type as DuckDBType & { valueType?: DuckDBType }).valueType;
      return child?.typeId === ids.VARCHAR ? x : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * `sql` wrapped to return one VARCHAR column, each row's values as a JSON array, at most `limit`
 * rows; undefined when a column's type is not one DuckDB writes as the JS path would, or is
 * known only once parameters are bound.
 */
export function jsonRowsSql(sql: string, prepared: DuckDBPreparedStatement, ids: TypeIds, limit?: number): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < prepared.columnCount; i++) {
    if (prepared.columnTypeId(i) === ids.INVALID) return undefined;
    const value = jsonValueSql(`#${i + 1}`, prepared.columnType(i), ids);
    if (value === undefined) return undefined;
    values.push(value);
  }
  // Positional references (#n): names may repeat or need quoting. The newline ends a trailing comment.
  const limited = limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
  return `SELECT json_array(${values.join(', ')})::VARCHAR FROM (\n${sql.replace(/;\s*$/, '')}\n)${limited}`;
}
