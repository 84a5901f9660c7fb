/**
 * Read-only SQL on a database another part of this process writes to: the HTTP server of
 * `auditlake run` answers analysts through it while the batch loop commits on its own connection.
 * DuckDB allows one process per file, so this is how `auditlake query` reaches a held database.
 *
 * It gives the server's guard (src/server/sql-guard.ts) DuckDB's own reading of a statement —
 * how many statements the parser finds and the AST of a SELECT — and runs a statement with
 * three barriers of its own: one statement, prepared as a SELECT, inside a READ ONLY transaction,
 * with a time limit (the connection is interrupted) and a row limit (chunks stop being read).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBPreparedStatement, DuckDBResult } from '@duckdb/node-api';
import { AuditlakeError, errorMessage } from '../errors.js';
import type { QueryResult } from './duckdb.js';
import { AnswerBudget, ANSWER_BYTES, valueBytes } from './answer-bytes.js';
import { jsonRowsSql } from './json-rows.js';
import { describeColumns, preparePacked, typeName, unpackChunk } from './packed-rows.js';
import { STAGE_DIR } from './stage.js';
import { textBytes, textValues } from './text-values.js';

/** Values a client may bind as `$name`. */
export type SqlParams = Record<string, string | number | boolean | null>;

export interface ReadLimits {
  timeoutMs: number;
  maxRows: number;
  /** Bytes of an answer held in memory at most (default ANSWER_BYTES): past it, AnswerTooLarge (answer-bytes.ts). */
  maxBytes?: number;
}

/** How far a statement's rows may be read: rows, bytes held, and whether the time limit passed. */
interface Reading {
  maxRows: number;
  budget: AnswerBudget;
  expired(): boolean;
}

export interface ReadResult extends QueryResult {
  /** More rows were there than `maxRows`: the first `maxRows` are returned. */
  truncated: boolean;
}

/** Where `selectJson` hands its answer, as it is read. */
export interface JsonRowsSink {
  /** The columns, before any row (once the statement has started: most failures come before this). */
  begin(columns: QueryResult['columns']): void;
  /** The next rows in order, each the JSON text of its array, e.g. `["2025-11-14T09:12:03.640Z","success",42]`; resolves when the sink takes more. */
  rows(texts: string[]): Promise<void> | void;
}

/** DuckDB's reading of a statement, before anything is bound or run. */
export interface ParsedSql {
  /** How many statements the parser found. */
  statements: number;
  /** `json_serialize_sql`'s AST (`{ statements: [...] }`) when every statement is a SELECT. */
  ast?: unknown;
  /** Otherwise DuckDB's reason ("Only SELECT statements can be serialized to json!"). */
  astError?: string;
}

/** The relations a statement may read: the store's tables and views. */
export interface Relations {
  /** The database's catalog name (`auditlake` for `auditlake.duckdb`): `auditlake.main.events` is allowed. */
  catalog: string;
  /** Table and view names, lower-case. */
  names: ReadonlySet<string>;
  /** The store's table macros (migration 007's `events_between`), lower-case: they read only its tables. */
  macros: ReadonlySet<string>;
}

export interface SqlReader {
  parse(sql: string): Promise<ParsedSql>;
  relations(): Promise<Relations>;
  /** Runs one SELECT, read-only, within the limits. Throws QueryTimeout past the time limit. */
  select(sql: string, params: SqlParams, limits: ReadLimits): Promise<ReadResult>;
  /**
   * The same, with each row as the JSON text of its array of plain values, handed to `sink` a
   * chunk at a time: written by DuckDB (json-rows.ts), or, when a column's type is not one it
   * writes, by `rowJson` from the values. Resolves with whether `maxRows` cut the answer.
   */
  selectJson(sql: string, params: SqlParams, limits: ReadLimits, rowJson: (row: unknown[]) => string, sink: JsonRowsSink): Promise<{ truncated: boolean }>;
  /** Whether DuckDB's file access is off for the instance (see ReaderOptions). */
  readonly fileAccessRestricted: boolean;
  close(): void;
}

export interface ReaderOptions {
  /**
   * Turn DuckDB's external access off for the whole instance (default true), keeping only the
   * stage directory (where the batch loop's own stage files are, e.g. /dev/shm) readable: then
   * even a statement the guard wrongly let through cannot read or write other files, ATTACH
   * them, or load extensions. It cannot be turned back on while the database is open, and
   * it applies to every connection: exports can then write only below `alsoAllowed`.
   */
  restrictFileAccess?: boolean;
  /** Directories DuckDB may still use when restricted: `run`'s export staging folder (src/archive/destination.ts), an export served. */
  alsoAllowed?: string[];
  /** Run on each statement's connection before the statement: what the store's views need of a session (`Store.overParquet`). */
  session?: (conn: DuckDBConnection) => Promise<void>;
  /**
   * The most a statement's sorts, joins and aggregates may spill to DuckDB's temp directory
   * (`max_temp_directory_size`, instance-wide), default READER_TEMP_LIMIT.
   */
  tempLimit?: string;
}

/**
 * What DuckDB may spill to disk while the reader is open. DuckDB's own default is 90 % of the
 * disk's free space: one analyst's ORDER BY wrote ~1 GB beside a read-only database within the
 * time limit. 4 GB is eight times the store's memory limit, room for any statement the time
 * limit lets finish (the saved queries spill nothing), and small beside a disk that holds audit logs.
 */
export const READER_TEMP_LIMIT = '4GB';

/** The statement ran past its time limit and was interrupted. */
export class QueryTimeout extends AuditlakeError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super('query_failed', `the query ran past the time limit of ${formatMs(timeoutMs)} and was interrupted`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** DuckDB refused the statement itself (more than one statement, or not a SELECT once prepared). */
export class NotASelect extends AuditlakeError {
  constructor(message: string) {
    super('bad_argument', message);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** One caller at a time on a connection: DuckDB connections are not for concurrent statements. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export async function openReader(instance: DuckDBInstance, options: ReaderOptions = {}): Promise<SqlReader> {
  const { DuckDBTypeId, JSDuckDBValueConverter, StatementType } = await import('@duckdb/node-api');
  const control = await instance.connect();
  const lock = new Mutex();
  // Types whose values can be any size (and types newer than these): read a whole chunk at a time, they are not packed (readValues).
  const unbounded = new Set<number>([DuckDBTypeId.BLOB, DuckDBTypeId.LIST, DuckDBTypeId.STRUCT, DuckDBTypeId.MAP, DuckDBTypeId.ARRAY,
    DuckDBTypeId.UNION, DuckDBTypeId.BIT, DuckDBTypeId.BIGNUM, DuckDBTypeId.GEOMETRY]);
  const boundedSize = (typeId: number) => !unbounded.has(typeId) && typeId <= DuckDBTypeId.GEOMETRY;
  let restricted = false;
  try {
    const current = await control.runAndReadAll("SELECT current_setting('enable_external_access'), current_setting('lock_configuration')");
    const [access, locked] = current.getRowsJS()[0] ?? [];
    restricted = access === false;
    // Another reader on this instance has set and locked everything already.
    if (locked !== true) {
      // Instance-wide, so each statement's connection starts in UTC without a SET of its own
      // (which a locked configuration refuses): the same times as `auditlake query` prints locally.
      await control.run("SET GLOBAL TimeZone = 'UTC'");
      await control.run(`SET GLOBAL max_temp_directory_size = ${sqlString(options.tempLimit ?? READER_TEMP_LIMIT)}`);
    }
    if (!restricted && options.restrictFileAccess !== false) {
      // Directories, not name prefixes: DuckDB appends a '/' to each entry.
      const allowed = [STAGE_DIR, ...(options.alsoAllowed ?? [])].map(sqlString).join(', ');
      await control.run(`SET GLOBAL allowed_directories = [${allowed}]`);
      await control.run('SET GLOBAL enable_external_access = false');
      restricted = true;
    }
    // Once file access is restricted, the whole instance's configuration is locked: even a
    // statement the guard wrongly let through cannot change a setting (memory, threads, the
    // allowed folders). Store.open set what every later connection needs (TimeZone, the export
    // flush size); SET VARIABLE (an export's file list) is not a setting and still works.
    if (restricted && locked !== true) await control.run('SET GLOBAL lock_configuration = true');
  } catch (err) {
    control.closeSync();
    throw new AuditlakeError('store_failed', `cannot restrict file access for the SQL reader: ${errorMessage(err)}`, { cause: err });
  }

  async function parse(sql: string): Promise<ParsedSql> {
    return lock.run(async () => {
      const r = await control.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
      const parsed = JSON.parse(String(r.getRowsJS()[0]?.[0])) as { error?: boolean; error_type?: string; error_message?: string; statements?: unknown[] };
      if (parsed.error && parsed.error_type === 'parser') {
        throw new AuditlakeError('query_failed', `Parser Error: ${parsed.error_message ?? 'syntax error'}`);
      }
      // Only comments or semicolons: the C API's extract refuses that without a message.
      if (!parsed.error && parsed.statements?.length === 0) return { statements: 0, ast: parsed };
      let statements: number;
      try {
        statements = (await control.extractStatements(sql)).count;
      } catch (err) {
        throw new AuditlakeError('query_failed', errorMessage(err), { cause: err });
      }
      return parsed.error ? { statements, astError: parsed.error_message ?? 'not a SELECT' } : { statements, ast: parsed };
    });
  }

  // The store's table macros, read once: they come only from migrations, which run before a
  // reader opens, and listing them walks every function DuckDB has (~20 ms a statement).
  let macros: Promise<ReadonlySet<string>> | undefined;
  const storeMacros = () => (macros ??= control.runAndReadAll(`
    SELECT list(DISTINCT lower(function_name)) FROM duckdb_functions()
    WHERE database_name = current_database() AND schema_name = 'main' AND function_type = 'table_macro' AND NOT internal`)
    .then((r) => new Set((r.getRowsJS()[0]?.[0] as string[] | null) ?? []))
    .catch((err: unknown) => {
      macros = undefined; // a failed listing is not kept: the next statement lists them again
      throw err;
    }));

  async function relations(): Promise<Relations> {
    return lock.run(async () => {
      const r = await control.runAndReadAll(`
        SELECT current_database(), list(DISTINCT lower(name)) FROM (
          SELECT table_name AS name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
          UNION ALL
          SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal)`);
      const row = r.getRowsJS()[0];
      return { catalog: String(row?.[0] ?? ''), names: new Set((row?.[1] as string[] | null) ?? []), macros: await storeMacros() };
    });
  }

  /**
   * Runs `read` on one statement with the reader's barriers: a connection of its own (statements
   * run side by side, and an interrupt stops only its own), one statement prepared as a SELECT,
   * a READ ONLY transaction, and the time limit.
   */
  async function guarded<T>(sql: string, limits: ReadLimits, read: (conn: DuckDBConnection, prepared: DuckDBPreparedStatement, reading: Reading) => Promise<T>): Promise<T> {
    const conn: DuckDBConnection = await instance.connect();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, limits.timeoutMs);
    let prepared: DuckDBPreparedStatement | undefined;
    try {
      await options.session?.(conn); // (in UTC: the instance's TimeZone, set above)
      await conn.run('BEGIN TRANSACTION READ ONLY');
      const extracted = await conn.extractStatements(sql);
      if (extracted.count !== 1) throw new NotASelect(`exactly one statement is allowed (got ${extracted.count})`);
      prepared = await extracted.prepare(0);
      if (prepared.statementType !== StatementType.SELECT) {
        throw new NotASelect(`only SELECT statements are allowed (got ${StatementType[prepared.statementType] ?? prepared.statementType})`);
      }
      // The interrupt stops DuckDB; a result DuckDB has finished is still read in JS, chunk by
      // chunk, and stops at the limit too (eachRows asks).
      return await read(conn, prepared, { maxRows: limits.maxRows, budget: new AnswerBudget(limits.maxBytes ?? ANSWER_BYTES), expired: () => timedOut });
    } catch (err) {
      if (timedOut) throw new QueryTimeout(limits.timeoutMs, { cause: err });
      if (err instanceof AuditlakeError) throw err;
      throw new AuditlakeError('query_failed', `query failed: ${errorMessage(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      prepared?.destroySync();
      await conn.run('ROLLBACK').catch(() => undefined);
      conn.closeSync();
    }
  }

  /**
   * Hands each chunk's rows (turned into rows by `rowsOf`, which counts what it holds against
   * the budget) to `take`, in order, until there are none or `maxRows` have been handed;
   * resolves with whether the limit cut them. Past the time limit it throws.
   */
  async function eachRows<R>(result: DuckDBResult, reading: Reading, rowsOf: (chunk: DuckDBDataChunk) => R[], take: (rows: R[]) => Promise<void> | void): Promise<boolean> {
    for (let room = reading.maxRows; ;) {
      const chunk = await result.fetchChunk();
      if (reading.expired()) throw new Error('interrupted at the time limit');
      if (!chunk || chunk.rowCount === 0) return false;
      const rows = rowsOf(chunk);
      if (rows.length > room) {
        await take(rows.slice(0, room));
        return true;
      }
      room -= rows.length;
      await take(rows);
    }
  }

  /** The same, gathered. */
  async function readRows<R>(result: DuckDBResult, reading: Reading, rowsOf: (chunk: DuckDBDataChunk) => R[]): Promise<{ rows: R[]; truncated: boolean }> {
    const rows: R[] = [];
    const truncated = await eachRows(result, reading, rowsOf, (chunkRows) => {
      for (const r of chunkRows) rows.push(r);
    });
    return { rows, truncated };
  }

  /**
   * The statement's rows as JS values (packed when that helps: packed-rows.ts), counted against
   * the budget: a packed chunk by its text's length before it is read, else row by row.
   */
  async function readValues(conn: DuckDBConnection, prepared: DuckDBPreparedStatement, sql: string, params: SqlParams, reading: Reading): Promise<ReadResult> {
    // Large answers read faster packed; the wrapper adds a projection, nothing else. Only when
    // the columns beside the packed text are of bounded size: another (a STRUCT, a LIST) is read
    // a whole chunk at a time, and a chunk of large values would be in memory before it is counted.
    const wrapped = await preparePacked(conn, sql, prepared, params, DuckDBTypeId);
    const packed = wrapped && wrapped.plan.otherTypes.every(boundedSize) ? wrapped : undefined;
    if (wrapped && !packed) wrapped.statement.destroySync();
    try {
      if (!packed && Object.keys(params).length > 0) prepared.bind(params);
      const result = await (packed?.statement ?? prepared).stream();
      const types = result.columnTypes();
      // JSON is an alias of VARCHAR: keep the alias so output can nest JSON values (as Store.query does).
      const columns = packed ? describeColumns(prepared) : result.columnNames().map((name, i) => ({ name, type: typeName(types[i]!) }));
      const read = await readRows(result, reading, (chunk) => {
        if (packed) {
          // The other columns' values are small (a number, a time, a UUID): ~32 bytes each as JS values.
          reading.budget.add(textBytes(chunk, packed.plan.otherColumns.length) + 32 * packed.plan.otherColumns.length * chunk.rowCount);
          return unpackChunk(chunk, packed.plan, JSDuckDBValueConverter);
        }
        const rows = new Array<unknown[]>(chunk.rowCount);
        for (let r = 0; r < chunk.rowCount; r++) {
          const row = chunk.convertRowValues(r, JSDuckDBValueConverter) as unknown[];
          reading.budget.add(valueBytes(row));
          rows[r] = row;
        }
        return rows;
      });
      return { columns, ...read };
    } finally {
      packed?.statement.destroySync();
    }
  }

  async function select(sql: string, params: SqlParams, limits: ReadLimits): Promise<ReadResult> {
    return guarded(sql, limits, (conn, prepared, reading) => readValues(conn, prepared, sql, params, reading));
  }

  async function selectJson(sql: string, params: SqlParams, limits: ReadLimits, rowJson: (row: unknown[]) => string, sink: JsonRowsSink): Promise<{ truncated: boolean }> {
    return guarded(sql, limits, async (conn, prepared, reading) => {
      // One row past the limit tells that it cut the answer.
      const wrapped = jsonRowsSql(sql, prepared, DuckDBTypeId, limits.maxRows + 1);
      // A statement DuckDB will not prepare wrapped runs as it is, as packed-rows.ts does.
      const statement = wrapped ? await conn.prepare(wrapped).catch(() => undefined) : undefined;
      if (!statement) {
        const values = await readValues(conn, prepared, sql, params, reading);
        sink.begin(values.columns);
        await sink.rows(values.rows.map(rowJson));
        return { truncated: values.truncated };
      }
      try {
        if (Object.keys(params).length > 0) statement.bind(params);
        // Streamed, so a large answer is never held whole: only a chunk at a time, which must fit
        // the budget itself. The answer begins with the first chunk: a sort, join or aggregate
        // runs to its end before it, so nearly every error (a chunk too large too) comes first.
        const result = await statement.stream();
        let begun = false;
        const begin = () => {
          if (!begun) sink.begin(describeColumns(prepared));
          begun = true;
        };
        const truncated = await eachRows(result, reading, (chunk) => {
          reading.budget.checkPiece(textBytes(chunk, 0));
          return textValues(chunk, 0) as string[];
        }, (texts) => {
          begin();
          return sink.rows(texts);
        });
        begin();
        return { truncated };
      } finally {
        statement.destroySync();
      }
    });
  }

  return {
    parse,
    relations,
    select,
    selectJson,
    fileAccessRestricted: restricted,
    close: () => control.closeSync(),
  };
}

/**
 * Writes rows that came over HTTP to a Parquet file, through an in-memory DuckDB of this
 * process (the database itself is held by the server's process): the rows as NDJSON (one
 * object per line, as `--format ndjson` prints them), read back with the server's column
 * types, then COPY. A value DuckDB cannot read back in its type (INTERVAL, BLOB) fails with
 * DuckDB's message.
 */
export async function writeParquet(columns: QueryResult['columns'], ndjson: string, out: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const conn = await instance.connect();
  const file = join(tmpdir(), `auditlake-rows-${process.pid}-${Date.now()}.ndjson`);
  const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
  try {
    await conn.run("SET TimeZone = 'UTC'");
    writeFileSync(file, ndjson, { mode: 0o600 });
    const types = columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ');
    const source = ndjson.trim() !== ''
      ? `SELECT ${columns.map((c) => ident(c.name)).join(', ')} FROM read_json(${sqlString(file)}, format = 'newline_delimited', maximum_object_size = 268435456, columns = {${types}})`
      : `SELECT ${columns.map((c) => `NULL::${c.type} AS ${ident(c.name)}`).join(', ')} LIMIT 0`;
    await conn.run(`COPY (${source}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd)`);
  } catch (err) {
    throw new AuditlakeError('query_failed', `writing ${out} as Parquet failed: ${errorMessage(err)}`, { cause: err });
  } finally {
    rmSync(file, { force: true });
    conn.closeSync();
    instance.closeSync();
  }
}
