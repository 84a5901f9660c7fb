/** `auditlake query`: ad-hoc or saved SQL over the events, in the format an analyst needs. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { AuditlakeError, errorMessage } from '../errors.js';
import { bindParams, closestName, findSavedQuery, listSavedQueries, referencedParams, WINDOW_PARAMS, windowBound, type SavedQuery } from '../queries.js';
import { openOrFindServer, queryServer, type ServerTarget } from '../server/client.js';
import { Store, type QueryResult } from '../store/duckdb.js';
import { writeParquet } from '../store/reader.js';
import { dbOption, resolveDb } from './common.js';
import { checkOutPath, renderArrow, renderText, writeOut, writeText, type TextFormat } from './output.js';

const FORMATS = ['table', 'csv', 'json', 'ndjson', 'parquet', 'arrow'] as const;
type Format = (typeof FORMATS)[number];

interface QueryOptions {
  db?: string;
  parquet?: string;
  format: Format;
  out?: string;
  /** Absent when no --param was given. */
  param?: Record<string, string>;
  since?: string;
  until?: string;
  file?: string;
  list?: boolean;
  server?: string;
  tokenFile?: string;
}

function collectParam(value: string, acc: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new AuditlakeError('bad_argument', `--param ${value}: expected NAME=VALUE`);
  return { ...acc, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function queryCommand(): Command {
  return new Command('query')
    .description('Run SQL over the events: ad hoc, from --file, or a saved query by NAME (queries/NAME.sql). '
      + 'One statement at a time. Parameters are bound as $name (never spliced). Tables: events, rejects, alerts, checkpoints; '
      + 'events_between(since, until) is the events with since <= time < until (over --parquet, only the files of those days are opened). '
      + 'While `auditlake run` holds the database, statements go through its server (found in <db>.server.json).')
    // Examples keep their own lines: in the description, commander would re-wrap them.
    .addHelpText('after', ['', 'Examples:',
      '  auditlake query "SELECT category, count(*) FROM events GROUP BY ALL"',
      "  auditlake query --parquet ./archive \"SELECT count(*) FROM events_between('2025-11-01', '2025-11-08')\"",
      '  auditlake query principal-activity --param principal=alice@contoso.example --since 7d',
      '  auditlake query --list', ''].join('\n'))
    .argument('[sql-or-name]', 'SQL text or the name of a saved query')
    .addOption(dbOption())
    .option('--parquet <dir>', 'query an `auditlake export` folder (its events) instead of a database; for many statements, `auditlake serve --parquet DIR` keeps it open')
    .addOption(new Option('--format <format>', 'output format; in json and ndjson a repeated column name gets a suffix (a, a_2, a_3). Control characters and bidi overrides in values print escaped (\\u009b) in a table and in JSON, and in CSV to a terminal').choices(FORMATS).default('table'))
    .option('--out <file>', 'write to a file instead of stdout (required for parquet)')
    .option('--param <name=value>', 'bind $name (repeatable)', collectParam)
    .option('--since <when>', 'bind $since, the start of the time window: a duration back from now (30m, 24h, 7d), a UTC date or an ISO-8601 time')
    .option('--until <when>', 'bind $until, the end of the window (exclusive; a plain date includes that day), in the same forms')
    .option('--file <file>', 'read the SQL from a file')
    .option('--list', 'list the saved queries and their parameters')
    .option('--server <url>', 'send the statement to this auditlake server (default: the one serving --db, when its database is held)')
    .option('--token-file <file>', "the server's bearer token file (default: the one named in <db>.server.json, else <db>.token)")
    .action(async (arg: string | undefined, opts: QueryOptions) => {
      if (opts.list) return printList();
      const { sql, saved } = resolveSql(arg, opts.file);
      await runQuery(sql, saved, opts, opts.file ? `--file ${opts.file}` : saved ? `saved query ${saved.name}` : 'the SQL');
    });
}

function printList(): void {
  for (const q of listSavedQueries()) {
    const params = q.params.map((p) => (p.default === undefined ? p.name : `${p.name}=${p.default}`)).join(', ');
    process.stdout.write(`${q.name}\n  ${q.description}\n${params ? `  params: ${params}\n` : ''}`);
  }
}

function resolveSql(arg: string | undefined, file: string | undefined): { sql: string; saved?: SavedQuery } {
  if (file) {
    if (arg) throw new AuditlakeError('bad_argument', 'give either SQL/NAME or --file, not both');
    return { sql: readSqlFile(file) };
  }
  if (!arg) throw new AuditlakeError('bad_argument', 'missing the SQL, a saved query NAME, or --file (see auditlake query --help)');
  const saved = findSavedQuery(arg);
  if (saved) return { sql: saved.sql, saved };
  if (/^[A-Za-z0-9_-]+$/.test(arg)) {
    // A wrong argument, not a missing resource: the saved queries ship with auditlake.
    const near = closestName(arg, listSavedQueries().map((q) => q.name));
    throw new AuditlakeError('bad_argument', `no saved query named '${arg}'${near ? ` (did you mean ${near}?)` : ''}; auditlake query --list shows them`);
  }
  return { sql: arg };
}

function readSqlFile(file: string): string {
  if (!existsSync(file)) throw new AuditlakeError('bad_argument', `--file ${file}: no such file`);
  if (statSync(file).isDirectory()) throw new AuditlakeError('bad_argument', `--file ${file}: is a folder; expected a file holding one SQL statement`);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditlakeError('bad_argument', `--file ${file}: cannot read it (${errorMessage(err)})`, { cause: err });
  }
}

/**
 * Exactly one statement, as DuckDB's parser counts them: nothing would print an empty table, and
 * of two DuckDB shows only the first. (A server counts them itself, and refuses the same.)
 */
async function checkOneStatement(store: Store, sql: string, where: string): Promise<void> {
  const n = await store.statementCount(sql);
  if (n === undefined) return; // not SQL DuckDB can parse: running it says why
  if (n === 0) throw new AuditlakeError('bad_argument', `${where}: no SQL statement in it (only whitespace or comments)`);
  if (n > 1) throw new AuditlakeError('bad_argument', `${where}: ${n} statements; auditlake query runs one at a time (run them separately, or combine them with WITH or UNION ALL)`);
}

/**
 * `--since`/`--until` as `$since`/`$until`, ISO times: what every saved query's window is named,
 * and what an analyst types first. Refused when the statement has no such parameter, rather
 * than ignored: the answer would not be the window asked for.
 */
function windowParams(sql: string, opts: QueryOptions): Record<string, string> {
  const window: Record<string, string> = {};
  for (const name of WINDOW_PARAMS) {
    const value = opts[name];
    if (value === undefined) continue;
    if (opts.param && name in opts.param) throw new AuditlakeError('bad_argument', `give --${name} or --param ${name}, not both`);
    if (!referencedParams(sql).has(name)) throw new AuditlakeError('bad_argument', `--${name} ${value}: the query has no $${name} parameter`);
    window[name] = windowBound(name, value, `--${name}`);
  }
  return window;
}

async function runQuery(sql: string, saved: SavedQuery | undefined, opts: QueryOptions, where: string): Promise<void> {
  const params = bindParams(sql, { ...opts.param, ...windowParams(sql, opts) }, saved);
  if (opts.format === 'parquet' && !opts.out) throw new AuditlakeError('bad_argument', '--format parquet needs --out FILE');
  if (opts.format === 'arrow' && !opts.out && process.stdout.isTTY) throw new AuditlakeError('bad_argument', '--format arrow is binary: give --out FILE or pipe it');
  if (opts.out) checkOutPath(opts.out); // before the query runs, which can take a while
  const body = sql.replace(/;\s*$/, '');
  if (opts.parquet) {
    // Said rather than one of them silently ignored: the answer would come from the other source.
    const other = opts.db ? '--db' : opts.server ? '--server' : undefined;
    if (other) throw new AuditlakeError('bad_argument', `--parquet ${opts.parquet} queries an export folder: give it without ${other}`);
    return runLocal(await Store.overParquet(opts.parquet), body, params, opts, where);
  }
  const db = resolveDb(opts.db);
  if (!opts.server && !existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there yet (run auditlake replay first)`);
  const opened = await openOrFindServer(db, opts);
  if ('server' in opened) return runRemote(opened.server, body, params, opts);
  return runLocal(opened.store, body, params, opts, where);
}

async function runLocal(store: Store, body: string, params: Record<string, string>, opts: QueryOptions, where: string): Promise<void> {
  try {
    await checkOneStatement(store, body, where);
    if (opts.format === 'parquet') {
      // Materialise with bound parameters, then let DuckDB write the Parquet file.
      await store.execute(`CREATE TEMP TABLE auditlake_result AS ${body}`, params);
      await store.execute(`COPY auditlake_result TO '${opts.out!.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`);
      return;
    }
    await emit(await store.query(body, params), opts);
  } finally {
    store.close();
  }
}

/** The same statement and bound values, run by the server of the process holding the database. */
async function runRemote(server: ServerTarget, body: string, params: Record<string, string>, opts: QueryOptions): Promise<void> {
  const result = await queryServer(server, body, params);
  if (result.truncated) {
    process.stderr.write(`auditlake: the server returned only the first ${result.rows.length} rows (its row limit); narrow the query or add LIMIT\n`);
  }
  // The server's process holds the database: this one writes the Parquet file from the rows.
  if (opts.format === 'parquet') return writeParquet(result.columns, renderText(result, 'ndjson'), opts.out!);
  await emit(result, opts);
}

async function emit(result: QueryResult, opts: QueryOptions): Promise<void> {
  if (opts.format === 'arrow') writeOut([await renderArrow(result)], opts.out);
  else writeText(result, opts.format as TextFormat, opts.out);
}
