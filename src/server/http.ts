/**
 * The HTTP server of `auditlake run`: health, readiness, Prometheus metrics and read-only SQL,
 * on loopback by default. Every route but /healthz wants `Authorization: Bearer <token>` (the
 * token is in a 0600 file, see discovery.ts): anyone who can reach the port is not thereby
 * allowed to read audit logs.
 *
 *   GET  /healthz   200 while the process is alive (no token: for supervisors)
 *   GET  /readyz    200 when consuming, else 503
 *   GET  /metrics   Prometheus text
 *   POST /sql       {"sql": "...", "params": {"name": value}, "maxRows"?: n}
 *                   → {"columns": [{"name","type"}], "rows": [[...]], "truncated": bool}
 * Errors are JSON `{ "error": sentence, "code": ... }` with a status that says whose fault it
 * is: 400 bad request / SQL error, 401 token, 403 statement refused, 404, 405, 408 time limit,
 * 413 body too large, 429 too many statements at once, 500.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { plain } from '../cli/output.js';
import { AuditlakeError, errorMessage } from '../errors.js';
import { NotASelect, QueryTimeout, type SqlReader } from '../store/reader.js';
import type { Metrics } from './metrics.js';
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
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { queryTimeoutMs: 30_000, maxRows: 100_000 };

export interface ServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port; `url` says which. */
  port?: number;
  token: string;
  reader: SqlReader;
  metrics: Metrics;
  isReady?: () => boolean;
  limits?: Partial<QueryLimits>;
  log?: Logger;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * Statements running at once; more are answered 429 (default 2). They share DuckDB's worker
   * threads and memory limit with the batch loop's commits.
   */
  maxConcurrentQueries?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Stops accepting, lets statements in flight finish (each is bounded by the time limit). */
  close(): Promise<void>;
}

/** A JSON error body: `code` is stable for scripts, `error` a sentence for people. */
export type ErrorCode = 'bad_request' | 'unauthorized' | 'refused' | 'query_failed' | 'timeout' | 'not_found'
  | 'method_not_allowed' | 'too_large' | 'busy' | 'not_ready' | 'internal';

class HttpError extends Error {
  constructor(readonly status: number, readonly code: ErrorCode, message: string) {
    super(message);
  }
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const sqlRequestSchema = z.strictObject({
  sql: z.string().min(1),
  params: z.record(z.string().regex(PARAM_NAME), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
  /** A client may ask for fewer rows than the server's limit, never more. */
  maxRows: z.int().positive().optional(),
});

const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxConcurrent = options.maxConcurrentQueries ?? 2;
  const log = options.log ?? silent;
  const isReady = options.isReady ?? (() => true);
  const { reader, metrics } = options;
  if (options.token.length < 16) throw new AuditlakeError('bad_config', 'the server token must be at least 16 characters');
  // Hash both sides: equal lengths for timingSafeEqual, and the comparison time says nothing about the token.
  const expected = createHash('sha256').update(options.token).digest();
  let running = 0;

  function authorized(req: IncomingMessage): boolean {
    const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    const given = createHash('sha256').update(m?.[1] ?? '').digest();
    return timingSafeEqual(given, expected) && m !== null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const route = ROUTES[path];
    if (!route) throw new HttpError(404, 'not_found', `no route ${path} (routes: ${Object.keys(ROUTES).join(', ')})`);
    if (method !== route) {
      res.setHeader('Allow', route);
      throw new HttpError(405, 'method_not_allowed', `${path} takes ${route}, not ${method}`);
    }
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (!authorized(req)) {
      log.warn({ path, remote: req.socket.remoteAddress }, 'Request without a valid token refused.');
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token (Authorization: Bearer <the token in the server\'s token file>)');
    }
    switch (path) {
      case '/readyz':
        return isReady() ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { error: 'not consuming yet (or stopping)', code: 'not_ready' });
      case '/metrics':
        return send(res, 200, metrics.contentType, await metrics.text());
      case '/sql':
        return answerSql(req, res);
    }
  }

  async function answerSql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, 'bad_request', `the body is not JSON: ${errorMessage(err)}`);
    }
    const parsed = sqlRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, 'bad_request', `expected {"sql": "...", "params": {...}}: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`);
    }
    const { sql, params, maxRows } = parsed.data;
    if (running >= maxConcurrent) {
      res.setHeader('Retry-After', '1');
      throw new HttpError(429, 'busy', `${running} statements are running (the limit); try again shortly`);
    }
    running++;
    const started = performance.now();
    // Lengths and counts only: statement text and parameter values can hold what analysts search for.
    const fields = { sqlChars: sql.length, params: Object.keys(params).length };
    try {
      await guardSql(reader, sql);
      const result = await reader.select(sql, params, { timeoutMs: limits.queryTimeoutMs, maxRows: Math.min(maxRows ?? limits.maxRows, limits.maxRows) });
      const ms = Math.round(performance.now() - started);
      metrics.queryAnswered(result.truncated ? 'truncated' : 'ok', ms);
      log.info({ ...fields, rows: result.rows.length, truncated: result.truncated, ms }, 'SQL answered.');
      sendJson(res, 200, { columns: result.columns, rows: result.rows.map((r) => r.map(plain)), truncated: result.truncated });
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      if (err instanceof SqlRefused || err instanceof NotASelect) {
        metrics.queryAnswered('refused', ms);
        log.warn({ ...fields, reason: err.message, ms }, 'SQL refused.');
        throw new HttpError(403, 'refused', err.message);
      }
      if (err instanceof QueryTimeout) {
        metrics.queryAnswered('timeout', ms);
        log.warn({ ...fields, ms, timeoutMs: err.timeoutMs }, 'SQL interrupted at the time limit.');
        throw new HttpError(408, 'timeout', err.message);
      }
      metrics.queryAnswered('failed', ms);
      if (err instanceof AuditlakeError && (err.code === 'query_failed' || err.code === 'bad_argument')) {
        log.info({ ...fields, ms, error: err.message.split('\n')[0] }, 'SQL failed.');
        throw new HttpError(400, 'query_failed', err.message);
      }
      throw err;
    } finally {
      running--;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status === 413) res.setHeader('Connection', 'close'); // the rest of the body is not read
        return sendJson(res, err.status, { error: err.message, code: err.code });
      }
      log.error({ err, path: req.url?.split('?')[0] }, 'Request failed.');
      sendJson(res, 500, { error: `internal error: ${errorMessage(err)}`, code: 'internal' });
    });
  });
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  if (!isLoopback(address.address)) log.warn({ url }, 'The server listens beyond loopback; only the bearer token protects it.');

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => (closing ??= new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeIdleConnections();
      // Keep-alive connections that never go idle: statements are bounded by the time limit.
      setTimeout(() => server.closeAllConnections(), limits.queryTimeoutMs + 5_000).unref();
    })),
  };
}

const ROUTES: Record<string, 'GET' | 'POST'> = { '/healthz': 'GET', '/readyz': 'GET', '/metrics': 'GET', '/sql': 'POST' };

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(tooLarge(max));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(max));
      } else parts.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, 'too_large', `the request body is over ${max} bytes`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}
