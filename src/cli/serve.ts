/**
 * `auditlake serve --db PATH`: the investigation console and read-only SQL over a database
 * nobody is writing — a copy taken from a server, or an incident replayed on a laptop. The
 * database is opened read-only (so `auditlake query --db` opens it beside this process), the
 * server is the one `run` starts (same token file, same `<db>.server.json`, marked read-only),
 * and SIGINT/SIGTERM stop it.
 *
 * `auditlake serve --parquet DIR` serves an `auditlake export` folder the same way: months of
 * history past the database's retention, investigated with the console or `query --server`,
 * with the files' footers and bytes kept between statements. It writes no info file: nothing
 * needs to find it, since `query --parquet` reads the folder itself.
 *
 * The token itself is never printed: the console URL is, with the token file's path. Signing in
 * is pasting the token into the page, or opening `URL?token=$(cat FILE)` — one command for the
 * operator, and no secret in scrollback, screen shares or terminal logs.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { AuditlakeError, errorMessage } from '../errors.js';
import { defaultTokenFile, readServerInfo, serverInfoPath } from '../server/discovery.js';
import { Metrics } from '../server/metrics.js';
import { startLiveServer } from '../service/live-server.js';
import { createLogger, type LogLevel } from '../service/log.js';
import { Store } from '../store/duckdb.js';
import { dbOption, positiveInt, resolveDb } from './common.js';

interface ServeOptions {
  db?: string;
  parquet?: string;
  host: string;
  port: number;
  tokenFile?: string;
  queryTimeout: number;
  maxRows: number;
  logLevel: LogLevel;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the investigation console and read-only SQL for a database (a copy, or a replayed incident), or for an '
      + '`auditlake export` folder (--parquet), opened read-only. Prints the console URL; sign in with the token in the token file '
      + '(default <db>.token or <dir>.token, created with mode 0600). While `auditlake run` holds a database, its own server serves '
      + 'the console: no serve needed.')
    // Examples keep their own lines: in the description, commander would re-wrap them.
    .addHelpText('after', ['', 'Examples:',
      '  auditlake replay --db incident.duckdb ./logs && auditlake serve --db incident.duckdb',
      '  xdg-open "http://127.0.0.1:8781/?token=$(cat incident.duckdb.token)"',
      '  auditlake serve --parquet ./archive    # then: auditlake query --server http://127.0.0.1:8781 --token-file archive.token ...', ''].join('\n'))
    .addOption(dbOption())
    .option('--parquet <dir>', 'serve an `auditlake export` folder (its events) instead of a database')
    .option('--host <host>', 'address to listen on (beyond loopback, only the token protects it)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', positiveInt('--port', { max: 65535 }), 8781)
    .option('--token-file <file>', 'the bearer token file (default <db>.token, or <dir>.token; created with mode 0600 when absent)')
    .option('--query-timeout <seconds>', 'time limit of one statement', positiveInt('--query-timeout', { min: 1, max: 3600 }), 30)
    .option('--max-rows <n>', 'rows a statement may return', positiveInt('--max-rows', { min: 1, max: 10_000_000 }), 100_000)
    .addOption(new Option('--log-level <level>', 'JSON log lines on stderr from this level').choices(['error', 'warn', 'info', 'debug']).default('warn'))
    .action(async (opts: ServeOptions) => serve(opts));
}

async function serve(opts: ServeOptions): Promise<void> {
  const source = opts.parquet ? await openExport(opts.parquet, opts.db) : await openDatabase(opts.db);
  const { store, name } = source;
  const log = createLogger(opts.logLevel, process.stderr);
  const tokenFile = resolve(opts.tokenFile ?? defaultTokenFile(name.replace(/(.)\/+$/, '$1')));
  // The same server `run` starts, with its token file and, for a database, `<db>.server.json`.
  const server = await startLiveServer({
    config: { enabled: true, host: opts.host, port: opts.port, tokenFile, queryTimeoutSeconds: opts.queryTimeout, maxRows: opts.maxRows },
    db: source.db,
    store,
    metrics: new Metrics(),
    isReady: () => true,
    log,
  }).catch((err: unknown) => {
    store.close();
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE') throw new AuditlakeError('bad_argument', `--port ${opts.port}: in use (give another, or --port 0 for a free one)`);
    // A host that does not resolve, or is not an address of this machine.
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EADDRNOTAVAIL') {
      throw new AuditlakeError('bad_argument', `--host ${opts.host}: cannot listen there (${errorMessage(err)})`);
    }
    throw err;
  });
  // Read-only, the file is not upgraded: saved queries that read what a migration adds would fail.
  const advice = await store.upgradeAdvice();
  if (advice) process.stderr.write(`auditlake: warning: ${advice}; until then, saved queries that need it fail.\n`);
  process.stderr.write(`auditlake: serving ${name} (read-only). Console: ${server.url}/\n`
    + `  Sign in with the token in ${tokenFile}, or open ${server.url}/?token=$(cat ${shellQuote(tokenFile)})\n`
    + '  Ctrl-C stops.\n');

  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  store.close();
  process.stderr.write('auditlake: stopped.\n');
}

/** The database, read-only, unless another `serve` has it already. */
async function openDatabase(given: string | undefined): Promise<{ store: Store; name: string; db: string }> {
  const db = resolveDb(given);
  if (!existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there (create one with auditlake replay)`);
  const live = readServerInfo(db);
  if (live) {
    throw new AuditlakeError('bad_argument', `process ${live.pid} serves ${db} already: its console is at ${live.url}/ (token in ${live.tokenFile})`);
  }
  const store = await Store.open(db, { readOnly: true }).catch((err: unknown) => {
    throw new AuditlakeError('store_failed', `${errorMessage(err)}\n  (a process writing it serves its own console: see ${serverInfoPath(db)})`, { cause: err });
  });
  return { store, name: db, db };
}

/** The export folder's events. */
async function openExport(dir: string, db: string | undefined): Promise<{ store: Store; name: string; db?: undefined }> {
  // Said rather than one of them silently ignored: the console would show the other source.
  if (db) throw new AuditlakeError('bad_argument', `--parquet ${dir} serves an export folder: give it without --db`);
  return { store: await Store.overParquet(dir, { longLived: true }), name: dir };
}

function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}
