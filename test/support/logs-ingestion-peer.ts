/**
 * A local stand-in for the Azure Monitor Logs Ingestion API (a data collection endpoint) and
 * the Entra token endpoint, on one HTTPS server (https-peer.ts), so the real LogsIngestionClient
 * with a real ClientSecretCredential can upload to it.
 *
 * `POST /dataCollectionRules/{ruleId}/streams/{stream}?api-version=...` with a gzipped JSON
 * array answers 204 — or, in order, the replies queued in `replies` (a status with headers and an
 * error body, or `'hang'`: never answer). Every upload is recorded with its raw and decoded size
 * and its rows.
 *
 * ```ts
 * const peer = await startLogsIngestionPeer();
 * peer.replies.push({ status: 429, headers: { 'retry-after': '7' } });
 * const credential = credentialFrom({ kind: 'clientSecret', tenantId: 't', clientId: 'c', clientSecret: 's', authorityHost: peer.url }, { tlsOptions: { ca: peer.ca } });
 * ```
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startHttpsPeer, tokenEndpoint, type HttpsPeer, type TokenEndpoint, type TokenEndpointOptions } from './https-peer.js';

export type IngestionReply = { status: number; headers?: Record<string, string>; error?: { code: string; message: string } } | 'hang';

export interface IngestionUpload {
  ruleId: string;
  stream: string;
  apiVersion: string | null;
  headers: IncomingHttpHeaders;
  /** Bytes on the wire (gzipped). */
  rawBytes: number;
  /** Bytes of the JSON text after gunzip. */
  jsonBytes: number;
  rows: Array<Record<string, unknown>>;
  /** What the peer answered ('hang' for none). */
  status: number | 'hang';
}

export interface LogsIngestionPeer {
  /** `https://127.0.0.1:PORT`: the endpoint, and the authority host for the credential. */
  url: string;
  ca: string;
  entra: TokenEndpoint;
  /** Answers for the next uploads, first first; when empty, 204. */
  replies: IngestionReply[];
  uploads: IngestionUpload[];
  http: HttpsPeer;
  close(): Promise<void>;
}

const ROUTE = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/;

export async function startLogsIngestionPeer(options: { token?: TokenEndpointOptions } = {}): Promise<LogsIngestionPeer> {
  const entra = tokenEndpoint(options.token);
  const replies: IngestionReply[] = [];
  const uploads: IngestionUpload[] = [];
  const hanging: ServerResponse[] = [];
  const http = await startHttpsPeer((req, body, res) => {
    if (entra.handle(req, body, res)) return;
    const url = new URL(req.url ?? '/', 'https://peer');
    const route = ROUTE.exec(url.pathname);
    if (!route || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NotFound', message: `no route ${req.method} ${url.pathname}` } }));
      return;
    }
    const json = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
    const rows = JSON.parse(json.toString('utf8')) as Array<Record<string, unknown>>;
    const reply = replies.shift() ?? { status: 204 };
    uploads.push({
      ruleId: decodeURIComponent(route[1]!),
      stream: decodeURIComponent(route[2]!),
      apiVersion: url.searchParams.get('api-version'),
      headers: req.headers,
      rawBytes: body.length,
      jsonBytes: json.length,
      rows,
      status: reply === 'hang' ? 'hang' : reply.status,
    });
    if (reply === 'hang') {
      hanging.push(res);
      return;
    }
    if (reply.status === 204) {
      res.writeHead(204, reply.headers).end();
      return;
    }
    const error = reply.error ?? { code: 'ServiceError', message: `peer answered ${reply.status}` };
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(JSON.stringify({ error }));
  });
  return {
    url: http.url,
    ca: http.ca,
    entra,
    replies,
    uploads,
    http,
    close: async () => {
      for (const res of hanging) res.destroy();
      await http.close();
    },
  };
}
