/**
 * The HTTP server of `auditlake run` and `auditlake serve`: health, readiness, Prometheus
 * metrics, read-only SQL and the investigation console, on loopback by default. Every route
 * but /healthz (and the console's sign-in) wants the token — `Authorization: Bearer <token>`;
 * the console's routes also take its session cookie, from its own page only (console/auth.ts).
 * The token is in a 0600 file, see discovery.ts: anyone who can reach the port is not thereby
 * allowed to read audit logs.
 *
 *   GET  /healthz   200 while the process is alive (no token: for supervisors)
 *   GET  /readyz    200 when consuming, else 503 naming each source that is not and why
 *   GET  /metrics   Prometheus text
 *   POST /sql       {"sql": "...", "params": {"name": value}, "maxRows"?: n}
 *                   → {"columns": [{"name","type"}], "rows": [[...]], "truncated": bool}
 *   /, /assets/*, /api/*, /login, /logout: the console (console/routes.ts)
 * Errors are JSON `{ "error": sentence, "code": ... }` with a status that says whose fault it
 * is: 400 bad request / SQL error, 401 token, 403 statement refused (or a console request from
 * another page), 404, 405, 408 time limit, 413 body or answer too large, 429 too many statements
 * at once, 500. A browser without a session gets
 * the sign-in page (401) instead of the console's page.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { AuditlakeError, errorMessage } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';
import type { SqlReader } from '../store/reader.js';
import { createAuth, fromOwnPage } from './console/auth.js';
import { consoleRoutes, signInRefused } from './console/routes.js';
import type { Metrics } from './metrics.js';
import { HttpError, readJson, requestUrl, send, sendJson, sqlAnswerWriter } from './respond.js';
import { runAnalystSqlJson, StatementSlots, type Logger, type QueryLimits, type SqlContext } from './statements.js';

export type { ErrorCode } from './respond.js';
export type { Logger, QueryLimits } from './statements.js';

export const DEFAULT_QUERY_LIMITS: QueryLimits = { queryTimeoutMs: 30_000, maxRows: 100_000 };

export interface ServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port; `url` says which. */
  port?: number;
  token: string;
  reader: SqlReader;
  metrics: Metrics;
  isReady?: () => boolean | Readiness;
  limits?: Partial<QueryLimits>;
  log?: Logger;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * Requests running statements at once; more are answered 429 (default 2). They share DuckDB's
   * worker threads and memory limit with the batch loop's commits.
   */
  maxConcurrentQueries?: number;
  /** How long a console session lasts after sign-in (default console/auth.ts SESSION_TTL_MS). */
  sessionTtlMs?: number;
  /** The investigation console (default on); `webDir` overrides where its built page is. */
  console?: false | { webDir?: string };
}

/** What /readyz answers beyond yes or no: why not, and which sources (by key path) do not consume. */
export interface Readiness {
  ready: boolean;
  /** Why not, when not ready for a reason other than its sources (starting, stopping). */
  reason?: string;
  /** Each source that does not consume, with why (redacted by the source). */
  sources?: Record<string, string>;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Stops accepting, lets statements in flight finish (each is bounded by the time limit). */
  close(): Promise<void>;
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
  const log = options.log ?? silent;
  const isReady = options.isReady ?? (() => true);
  const { metrics } = options;
  if (options.token.length < 16) throw new AuditlakeError('bad_config', 'the server token must be at least 16 characters');
  const auth = createAuth(options.token, options.sessionTtlMs ? { ttlMs: options.sessionTtlMs } : {});
  const ctx: SqlContext = { reader: options.reader, metrics, limits, log };
  const slots = new StatementSlots(options.maxConcurrentQueries ?? 2);
  const consoleApp = options.console === false ? undefined
    : consoleRoutes({ ctx, slots, auth, maxBodyBytes, webDir: options.console?.webDir });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/healthz' && method === 'GET') return sendJson(res, 200, { status: 'ok' });
    if (await consoleApp?.signIn(req, res, url)) return;
    const route = ROUTES[path];
    // The scripts' API takes the bearer token only: a session cookie is the console's, and a
    // browser sends it along with requests other local pages make (see console/auth.ts).
    const bearer = auth.bearer(req);
    const session = !bearer && !route && consoleApp !== undefined && auth.session(req);
    if (!bearer && !session) {
      log.warn({ path, remote: req.socket.remoteAddress }, 'Request without a valid token refused.');
      if (consoleApp?.wantsPage(req, url) && /text\/html/.test(req.headers.accept ?? '')) return signInRefused(res, false);
      const cookieOnly = route !== undefined && consoleApp !== undefined && auth.session(req);
      throw new HttpError(401, 'unauthorized', `missing or wrong bearer token (Authorization: Bearer <the token in the server's token file>)${cookieOnly ? `; ${path} does not take the console's session cookie` : ''}`, { 'WWW-Authenticate': 'Bearer' });
    }
    if (session && !consoleApp!.wantsPage(req, url) && !fromOwnPage(req)) {
      log.warn({ path, remote: req.socket.remoteAddress, site: req.headers['sec-fetch-site'], origin: req.headers.origin }, 'Console request from another page refused.');
      throw new HttpError(403, 'forbidden', 'the console\'s API answers its own page only (this request came from another origin)');
    }
    if (route) {
      if (method !== route) throw new HttpError(405, 'method_not_allowed', `${path} takes ${route}, not ${method}`, { Allow: route });
      switch (path) {
        case '/healthz':
          return sendJson(res, 200, { status: 'ok' });
        case '/readyz':
          return answerReady(res);
        case '/metrics':
          return send(res, 200, metrics.contentType, await metrics.text());
        case '/sql':
          return answerSql(req, res);
      }
    }
    if (await consoleApp?.handle(req, res, url)) return;
    throw new HttpError(404, 'not_found', `no route ${path} (routes: ${Object.keys(ROUTES).join(', ')}${consoleApp ? ', the console at /' : ''})`);
  }

  function answerReady(res: ServerResponse): void {
    const answer = isReady();
    const r: Readiness = typeof answer === 'boolean' ? { ready: answer } : answer;
    if (r.ready) return sendJson(res, 200, { status: 'ready' });
    // Redacted again here: this body goes to probes, load balancers and their logs.
    const sources = Object.fromEntries(Object.entries(r.sources ?? {}).map(([k, v]) => [k, redactSecrets(v)]));
    const why = [...(r.reason ? [redactSecrets(r.reason)] : []), ...Object.entries(sources).map(([k, v]) => `${k}: ${v}`)];
    sendJson(res, 503, { error: `not consuming: ${why.join('; ') || 'not started yet, or stopping'}`, code: 'not_ready', ...(r.sources ? { sources } : {}) });
  }

  async function answerSql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { sql, params, maxRows } = await readJson(req, maxBodyBytes, sqlRequestSchema, { expected: 'expected {"sql": "...", "params": {...}}: ', whole: 'body' });
    // The rows are JSON already: written into the body as they are read, not parsed and written again.
    const answer = sqlAnswerWriter(res);
    const { truncated } = await slots.run(() => runAnalystSqlJson(ctx, sql, params, maxRows, answer));
    await answer.end(truncated);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        // An answer already under way cannot become an error: cut it, so the client sees it incomplete.
        log.warn({ err: errorMessage(err), path: req.url?.split('?')[0] }, 'Answer cut short.');
        return void res.destroy();
      }
      if (err instanceof HttpError) {
        for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
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
