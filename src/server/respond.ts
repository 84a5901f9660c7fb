/**
 * What every route of the server shares: the JSON error type, the way responses are written
 * (never cached, never sniffed) and a bounded body reader.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A JSON error body: `code` is stable for scripts, `error` a sentence for people. */
export type ErrorCode = 'bad_request' | 'unauthorized' | 'refused' | 'query_failed' | 'timeout' | 'not_found'
  | 'method_not_allowed' | 'too_large' | 'busy' | 'not_ready' | 'unavailable' | 'internal';

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: ErrorCode, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
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

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** The request's path and query, parsed once (the host is irrelevant: only the path routes). */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://auditlake.invalid');
}
