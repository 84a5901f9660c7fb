/**
 * The console's page and assets: what `vite build` wrote to dist/web at install time, read
 * into memory when the server starts (a few hundred KB). Nothing is fetched from elsewhere at
 * run time, and the Content-Security-Policy says so to the browser too: scripts, styles and
 * requests only from this server.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { packageRoot } from '../../paths.js';

export const DEFAULT_WEB_DIR = join(packageRoot, 'dist', 'web');

export interface StaticFile {
  body: Buffer;
  contentType: string;
  headers: Record<string, string>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** uPlot and Preact set styles through the CSSOM, which 'self' allows; no inline script exists. */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  // A `?token=` sign-in URL must not travel in a Referer header.
  'Referrer-Policy': 'no-referrer',
};

/** URL path (`/`, `/assets/index-1a2b.js`) → file; undefined when dist/web was not built. */
export function loadWebFiles(dir = DEFAULT_WEB_DIR): Map<string, StaticFile> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const files = new Map<string, StaticFile>();
  for (const path of walk(dir)) {
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    const hashed = url.startsWith('/assets/');
    files.set(url, {
      body: readFileSync(path),
      contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      // Asset names carry a content hash: the browser may keep them (privately: they sit behind the token).
      headers: hashed ? { 'Cache-Control': 'private, max-age=31536000, immutable' } : PAGE_HEADERS,
    });
  }
  const index = files.get('/index.html')!;
  files.set('/', index);
  return files;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
