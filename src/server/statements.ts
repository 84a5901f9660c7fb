/**
 * How the server runs SQL, for `POST /sql` and the console alike: analysts' statements through
 * the guard (sql-guard.ts) and the reader's read-only transaction; the console's own view
 * statements through the reader alone. Both within the time and row limits, counted in the
 * metrics, and at most `maxConcurrent` requests at once (the rest get 429 and Retry-After).
 * Failures become HttpErrors whose status says whose fault it is.
 */
import { plain } from '../cli/output.js';
import { AuditlakeError } from '../errors.js';
import type { ReadRows } from '../investigate/rows.js';
import { referencedParams } from '../queries.js';
import { AnswerTooLarge } from '../store/answer-bytes.js';
import type { QueryResult } from '../store/duckdb.js';
import { NotASelect, QueryTimeout, type JsonRowsSink, type ReadLimits, type ReadResult, type SqlParams, type SqlReader } from '../store/reader.js';
import type { Metrics } from './metrics.js';
import { HttpError } from './respond.js';
import { guardSql, SqlRefused } from './sql-guard.js';

/** The subset of pino the server uses: a sentence with fields. */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface QueryLimits {
  queryTimeoutMs: number;
  maxRows: number;
  /** Bytes of one answer held in the server's memory at most (default store/answer-bytes.ts ANSWER_BYTES). */
  maxAnswerBytes?: number;
}

export interface SqlContext {
  reader: SqlReader;
  metrics: Metrics;
  limits: QueryLimits;
  log: Logger;
}

/** Requests running statements at once: they share DuckDB's threads and memory with the batch loop. */
export class StatementSlots {
  private running = 0;
  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      throw new HttpError(429, 'busy', `${this.running} requests are running statements (the limit); try again shortly`, { 'Retry-After': '1' });
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
    }
  }
}

/** An analyst's statement: guarded, then run read-only. */
export async function runAnalystSql(ctx: SqlContext, sql: string, params: SqlParams, maxRows?: number): Promise<ReadResult> {
  return answerAnalyst(ctx, sql, params, maxRows, (limits) => ctx.reader.select(sql, params, limits), (r) => r.rows.length);
}

/**
 * The same, with each row as JSON text (what `POST /sql` sends), handed to `sink` as it is
 * read: written by DuckDB when it can (json-rows.ts), else from the values as `rowObjects`
 * converts them.
 */
export async function runAnalystSqlJson(ctx: SqlContext, sql: string, params: SqlParams, maxRows: number | undefined, sink: JsonRowsSink): Promise<{ truncated: boolean }> {
  let rows = 0;
  const counted: JsonRowsSink = { begin: (columns) => sink.begin(columns), rows: (texts) => { rows += texts.length; return sink.rows(texts); } };
  return answerAnalyst(ctx, sql, params, maxRows, (limits) => ctx.reader.selectJson(sql, params, limits, rowJson, counted), () => rows);
}

/** Guards the statement, runs it with `run` within the limits, and counts and logs the answer. */
async function answerAnalyst<R extends { truncated: boolean }>(
  ctx: SqlContext, sql: string, params: SqlParams, maxRows: number | undefined,
  run: (limits: ReadLimits) => Promise<R>, rowCount: (r: R) => number,
): Promise<R> {
  const started = performance.now();
  // Lengths and counts only: statement text and parameter values can hold what analysts search for.
  const fields = { sqlChars: sql.length, params: Object.keys(params).length };
  try {
    await guardSql(ctx.reader, sql);
    const result = await run({ timeoutMs: ctx.limits.queryTimeoutMs, maxRows: Math.min(maxRows ?? ctx.limits.maxRows, ctx.limits.maxRows), maxBytes: ctx.limits.maxAnswerBytes });
    const ms = Math.round(performance.now() - started);
    ctx.metrics.queryAnswered(result.truncated ? 'truncated' : 'ok', ms);
    ctx.log.info({ ...fields, rows: rowCount(result), truncated: result.truncated, ms }, 'SQL answered.');
    return result;
  } catch (err) {
    throw toHttpError(ctx, err, fields, Math.round(performance.now() - started));
  }
}

/**
 * One of the console's own statements (fixed text, bound values): the reader's barriers, no
 * guard. A view shares one parameter set among its statements; DuckDB refuses to bind a name
 * a statement does not use, so each gets only its own.
 */
export async function runViewSql(ctx: SqlContext, sql: string, params: SqlParams, maxRows: number): Promise<ReadResult> {
  const started = performance.now();
  const used = referencedParams(sql);
  const own = Object.fromEntries(Object.entries(params).filter(([k]) => used.has(k)));
  try {
    return await ctx.reader.select(sql, own, { timeoutMs: ctx.limits.queryTimeoutMs, maxRows, maxBytes: ctx.limits.maxAnswerBytes });
  } catch (err) {
    throw toHttpError(ctx, err, { view: true }, Math.round(performance.now() - started));
  }
}

/** runViewSql's rows as objects: how the investigation views (src/investigate) read on the server. */
export const viewRows = (ctx: SqlContext): ReadRows => (sql, params, maxRows) => runViewSql(ctx, sql, params, maxRows).then(rowObjects);

/** A row as the JSON array `POST /sql` sends (what DuckDB writes for the types it can: json-rows.ts). */
export const rowJson = (row: unknown[]): string => JSON.stringify(row.map(plain));

/** Rows as objects of JSON-safe values (times as ISO strings, BIGINTs as numbers when exact). */
export function rowObjects(result: QueryResult): Record<string, unknown>[] {
  const names = result.columns.map((c) => c.name);
  return result.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, plain(r[i]) ?? null])));
}

function toHttpError(ctx: SqlContext, err: unknown, fields: object, ms: number): unknown {
  if (err instanceof SqlRefused || err instanceof NotASelect) {
    ctx.metrics.queryAnswered('refused', ms);
    ctx.log.warn({ ...fields, reason: err.message, ms }, 'SQL refused.');
    return new HttpError(403, 'refused', err.message);
  }
  if (err instanceof QueryTimeout) {
    ctx.metrics.queryAnswered('timeout', ms);
    ctx.log.warn({ ...fields, ms, timeoutMs: err.timeoutMs }, 'SQL interrupted at the time limit.');
    return new HttpError(408, 'timeout', err.message);
  }
  ctx.metrics.queryAnswered('failed', ms);
  if (err instanceof AnswerTooLarge) {
    ctx.log.warn({ ...fields, ms, limitBytes: err.limitBytes }, 'SQL answer over the memory budget, stopped.');
    return new HttpError(413, 'too_large', err.message);
  }
  if (err instanceof AuditlakeError && (err.code === 'query_failed' || err.code === 'bad_argument')) {
    ctx.log.info({ ...fields, ms, error: err.message.split('\n')[0] }, 'SQL failed.');
    return new HttpError(400, 'query_failed', err.message);
  }
  return err;
}
