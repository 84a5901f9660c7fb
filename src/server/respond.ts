/**
 * What every route of the server shares: the JSON error type, the way responses are written
 * (never cached, never sniffed), a bounded body reader and schema-checked JSON bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { errorMessage } from '../errors.js';
import type { JsonRowsSink } from '../store/reader.js';

/** A JSON error body: `code` is stable for scripts, `error` a sentence for people. */
export type ErrorCode = 'bad_request' | 'unauthorized' | 'forbidden' | 'refused' | 'query_failed' | 'timeout' | 'not_found'
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

/**
 * A value checked against a schema, or a 400 naming the field: `expected` prefixes the message
 * (what a whole request looks like), `whole` names the value when the issue is at its root.
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, { expected = '', whole = 'request' } = {}): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new HttpError(400, 'bad_request', `${expected}${issue ? `${issue.path.join('.') || whole}: ${issue.message}` : 'invalid'}`);
}

/** A JSON body checked against a schema (see parseWith). */
export async function readJson<T extends z.ZodType>(req: IncomingMessage, max: number, schema: T, names?: { expected?: string; whole?: string }): Promise<z.infer<T>> {
  const body = await readBody(req, max);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'bad_request', `the body is not JSON: ${errorMessage(err)}`);
  }
  return parseWith(schema, json, names);
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, 'too_large', `the request body is over ${max} bytes`);
}

/**
 * Rows are written in pieces of about this many characters, not a chunk's 2,048 rows (~750 KB)
 * at once: large strings and buffers take fresh memory each time, and on a VM where touching a
 * new page is dear, 16 KB pieces cut the server's page faults 3-10x and its CPU by a third on
 * 100,000-row answers (8-32 KB measured alike; bench/RESULTS.md notes).
 */
const PIECE_CHARS = 16 * 1024;

const NEVER_CACHED = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
    ...NEVER_CACHED,
    ...headers,
  });
  res.end(body);
}

/**
 * `POST /sql`'s answer, `{"columns":[…],"rows":[…],"truncated":…}`, written chunk by chunk as the
 * rows are read: a large answer (tens of MB) is never built as one string and encoded at once,
 * and the client reads while the server writes. A failure after `begin` (the client gone, the
 * time limit) can only close the connection, which the client sees as a cut body.
 *
 * One JSON document, laid out a line at a time, so a client can parse each row as it arrives
 * (`queryServer` does: answer-lines.ts) or the whole at once (newlines between values are JSON
 * whitespace):
 *
 *     {"columns":[…],"rows":[
 *     [row 1]
 *     ,[row 2]
 *     ],"truncated":false}
 */
export function sqlAnswerWriter(res: ServerResponse): JsonRowsSink & { end(truncated: boolean): Promise<void> } {
  let rowsWritten = false;
  return {
    begin(columns) {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', ...NEVER_CACHED });
      res.write(`{"columns":${JSON.stringify(columns)},"rows":[\n`);
    },
    async rows(texts) {
      if (res.destroyed) throw new Error('the client closed the connection');
      let more = true;
      let piece = '';
      for (const text of texts) {
        // A row's text holds no raw newline: JSON escapes it inside strings.
        piece += `${rowsWritten ? ',' : ''}${text}\n`;
        rowsWritten = true;
        if (piece.length >= PIECE_CHARS) {
          more = res.write(piece);
          piece = '';
        }
      }
      if (piece) more = res.write(piece);
      if (!more) await drained(res);
    },
    end: (truncated) => new Promise((resolve) => res.end(`],"truncated":${truncated}}`, resolve)),
  };
}

/** Resolves once `res` takes more; rejects if the connection closes first. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const drain = () => {
      res.off('close', close);
      resolve();
    };
    const close = () => {
      res.off('drain', drain);
      reject(new Error('the client closed the connection'));
    };
    res.once('drain', drain);
    res.once('close', close);
  });
}

/** The request's path and query, parsed once (the host is irrelevant: only the path routes). */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(req.url ?? '/', 'http://auditlake.invalid');
}
