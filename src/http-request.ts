/**
 * One HTTP request through node:http, or node:https for an https URL: the CLI's calls to an
 * auditlake server, and the webhook sink's POSTs. Not fetch: each `auditlake query` through a
 * server is a fresh process, and a process's first fetch loads undici (measured here: 50–56 ms
 * to a local health check, against 8 ms with node:http).
 */
import http, { type Agent, type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Ends the request, and a response still being read, when it aborts. */
  signal?: AbortSignal;
  /** Connections to reuse (the webhook sink's keep-alive pool); by default one of its own, closed after. */
  agent?: Agent;
}

/** The response once its headers arrive; its body is read (or resumed, to discard it) from the message. */
export function httpRequest(url: string | URL, options: RequestOptions = {}): Promise<IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  // The scheme only: a URL may carry a key in its query.
  if (!client) return Promise.reject(new Error(`${target.protocol} URLs are not served: only http and https`));
  const headers = { ...options.headers, ...(options.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(options.body)) }) };
  return new Promise((resolve, reject) => {
    // By default no shared agent: the CLI makes one request per process, and an idle keep-alive
    // socket would hold it open.
    const req = client.request(target, { method: options.method ?? 'GET', headers, signal: options.signal, agent: options.agent ?? false }, resolve);
    req.on('error', reject);
    req.end(options.body);
  });
}
