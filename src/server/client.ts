/**
 * The client side of the server: `auditlake query` and `auditlake alerts` open the database
 * themselves when they can, and when another process holds it (DuckDB allows one process per
 * file) they send the statement and its bound parameters to that process's server, found
 * through `<db>.server.json` or given with --server / --token-file.
 */
import type { IncomingMessage } from 'node:http';
import { AuditlakeError, errorMessage } from '../errors.js';
import type { QueryResult } from '../store/duckdb.js';
import { isLockConflict, Store } from '../store/duckdb.js';
import { defaultTokenFile, readServerInfo, readTokenFile, serverInfoPath } from './discovery.js';
import { retryAfterMs } from '../retry-after.js';
import { readSqlAnswer } from './answer-lines.js';
import { answerReviver } from './answer-values.js';
import { httpRequest } from '../http-request.js';

export interface ServerTarget {
  url: string;
  tokenFile: string;
}

export interface RemoteResult extends QueryResult {
  /** The server's row limit cut the result. */
  truncated: boolean;
}

export interface QueryServerOptions {
  /** Ask for at most this many rows (the server's own limit still applies). */
  maxRows?: number;
  /** Give up waiting after this (default 10 min; the server's time limit normally answers first). */
  timeoutMs?: number;
}

interface ErrorBody { error?: string; code?: string }

/** Runs `sql` with `params` bound as `$name` by the server's DuckDB. */
export async function queryServer(
  target: ServerTarget,
  sql: string,
  params: Record<string, string | number | boolean | null> = {},
  options: QueryServerOptions = {},
): Promise<RemoteResult> {
  const token = readTokenFile(target.tokenFile);
  const endpoint = `${target.url.replace(/\/+$/, '')}/sql`;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  let res: IncomingMessage;
  let answer: RemoteResult | { whole: string };
  // A busy server (its statements-at-once limit) answers 429 with Retry-After: wait and ask again, up to a minute.
  for (let waited = 0; ; ) {
    try {
      res = await httpRequest(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ sql, params, ...(options.maxRows ? { maxRows: options.maxRows } : {}) }),
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new AuditlakeError('store_failed', `cannot reach the auditlake server at ${target.url}: ${errorMessage(cause ?? err)}`, { cause: err });
    }
    try {
      answer = await readSqlAnswer(res, answerReviver);
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      throw new AuditlakeError('query_failed', `the auditlake server at ${target.url} cut its answer short (${errorMessage(cause ?? err)}); the server's log says why`, { cause: err });
    }
    const waitMs = res.statusCode === 429 ? (retryAfterMs(firstHeader(res, 'retry-after')) ?? 1000) : undefined;
    if (waitMs === undefined || waited + waitMs > 60_000 || Date.now() + waitMs > deadline) break;
    await new Promise((r) => setTimeout(r, waitMs));
    waited += waitMs;
  }
  if (!('whole' in answer)) return answer;
  const text = answer.whole;
  if (!succeeded(res)) {
    let body: ErrorBody = {};
    try {
      body = JSON.parse(text) as ErrorBody;
    } catch { /* not JSON: the status says it */ }
    const why = body.error ?? `HTTP ${res.statusCode} ${text.slice(0, 200)}`;
    switch (body.code ?? '') {
      case 'unauthorized':
        throw new AuditlakeError('bad_argument', `the server at ${target.url} refused the token in ${target.tokenFile} (is it this server's token file?)`);
      case 'refused':
        throw new AuditlakeError('bad_argument', `the server refused the statement: ${why}`);
      case 'timeout':
        throw new AuditlakeError('query_failed', `${why} (the server's limit; narrow the query, e.g. by time)`);
      default:
        throw new AuditlakeError('query_failed', `query failed on the server at ${target.url}: ${why}`);
    }
  }
  // An answer on one line (a server before the line layout): parsed whole.
  const body = JSON.parse(text) as RemoteResult;
  return { columns: body.columns, rows: body.rows.map(answerReviver(body.columns)), truncated: body.truncated };
}

const succeeded = (res: IncomingMessage): boolean => res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;

/** A header's value, the first when it came more than once. */
function firstHeader(res: IncomingMessage, name: string): string | null {
  const v = res.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

/** A live server on this host answers its health check in milliseconds. */
const HEALTH_TIMEOUT_MS = 2000;

export interface ServerChoice {
  /** --server URL: always go through this server. */
  server?: string;
  /** --token-file F: the token for it (default: the one the info file names, else `<db>.token`). */
  tokenFile?: string;
}

/** An explicit --server, or the live server of the process holding `db`, or undefined. */
export function serverTarget(db: string, choice: ServerChoice, info = readServerInfo(db)): ServerTarget | undefined {
  if (choice.server) return { url: choice.server, tokenFile: choice.tokenFile ?? info?.tokenFile ?? defaultTokenFile(db) };
  if (!info) return undefined;
  return { url: info.url, tokenFile: choice.tokenFile ?? info.tokenFile };
}

/** The server answers its health check (an info file whose pid was reused by another process does not). */
async function answers(target: ServerTarget): Promise<boolean> {
  try {
    const res = await httpRequest(`${target.url.replace(/\/+$/, '')}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    res.resume();
    return succeeded(res);
  } catch {
    return false;
  }
}

/** Store.open failed because another process holds the file's lock. */
export function isHeldByAnotherProcess(err: unknown): boolean {
  return err instanceof AuditlakeError && err.code === 'store_failed' && isLockConflict(err.message);
}

/**
 * Where to send statements: --server; else the database itself, opened read-only; else, when a
 * process writing it holds its lock, that process's server.
 */
export async function openOrFindServer(db: string, choice: ServerChoice): Promise<{ store: Store } | { server: ServerTarget }> {
  if (choice.server) return { server: serverTarget(db, choice)! };
  const info = readServerInfo(db);
  const live = serverTarget(db, choice, info);
  // A writer's server (`run`), when it answers, is asked before the file: the file is locked, and
  // trying it would load DuckDB's library (~0.2 s) only to find that. Not a read-only holder's
  // (`serve`): the file opens beside it, and answers in full rather than to its row limit.
  if (live && !info?.readOnly && (await answers(live))) return { server: live };
  try {
    return { store: await Store.open(db, { readOnly: true }) };
  } catch (err) {
    if (!isHeldByAnotherProcess(err)) throw err;
    if (live) return { server: live };
    throw new AuditlakeError('store_failed',
      `${errorMessage(err)}\n  and no live auditlake server was found in ${serverInfoPath(db)}: give --server URL --token-file FILE`, { cause: err });
  }
}
