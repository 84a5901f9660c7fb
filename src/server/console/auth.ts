/**
 * Who may use the server: the holder of its token (the 0600 token file, see discovery.ts).
 * Scripts send `Authorization: Bearer <token>`; the API they use (`/sql`, `/metrics`, `/readyz`)
 * takes nothing else. A browser cannot set that header on page loads, so the console exchanges
 * the token once for a session cookie, which only the console's own routes accept:
 *
 *   - `POST /login` (a form on the sign-in page, where the analyst pastes the token), or
 *   - `GET <page>?token=<token>` (a link the operator builds from the token file), answered by a
 *     redirect to the same page without the token, so it does not stay in the address bar.
 *
 * A session is a random id the server keeps, for SESSION_TTL_MS from sign-in (fixed, not
 * sliding: a cookie copied out of a browser is worth a working day at most), forgotten at
 * `POST /logout` and when the server stops. The cookie is HttpOnly (page scripts cannot read it)
 * and SameSite=Strict; but SameSite counts every port of 127.0.0.1 as the same site, and cookies
 * ignore ports, so a page served from another local port would have the browser send it. So a
 * cookie-borne request to the console's API must come from the console's own page: a browser
 * says where a request comes from (`Sec-Fetch-Site`, else `Origin`), and anything but this
 * origin is refused. Its name is derived from the token, so two servers on one host do not
 * overwrite each other's session.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** How long a console session lasts after sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sessions kept at most; signing in beyond it forgets the oldest (each sign-in needs the token). */
const MAX_SESSIONS = 1000;

export interface ServerAuth {
  /** A valid `Authorization: Bearer` header: the only credential of the scripts' API. */
  bearer(req: IncomingMessage): boolean;
  /** A live console session cookie. */
  session(req: IncomingMessage): boolean;
  /** `given` is the token (constant time). */
  isToken(given: string): boolean;
  /** Starts a session: its Set-Cookie value. */
  startSession(): string;
  /** Forgets the request's session, if any: the Set-Cookie value that clears it in the browser. */
  endSession(req: IncomingMessage): string;
}

export function createAuth(token: string, { ttlMs = SESSION_TTL_MS, now = Date.now } = {}): ServerAuth {
  // Hash both sides: equal lengths for timingSafeEqual, and the comparison time says nothing about the token.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expectedToken = digest(token);
  const cookieName = `auditlake_${createHmac('sha256', token).update('auditlake console cookie name').digest('hex').slice(0, 12)}`;
  // Kept by the id's hash, so a lookup's timing says nothing about the ids; in sign-in order.
  const sessions = new Map<string, number>();
  const key = (id: string) => digest(id).toString('hex');

  const isToken = (given: string) => timingSafeEqual(digest(given), expectedToken) && given.length > 0;

  function bearer(req: IncomingMessage): boolean {
    const match = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    return match !== null && isToken(match[1]!);
  }

  function session(req: IncomingMessage): boolean {
    const id = readCookie(req.headers.cookie, cookieName);
    if (id === undefined) return false;
    const expires = sessions.get(key(id));
    if (expires === undefined) return false;
    if (expires > now()) return true;
    sessions.delete(key(id));
    return false;
  }

  function startSession(): string {
    const t = now();
    for (const [k, expires] of sessions) if (expires <= t) sessions.delete(k);
    while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    sessions.set(key(id), t + ttlMs);
    return `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(ttlMs / 1000)}`;
  }

  function endSession(req: IncomingMessage): string {
    const id = readCookie(req.headers.cookie, cookieName);
    if (id !== undefined) sessions.delete(key(id));
    return `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  return { bearer, session, isToken, startSession, endSession };
}

/**
 * Whether a browser says the request comes from this server's own page. `Sec-Fetch-Site` when
 * the browser sends it (all current ones do): `same-origin`, or `none` for what the user typed
 * or bookmarked. Otherwise `Origin` must be this server's. A request with neither is not a
 * browser's cross-site request (those carry at least `Origin` on a POST; a GET with neither
 * comes from a browser too old to say, or a script holding the cookie itself).
 */
export function fromOwnPage(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host ?? ''}`;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The page a browser gets without a session: how to get in, and nothing else (no data, no
 * script). `failed` when a token was given and was wrong.
 */
export function signInPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>auditlake — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1c2430}
input{font:inherit;width:100%;padding:.4rem;box-sizing:border-box}button{font:inherit;margin-top:.6rem;padding:.35rem 1rem}
code{background:#eef1f5;padding:0 .25rem}.error{color:#b3261e}</style></head>
<body><h1>auditlake console</h1>
${failed ? '<p class="error" role="alert">That token is not this server\'s token.</p>' : ''}
<p>Sign in with the server's token. It is in the token file that <code>auditlake serve</code> and
<code>auditlake run</code> name when they start (by default <code>&lt;database&gt;.token</code>, readable
only by the user running the server).</p>
<form method="post" action="/login"><label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="off" autofocus required>
<button type="submit">Sign in</button></form>
<p>Or open <code>/?token=&lt;token&gt;</code> once: the token is exchanged for a session cookie and removed from the address.</p>
</body></html>
`;
}
