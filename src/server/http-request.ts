/**
 * One HTTP request through node:http (or node:https for a server behind TLS), for the CLI's calls
 * to an auditlake server. Not fetch: each `auditlake query` through a server is a fresh process,
 * and a process's first fetch loads undici (measured here: 50–56 ms to a local health check,
 * against 8 ms with node:http).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Ends the request, and a response still being read, when it aborts. */
  signal?: AbortSignal;
}

/** The response once its headers arrive; its body is read (or resumed, to discard it) from the message. */
export function httpRequest(url: string, options: RequestOptions = {}): Promise<IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new Error(`${url}: only http and https URLs are served`));
  const headers = { ...options.headers, ...(options.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(options.body)) }) };
  return new Promise((resolve, reject) => {
    // No shared agent: one request per process, and no idle keep-alive socket to hold it open.
    const req = client.request(target, { method: options.method ?? 'GET', headers, signal: options.signal, agent: false }, resolve);
    req.on('error', reject);
    req.end(options.body);
  });
}
