/**
 * Who may use the server: the holder of its token (the 0600 token file, see discovery.ts).
 * Scripts send `Authorization: Bearer <token>`. A browser cannot set that header on page loads,
 * so the console exchanges the token once for a session cookie:
 *
 *   - `POST /login` (a form on the sign-in page, where the analyst pastes the token), or
 *   - `GET <page>?token=<token>` (a link the operator builds from the token file), answered by a
 *     redirect to the same page without the token, so it does not stay in the address bar.
 *
 * The cookie is HttpOnly (page scripts cannot read it) and SameSite=Strict (other sites cannot
 * make the browser send it, so they cannot post SQL with it). Its value is an HMAC of the token,
 * not the token: the browser's cookie jar never holds the credential scripts use. Its name is
 * derived from the token too, so two servers on one host (cookies ignore ports) do not
 * overwrite each other's session.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface ServerAuth {
  /** A valid bearer header or session cookie. */
  authorized(req: IncomingMessage): boolean;
  /** `given` is the token (constant time). */
  isToken(given: string): boolean;
  /** Set-Cookie value that starts a browser session. */
  sessionCookie(): string;
  /** Set-Cookie value that ends it. */
  clearCookie(): string;
}

export function createAuth(token: string): ServerAuth {
  // Hash both sides: equal lengths for timingSafeEqual, and the comparison time says nothing about the token.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const expectedToken = digest(token);
  const session = createHmac('sha256', token).update('auditlake console session v1').digest('hex');
  const expectedSession = digest(session);
  const cookieName = `auditlake_${createHmac('sha256', token).update('auditlake console cookie name').digest('hex').slice(0, 12)}`;

  const isToken = (given: string) => timingSafeEqual(digest(given), expectedToken) && given.length > 0;

  function authorized(req: IncomingMessage): boolean {
    const bearer = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    if (bearer) return isToken(bearer[1]!);
    const cookie = readCookie(req.headers.cookie, cookieName);
    return cookie !== undefined && timingSafeEqual(digest(cookie), expectedSession);
  }

  return {
    authorized,
    isToken,
    sessionCookie: () => `${cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict`,
    clearCookie: () => `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
  };
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
