/**
 * A local stand-in for the Log Analytics query API (`POST /v1/workspaces/{id}/query`) and the
 * Entra token endpoint, on one HTTPS server (https-peer.ts), so the real LogsQueryClient with
 * a real ClientSecretCredential can query it.
 *
 * Each workspace holds recorded-shape tables (`{columns:[{name,type}], rows:[[...]]}`, cells as
 * the service sends them: datetimes as ISO text, dynamics as JSON text). A query is answered by
 * reading what auditlake's KQL says — the table, `TimeGenerated >= datetime(A) and < datetime(B)`,
 * `take N` — and returning the rows in that range, in time order, up to N. A range holding more
 * than `maxRowsPerAnswer` rows gets what the service sends over its limits: a PartialFailure (the
 * rows it had, plus `error`), or with `overLimit: 'error'` an HTTP 400 'response too large'. The
 * bearer token is checked on every query.
 */
import { startHttpsPeer, tokenEndpoint, type HttpsPeer, type TokenEndpoint } from './https-peer.js';

export interface RecordedTable { columns: { name: string; type: string }[]; rows: unknown[][] }

export interface LogAnalyticsQuery { workspace: string; table: string; fromMs: number; toMs: number; take: number; answered: 'rows' | 'partial' | 'too-large' | 'missing'; rows: number }

export interface LogAnalyticsPeerOptions {
  /** workspace id → table name → recorded table. */
  workspaces: Record<string, Record<string, RecordedTable>>;
  maxRowsPerAnswer?: number;
  overLimit?: 'partial' | 'error';
  /** Wait this long before each answer (to stop a backfill midway). */
  delayMs?: number;
  /** Answer every query 429 with `Retry-After: 0`, as the service does a caller over its rate. */
  throttle?: boolean;
}

export interface LogAnalyticsPeer {
  /** The query endpoint, with /v1. */
  endpoint: string;
  /** `https://127.0.0.1:PORT`: the authority host for the credential. */
  url: string;
  ca: string;
  caFile: string;
  entra: TokenEndpoint;
  queries: LogAnalyticsQuery[];
  /** Queries refused for a missing or wrong bearer token. */
  unauthorized: number;
  /** Queries answered 429 (`throttle`). */
  throttled: number;
  options: LogAnalyticsPeerOptions;
  http: HttpsPeer;
  close(): Promise<void>;
}

const ROUTE = /^\/v1\/workspaces\/([^/]+)\/query$/;
const RANGE = /TimeGenerated >= datetime\(([^)]+)\) and TimeGenerated < datetime\(([^)]+)\)/;

export async function startLogAnalyticsPeer(options: LogAnalyticsPeerOptions): Promise<LogAnalyticsPeer> {
  const entra = tokenEndpoint();
  const queries: LogAnalyticsQuery[] = [];
  const json = (res: import('node:http').ServerResponse, status: number, value: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
  const peer: LogAnalyticsPeer = {
    endpoint: '', url: '', ca: '', caFile: '', entra, queries, unauthorized: 0, throttled: 0, options, http: undefined as unknown as HttpsPeer,
    close: async () => { await peer.http.close(); },
  };
  peer.http = await startHttpsPeer(async (req, body, res) => {
    if (entra.handle(req, body, res)) return;
    const url = new URL(req.url ?? '/', 'https://peer');
    const route = ROUTE.exec(url.pathname);
    if (!route || req.method !== 'POST') { json(res, 404, { error: { code: 'PathNotFound', message: `no route ${req.method} ${url.pathname}` } }); return; }
    if (req.headers.authorization !== `Bearer ${entra.accessToken}`) {
      peer.unauthorized++;
      json(res, 401, { error: { code: 'AuthorizationRequiredError', message: 'Valid authentication was not provided' } });
      return;
    }
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (options.throttle) {
      peer.throttled++;
      res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '0' })
        .end(JSON.stringify({ error: { code: 'ThrottledError', message: 'Rate limit is exceeded. Try again later.' } }));
      return;
    }
    const workspace = decodeURIComponent(route[1]!);
    const { query } = JSON.parse(body.toString('utf8')) as { query: string; timespan?: string };
    const tableName = query.split('\n')[0]!.trim();
    const range = RANGE.exec(query);
    const take = Number(/\| take (\d+)/.exec(query)?.[1] ?? Infinity);
    if (!range) { json(res, 400, { error: { code: 'BadArgumentError', message: 'the peer reads only auditlake backfill queries' } }); return; }
    const fromMs = Date.parse(range[1]!);
    const toMs = Date.parse(range[2]!);
    const table = options.workspaces[workspace]?.[tableName];
    const log: LogAnalyticsQuery = { workspace, table: tableName, fromMs, toMs, take, answered: 'rows', rows: 0 };
    queries.push(log);
    if (!options.workspaces[workspace]) { json(res, 404, { error: { code: 'WorkspaceNotFoundError', message: `Workspace ${workspace} not found` } }); return; }
    if (!table) {
      log.answered = 'missing';
      json(res, 400, { error: { code: 'BadArgumentError', message: 'The request had some invalid properties',
        innererror: { code: 'SemanticError', message: `'${tableName}' operator: Failed to resolve table expression named '${tableName}'` } } });
      return;
    }
    const t = table.columns.findIndex((c) => c.name === 'TimeGenerated');
    const inRange = table.rows
      .filter((r) => { const ms = Date.parse(String(r[t])); return ms >= fromMs && ms < toMs; })
      .sort((a, b) => Date.parse(String(a[t])) - Date.parse(String(b[t])));
    const max = options.maxRowsPerAnswer ?? Infinity;
    if (inRange.length > max) {
      if (options.overLimit === 'error') {
        log.answered = 'too-large';
        json(res, 400, { error: { code: 'ResponsePayloadTooLarge', message: 'Response size too large: the query result exceeded the maximum size allowed' } });
        return;
      }
      log.answered = 'partial';
      log.rows = max;
      json(res, 200, {
        tables: [{ name: 'PrimaryResult', columns: table.columns, rows: inRange.slice(0, max) }],
        error: { code: 'PartialError', message: 'There were some errors when processing your query.',
          details: [{ code: 'EngineError', message: 'Something went wrong processing your query on the server.',
            innererror: { code: '-2133196797', message: 'Query result set has exceeded the internal data size limit 67108864 (E_QUERY_RESULT_SET_TOO_LARGE).' } }] },
      });
      return;
    }
    const rows = inRange.slice(0, take);
    log.rows = rows.length;
    json(res, 200, { tables: [{ name: 'PrimaryResult', columns: table.columns, rows }] });
  });
  peer.url = peer.http.url;
  peer.endpoint = `${peer.http.url}/v1`;
  peer.ca = peer.http.ca;
  peer.caFile = peer.http.caFile;
  return peer;
}
