/**
 * One time slice of one table through the real `LogsQueryClient`, and what its answer means
 * for the backfill: rows; "too much, split the slice" (a PartialFailure, which is how the
 * service reports the 500,000-row / ~64 MB response limits — the SDK keeps only a generic
 * PartialError — or an HTTP error saying the result or the query was too large or too slow);
 * or "this workspace has no such table".
 */
import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from '@azure/monitor-query-logs';
import { AuditlakeError, errorMessage } from '../../errors.js';

export interface SliceRequest {
  workspace: string;
  table: string;
  fromMs: number;
  toMs: number;
  /** Rows asked for; one more comes back when the slice holds more (the sign to split it). */
  maxRows: number;
}

export type SliceAnswer =
  | { kind: 'rows'; table: LogsTable; truncated: boolean }
  | { kind: 'split'; reason: string }
  | { kind: 'missing'; reason: string };

const iso = (ms: number) => new Date(ms).toISOString();

/** Ordered by time, bounded exactly (the API's `timespan` alone is coarser), capped at maxRows + 1. */
export function sliceKql(table: string, fromMs: number, toMs: number, maxRows: number): string {
  return `${table}\n| where TimeGenerated >= datetime(${iso(fromMs)}) and TimeGenerated < datetime(${iso(toMs)})\n`
    + `| sort by TimeGenerated asc\n| take ${maxRows + 1}`;
}

const TOO_BIG = /too ?large|exceed|limit|E_QUERY_RESULT_SET_TOO_LARGE|ResponsePayloadTooLarge|timed? ?out|timeout/i;

export async function querySlice(client: LogsQueryClient, q: SliceRequest, abortSignal?: AbortSignal): Promise<SliceAnswer> {
  const where = `${q.table} ${iso(q.fromMs)}..${iso(q.toMs)}`;
  let result;
  try {
    result = await client.queryWorkspace(q.workspace, sliceKql(q.table, q.fromMs, q.toMs, q.maxRows),
      // A hair wider than the KQL bounds, which are the exact ones.
      { startTime: new Date(q.fromMs), endTime: new Date(q.toMs + 1) },
      { serverTimeoutInSeconds: 600, ...(abortSignal ? { abortSignal } : {}) });
  } catch (err) {
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
  if (result.status === LogsQueryResultStatus.PartialFailure) {
    const error = result.partialError;
    return { kind: 'split', reason: `partial result (${error.code ?? 'PartialError'}: ${(error.message ?? '').slice(0, 160)})` };
  }
  if (result.status !== LogsQueryResultStatus.Success) throw new AuditlakeError('source_unavailable', `Log Analytics query of ${where}: unexpected status ${String(result.status)}`);
  const table = result.tables[0];
  if (!table) throw new AuditlakeError('source_unavailable', `Log Analytics query of ${where}: the answer holds no table`);
  return { kind: 'rows', table, truncated: table.rows.length > q.maxRows };
}
