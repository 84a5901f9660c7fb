/**
 * The console's routes on the server of `run` and `serve`: sign-in, the page and its assets,
 * and read-only JSON views. All but sign-in sit behind the token or a session from the
 * console's own page (http.ts checks them first).
 *
 *   POST /login          form `token=…` → session cookie, redirect to /
 *   GET  /?token=…       the same, for a link; redirects to the page without the token
 *   POST /logout         ends the session (the server forgets it)
 *   GET  /, /assets/*    the page (dist/web, built by `npm run build`)
 *   GET  /api/alerts     ?severity=&detector=&principal=&from=&to=&offset=
 *   GET  /api/alert      ?id=
 *   GET  /api/principal  ?p=<object id | name | IP>&from=&to=&offset=
 *   GET  /api/resources
 *   GET  /api/resource   ?id=&from=&to=
 *   GET  /api/queries    the saved queries
 *   POST /api/sql        {"name"|"sql", "params", "format": json|csv|parquet}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { HttpError, parseWith, readBody, readJson, send, sendJson } from '../respond.js';
import type { SqlContext, StatementSlots } from '../statements.js';
import { alertDetail, alertList, alertsQuerySchema } from './alerts.js';
import { signInPage, type ServerAuth } from './auth.js';
import { principalQuerySchema, principalView } from './principal.js';
import { resourceList, resourceQuerySchema, resourceView } from './resource.js';
import { consoleSqlSchema, runConsoleSql, savedQueries } from './sql.js';
import { loadWebFiles, PAGE_HEADERS, type StaticFile } from './static.js';

export interface ConsoleRoutes {
  /** Sign-in requests, answered before the token check; false when `req` is not one. */
  signIn(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** A signed-in request; false when no console route matches. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** Whether an unauthorized request should get the sign-in page rather than a JSON 401. */
  wantsPage(req: IncomingMessage, url: URL): boolean;
}

type View = (ctx: SqlContext, params: URLSearchParams) => Promise<object>;

const alertIdSchema = z.object({ id: z.string().min(1).max(200) });

const VIEWS: Record<string, View> = {
  '/api/alerts': (ctx, p) => alertList(ctx, parse(alertsQuerySchema, p)),
  '/api/alert': (ctx, p) => alertDetail(ctx, parse(alertIdSchema, p).id),
  '/api/principal': (ctx, p) => principalView(ctx, parse(principalQuerySchema, p)),
  '/api/resources': (ctx) => resourceList(ctx),
  '/api/resource': (ctx, p) => resourceView(ctx, parse(resourceQuerySchema, p)),
  '/api/queries': () => Promise.resolve(savedQueries()),
};

export function consoleRoutes(options: { ctx: SqlContext; slots: StatementSlots; auth: ServerAuth; maxBodyBytes: number; webDir?: string }): ConsoleRoutes {
  const { ctx, slots, auth, maxBodyBytes } = options;
  const files = loadWebFiles(options.webDir);
  if (!files) ctx.log.warn({}, 'The console page is not built (dist/web is missing: run npm run build); its API still answers.');

  async function signIn(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname === '/login' && req.method === 'POST') {
      const form = new URLSearchParams((await readBody(req, 4096)).toString('utf8'));
      answerSignIn(req, res, form.get('token') ?? '', '/');
      return true;
    }
    const token = url.searchParams.get('token');
    if (req.method === 'GET' && token !== null && isPage(url)) {
      url.searchParams.delete('token');
      answerSignIn(req, res, token, `${url.pathname}${url.search}`);
      return true;
    }
    return false;
  }

  function answerSignIn(req: IncomingMessage, res: ServerResponse, token: string, then: string): void {
    if (auth.isToken(token.trim())) return redirect(res, then, auth.startSession());
    ctx.log.warn({ remote: req.socket.remoteAddress }, 'Console sign-in with a wrong token refused.');
    signInRefused(res, true);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    if (path === '/logout') {
      allow(req, 'POST', path);
      redirect(res, '/', auth.endSession(req));
      return true;
    }
    if (path === '/api/sql') {
      allow(req, 'POST', path);
      await answerSql(req, res);
      return true;
    }
    const view = VIEWS[path];
    if (view) {
      allow(req, 'GET', path);
      sendJson(res, 200, await slots.run(() => view(ctx, url.searchParams)));
      return true;
    }
    if (path === '/' || path === '/index.html' || path.startsWith('/assets/')) {
      allow(req, 'GET', path);
      const file = files?.get(path);
      if (!files) throw new HttpError(503, 'unavailable', 'the console page is not built: run npm run build (it writes dist/web)');
      if (!file) throw new HttpError(404, 'not_found', `no file ${path}`);
      serveFile(res, file);
      return true;
    }
    return false;
  }

  async function answerSql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only scripts of the page send JSON; a form on another site cannot (defence beside SameSite).
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      throw new HttpError(400, 'bad_request', 'send the statement as JSON (Content-Type: application/json)');
    }
    const request = await readJson(req, maxBodyBytes, consoleSqlSchema);
    const answer = await slots.run(() => runConsoleSql(ctx, request));
    if ('json' in answer) return sendJson(res, 200, answer.json);
    const { body: bytes, contentType, filename } = answer.download;
    send(res, 200, contentType, bytes, { 'Content-Disposition': `attachment; filename="${filename}"` });
  }

  return { signIn, handle, wantsPage: (req, url) => req.method === 'GET' && isPage(url) };
}

/** The page and its assets (not the API): where a browser should be shown how to sign in. */
function isPage(url: URL): boolean {
  return url.pathname === '/' || url.pathname === '/index.html' || url.pathname.startsWith('/assets/');
}

function allow(req: IncomingMessage, method: 'GET' | 'POST', path: string): void {
  if (req.method !== method) throw new HttpError(405, 'method_not_allowed', `${path} takes ${method}, not ${req.method}`, { Allow: method });
}

function redirect(res: ServerResponse, location: string, cookie: string): void {
  res.writeHead(303, { Location: location, 'Set-Cookie': cookie, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'Content-Length': '0' });
  res.end();
}

/** The sign-in page has no script and one inline style sheet: its policy allows just that. */
const SIGN_IN_HEADERS = {
  ...PAGE_HEADERS,
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

export function signInRefused(res: ServerResponse, failed: boolean): void {
  send(res, 401, 'text/html; charset=utf-8', signInPage(failed), SIGN_IN_HEADERS);
}

function serveFile(res: ServerResponse, file: StaticFile): void {
  if (res.headersSent) return void res.end();
  res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': String(file.body.length), 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...file.headers });
  res.end(file.body);
}

function parse<T extends z.ZodType>(schema: T, params: URLSearchParams): z.infer<T> {
  const obj: Record<string, string> = {};
  for (const [k, v] of params) if (v !== '') obj[k] = v;
  return parseWith(schema, obj);
}

