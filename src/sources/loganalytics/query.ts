/**
 * One time slice of one table through the real `LogsQueryClient`, and what its answer means
 * for the backfill: rows; "too much, split the slice" (a PartialFailure, which is how the
 * service reports the 500,000-row / ~64 MB response limits — the SDK keeps only a generic
 * PartialError — or an HTTP error saying the result or the query was too large or too slow);
 * or "this workspace has no such table".
 */
import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from '@azure/monitor-query-logs';
import { randomUUID } from 'node:crypto';
import { AuditlakeError, errorMessage } from '../../errors.js';
import { findNumber, parseJson } from './numbers.js';

export interface SliceRequest {
  workspace: string;
  table: string;
  fromMs: number;
  toMs: number;
  /** Rows asked for; one more comes back when the slice holds more (the sign to split it). */
  maxRows: number;
}

export type SliceAnswer =
  /**
   * `checkNumbers`: whether a cell may still hold a number JSON cannot carry (Infinity, from a
   * `1e400` the SDK parsed), to be refused: false when no cell holds one (keptNumbers).
   */
  | { kind: 'rows'; table: LogsTable; truncated: boolean; checkNumbers: boolean }
  | { kind: 'split'; reason: string }
  | { kind: 'missing'; reason: string };

const iso = (ms: number) => new Date(ms).toISOString();

/** Ordered by time, bounded exactly (the API's `timespan` alone is coarser), capped at maxRows + 1. */
export function sliceKql(table: string, fromMs: number, toMs: number, maxRows: number): string {
  return `${table}\n| where TimeGenerated >= datetime(${iso(fromMs)}) and TimeGenerated < datetime(${iso(toMs)})\n`
    + `| sort by TimeGenerated asc\n| take ${maxRows + 1}`;
}

const TOO_BIG = /too ?large|exceed|limit|E_QUERY_RESULT_SET_TOO_LARGE|ResponsePayloadTooLarge|timed? ?out|timeout/i;

/** The part of the SDK's pipeline used here (LogsQueryClient.pipeline). */
interface TextPipeline {
  addPolicy(policy: { name: string; sendRequest(request: { headers: { get(name: string): string | undefined } }, next: (r: unknown) => Promise<{ bodyAsText?: string | null }>): Promise<unknown> }): void;
}

const ANSWER_ID = 'x-ms-client-request-id';
/** Per client: the answer texts asked for (request id → text, once answered). */
const answerTexts = new WeakMap<object, Map<string, string | undefined>>();

/**
 * The answer texts of `client`'s queries, by request id: the SDK JSON-parses every `dynamic` cell,
 * and a number in one that a double cannot hold (`1e400`) is Infinity by then, its digits gone.
 * A policy on the client's own pipeline keeps the text of the answers asked for. Null for a
 * client without a pipeline (a stand-in).
 */
function textsOf(client: LogsQueryClient): Map<string, string | undefined> | null {
  const pipeline = (client as { pipeline?: TextPipeline }).pipeline;
  if (typeof pipeline?.addPolicy !== 'function') return null;
  let texts = answerTexts.get(client);
  if (!texts) {
    const mine = texts = new Map();
    pipeline.addPolicy({
      name: 'auditlakeAnswerText',
      async sendRequest(request, next) {
        const response = await next(request);
        const id = request.headers.get(ANSWER_ID);
        if (id !== undefined && mine.has(id)) mine.set(id, response.bodyAsText ?? undefined);
        return response;
      },
    });
    answerTexts.set(client, texts);
  }
  return texts;
}

/**
 * Whether a value the SDK parsed holds a number JSON.parse could not read as written: Infinity
 * (`1e400`) or an integer past 2^53 (`9007199254740993` read as ...992). (A `1e-400` read as 0,
 * or a 17-digit decimal rounded, looks like any other number: those stay as the SDK read them.)
 */
function misread(value: unknown): boolean {
  return findNumber(value, (n) => !Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) !== null;
}

/**
 * The `dynamic` cells the SDK misread (misread), read again from the answer's text with
 * parseJson, which keeps their numbers as written. Returns whether a cell may still hold a
 * number JSON cannot carry: the text was not at hand (a stand-in client), or was not the answer's.
 */
function keptNumbers(table: LogsTable, text: string | undefined): boolean {
  const dynamic = table.columnDescriptors.flatMap((c, i) => (c.type === 'dynamic' ? [i] : []));
  const misreadRows: number[] = [];
  for (let r = 0; r < table.rows.length; r++) if (dynamic.some((i) => misread(table.rows[r]![i]))) misreadRows.push(r);
  if (misreadRows.length === 0) return table.rows.some((row) => row.some((cell) => typeof cell === 'number' && !Number.isFinite(cell)));
  if (text === undefined) return true;
  let answer: { tables?: { rows?: unknown[][] }[] };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    return true;
  }
  const rows = answer.tables?.[0]?.rows;
  if (!Array.isArray(rows) || rows.length !== table.rows.length) return true;
  for (const r of misreadRows) {
    for (const i of dynamic) {
      const cell = rows[r]?.[i];
      if (typeof cell !== 'string' || !misread(table.rows[r]![i])) continue;
      try {
        table.rows[r]![i] = parseJson(cell) as (typeof table.rows)[number][number];
      } catch {
        // Not JSON: the SDK left it as text too.
      }
    }
  }
  return true;
}

export async function querySlice(client: LogsQueryClient, q: SliceRequest, abortSignal?: AbortSignal): Promise<SliceAnswer> {
  const where = `${q.table} ${iso(q.fromMs)}..${iso(q.toMs)}`;
  const texts = textsOf(client);
  const id = randomUUID();
  texts?.set(id, undefined);
  let result;
  try {
    result = await client.queryWorkspace(q.workspace, sliceKql(q.table, q.fromMs, q.toMs, q.maxRows),
      // A hair wider than the KQL bounds, which are the exact ones.
      { startTime: new Date(q.fromMs), endTime: new Date(q.toMs + 1) },
      { serverTimeoutInSeconds: 600, ...(abortSignal ? { abortSignal } : {}), ...(texts ? { requestOptions: { headers: { [ANSWER_ID]: id } } } : {}) });
  } catch (err) {
    texts?.delete(id);
    const e = err as { statusCode?: number; code?: string; details?: { error?: { code?: string; message?: string } } };
    const detail = `${e.code ?? ''} ${e.details?.error?.code ?? ''} ${e.details?.error?.message ?? ''} ${(e.details?.error as { innererror?: { message?: string } } | undefined)?.innererror?.message ?? ''} ${errorMessage(err)}`;
    // Throttled past the SDK's own retries: the service says 'rate limit … exceeded', which is no
    // reason to halve the slice (each half is throttled too, down to a misleading "too large").
    if (e.statusCode === 429) {
      throw new AuditlakeError('source_unavailable', `Log Analytics throttled the query of ${where} in workspace ${q.workspace} (HTTP 429) `
        + `after retrying: run backfill again later; the ranges done are kept and not asked again`, { cause: err });
    }
    if (e.statusCode === 413 || e.statusCode === 504 || TOO_BIG.test(detail)) return { kind: 'split', reason: `HTTP ${e.statusCode ?? '?'}: ${errorMessage(err).slice(0, 200)}` };
    if (/Failed to resolve table|could not be found|PathNotFound/i.test(detail) && e.statusCode === 400) {
      return { kind: 'missing', reason: errorMessage(err).slice(0, 200) };
    }
    const hint = e.statusCode === 401 || e.statusCode === 403
      ? ' (the identity needs the Log Analytics Reader role on the workspace, or Reader on its tables)'
      : e.statusCode === 404 ? ' (no workspace with that id at this endpoint)' : '';
    throw new AuditlakeError('source_unavailable', `Log Analytics query of ${where} in workspace ${q.workspace} failed${hint}: ${errorMessage(err)}`, { cause: err });
  }
  const text = texts?.get(id);
  texts?.delete(id);
  if (result.status === LogsQueryResultStatus.PartialFailure) {
    const error = result.partialError;
    return { kind: 'split', reason: `partial result (${error.code ?? 'PartialError'}: ${(error.message ?? '').slice(0, 160)})` };
  }
  if (result.status !== LogsQueryResultStatus.Success) throw new AuditlakeError('source_unavailable', `Log Analytics query of ${where}: unexpected status ${String(result.status)}`);
  const table = result.tables[0];
  if (!table) throw new AuditlakeError('source_unavailable', `Log Analytics query of ${where}: the answer holds no table`);
  return { kind: 'rows', table, truncated: table.rows.length > q.maxRows, checkNumbers: keptNumbers(table, text) };
}
