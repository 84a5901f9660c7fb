/**
 * The HTTP server of `auditlake run` and `auditlake serve`, with what makes it findable: the token file (mode 0600)
 * and `<db>.server.json`, through which `auditlake query` and `alerts` reach a held database.
 */
import type { Config } from '../config.js';
import { defaultTokenFile, ensureTokenFile, removeServerInfo, writeServerInfo } from '../server/discovery.js';
import { startServer, type Readiness } from '../server/http.js';
import type { Metrics } from '../server/metrics.js';
import type { Store } from '../store/duckdb.js';
import type { Logger } from './log.js';

export interface LiveServer {
  url: string;
  close(): Promise<void>;
}

export async function startLiveServer(options: {
  config: Config['server'];
  /** The database served, found through `<db>.server.json`; none for an export folder (its token file is given). */
  db?: string;
  store: Store;
  metrics: Metrics;
  isReady: () => boolean | Readiness;
  log: Logger;
}): Promise<LiveServer> {
  const { config, db, store, metrics, isReady, log } = options;
  const tokenFile = config.tokenFile ?? (db ? defaultTokenFile(db) : undefined);
  if (!tokenFile) throw new Error('startLiveServer: a token file is needed when no database is served');
  const token = ensureTokenFile(tokenFile);
  const reader = await store.reader();
  const server = await startServer({
    host: config.host,
    port: config.port,
    token,
    reader,
    metrics,
    isReady,
    limits: { queryTimeoutMs: config.queryTimeoutSeconds * 1000, maxRows: config.maxRows },
    log,
  }).catch((err: unknown) => {
    reader.close();
    throw err;
  });
  if (db) writeServerInfo(db, { url: server.url, pid: process.pid, tokenFile, readOnly: store.readOnly });
  // The console URL without the token: these lines go to log pipelines. The operator signs in
  // with the token file's content (pasted into the page, or as ?token= once).
  log.info({ url: server.url, console: `${server.url}/`, tokenFile }, 'Server listening; the console is at its root (sign in with the token in the token file).');
  return {
    url: server.url,
    close: async () => {
      if (db) removeServerInfo(db);
      await server.close();
      reader.close();
    },
  };
}
