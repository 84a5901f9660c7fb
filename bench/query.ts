/**
 * bench/query: every saved query (queries/*.sql) over a database of N events (bench/database.ts)
 * and over its Parquet export, p50 and max of K runs after one warm-up, taken in turn (round by
 * round over every query and way of running it).
 *
 * Three ways an analyst runs them, through the code the CLI runs, each run in a process of its
 * own as each `auditlake query` is (bench/query-run.ts; loading Node, auditlake and DuckDB's
 * library, ~0.4 s, and printing are not counted):
 *   - cold: `auditlake query NAME --db` with no server holding the file: `bindParams` (defaults,
 *     then --param), `openOrFindServer(db)` → `store.query`; each run opens, queries and closes;
 *   - server: the same statement sent to `auditlake serve --db` (a separate process, the server
 *     `run` also starts), as `auditlake query` and the console do while a server holds the file:
 *     `queryServer` → HTTP → its reader, whose DuckDB keeps what earlier statements read;
 *   - Parquet: `query --parquet DIR` is `Store.overParquet(DIR)` → `store.query`, opened per run;
 *   - Parquet server: the same statement sent to `auditlake serve --parquet DIR`, whose DuckDB
 *     keeps the files' footers and bytes between statements.
 *
 *   npm run bench:query -- [events=10000000] [runs=5] [layout=compacted|appended]
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { bindParams, listSavedQueries, type SavedQuery } from '../src/queries.js';
import type { ServerTarget } from '../src/server/client.js';
import { defaultTokenFile } from '../src/server/discovery.js';
import { packageRoot } from '../src/paths.js';
import { Store } from '../src/store/duckdb.js';
import { buildBenchDatabase, compactedBenchDatabase } from './database.js';
import { fmtInt, machineBusyS, mb, processCpu, touchFreshMemoryMs } from './measure.js';
import type { QueryRun, RunTiming } from './query-run.js';
import { writeResults } from './results.js';

const events = Number(process.argv[2] ?? 10_000_000);
const runs = Number(process.argv[3] ?? 5);
/**
 * compacted: the file as `auditlake compact` leaves it (events grouped by category, then by
 * week and principal, in time order within those); appended: as ingestion leaves it, in arrival
 * order.
 */
const layout = process.argv[4] ?? 'compacted';
if (layout !== 'compacted' && layout !== 'appended') throw new Error(`layout ${layout}: expected compacted or appended`);
const TARGET_MS = 1000;
const DAY_MS = 86_400_000;
const SLOW_MS = 5000;
/** `serve --max-rows` for the server runs: every saved query's whole answer (the default is 100,000). */
const SERVER_MAX_ROWS = 10_000_000;
const EXPORT_MEMORY = '4GB';
const RUNNER = fileURLToPath(new URL('./query-run.js', import.meta.url));
const runChild = promisify(execFile);
/** CPU seconds the runs' processes used, loading included. */
let runsCpuS = 0;
/** Saved queries over tables an export does not hold. */
const NOT_EXPORTED = new Set(['alerts-recent', 'rejects-summary']);

interface Timing { openMs: number; queryMs: number; totalMs: number; rows: number }
interface Measured { saved: SavedQuery; name: string; params: Record<string, string>; live: Timing[]; server?: Timing[]; parquet?: Timing[]; parquetServer?: Timing[] }
interface Pass { label: string; window: Record<string, string>; measured: Measured[] }

const log = (line: string) => process.stderr.write(`${line}\n`);

const appended = await buildBenchDatabase(events, { log });
const db = layout === 'appended' ? appended : await compactedBenchDatabase(appended, log);
log(`Database: ${db.path}, ${fmtInt(db.events)} events, ${fmtInt(db.alerts)} alerts, ${mb(db.bytes).toFixed(0)} MB${db.built ? `, built in ${db.buildSeconds.toFixed(0)} s` : ' (cached)'}.`);
// The same rows in either layout: one export serves both.
const exported = await exportOnce(appended.path);
log(`Export: ${exported.dir}, ${exported.files} files, ${mb(exported.bytes).toFixed(0)} MB${exported.seconds ? `, written in ${exported.seconds.toFixed(0)} s` : ' (cached)'}.`);
const given = await pickParams(db.path);
log(`Parameters: ${JSON.stringify(given)}`);

/**
 * Two passes: the queries' default window (all of history, the widest case), then the last 7
 * days of data (what an analyst usually asks, where time zone maps skip most row groups).
 */
const lastWeek = new Date(db.lastEventTime.getTime() - 7 * DAY_MS).toISOString();
const passes: Pass[] = [
  { label: 'all history (the defaults)', window: {}, measured: [] },
  { label: `last 7 days (since=${lastWeek})`, window: { since: lastWeek }, measured: [] },
];
// This VM's speed drifts by 20-30 % over hours: fresh memory's cost, before and after the runs,
// puts a run's figures on a scale the next run can be compared by.
const TOUCH_BYTES = 256 << 20;
const touchBefore = touchFreshMemoryMs(TOUCH_BYTES);
const loadBefore = loadavg()[0]!;
const busyBefore = machineBusyS();
const cpuBefore = processCpu(process.pid) ?? 0;
const wallBefore = performance.now();
for (const pass of passes) {
  log(`Pass: ${pass.label}`);
  const runsOf: Array<{ m: Measured; mode: 'live' | 'parquet'; run: QueryRun }> = [];
  for (const saved of listSavedQueries()) {
    const window = Object.fromEntries(Object.entries(pass.window).filter(([k]) => saved.params.some((p) => p.name === k)));
    if (Object.keys(pass.window).length > 0 && Object.keys(window).length === 0) continue; // no time window to narrow
    const params = bindParams(saved.sql, { ...given[saved.name], ...window }, saved);
    const m: Measured = { saved, name: saved.name, params, live: [] };
    pass.measured.push(m);
    runsOf.push({ m, mode: 'live', run: { mode: 'db', target: db.path, sql: statementOf(saved), params } });
    if (!NOT_EXPORTED.has(saved.name)) runsOf.push({ m, mode: 'parquet', run: { mode: 'parquet', target: exported.dir, sql: statementOf(saved), params } });
  }
  const timings = await roundRobin(runsOf.map(({ run }) => () => runOnce(run)));
  runsOf.forEach(({ m, mode }, i) => { m[mode] = timings[i]!; });
  for (const m of pass.measured) {
    log(`  ${m.name}: live p50 ${p50(m.live).toFixed(0)} ms, max ${max(m.live).toFixed(0)} ms${m.parquet ? `; parquet p50 ${p50(m.parquet).toFixed(0)} ms, max ${max(m.parquet).toFixed(0)} ms` : ''}; ${m.live[0]!.rows} rows`);
  }
}
// Then through a server, started once, as it runs beside an investigation: over the database,
// then over the export.
let serverCpuS = 0;
for (const [source, key] of [['--db', 'server'], ['--parquet', 'parquetServer']] as const) {
  const served = await startServe(source, source === '--db' ? db.path : exported.dir);
  try {
    for (const pass of passes) {
      log(`Server pass (${source}): ${pass.label}`);
      const measured = pass.measured.filter((m) => source === '--db' || m.parquet);
      const run = (m: Measured): QueryRun => ({ mode: 'server', target: served.target.url, tokenFile: served.target.tokenFile, sql: statementOf(m.saved), params: m.params, maxRows: SERVER_MAX_ROWS });
      const timings = await roundRobin(measured.map((m) => () => runOnce(run(m))));
      measured.forEach((m, i) => {
        m[key] = timings[i]!;
        log(`  ${m.name}: server p50 ${p50(m[key]).toFixed(0)} ms, max ${max(m[key]).toFixed(0)} ms`);
      });
    }
  } finally {
    serverCpuS += processCpu(served.child.pid!) ?? 0;
    served.child.kill('SIGTERM');
  }
}
const wallS = (performance.now() - wallBefore) / 1000;
// The runs' and the server's CPU are part of what is measured, not other load.
const othersShare = ((machineBusyS() - busyBefore) - ((processCpu(process.pid) ?? 0) - cpuBefore) - runsCpuS - serverCpuS) / wallS;
writeResults('query', report({ wallS, othersShare, loadBefore, loadAfter: loadavg()[0]!, touchBefore, touchAfter: touchFreshMemoryMs(TOUCH_BYTES) }));

/** One run in a process of its own (bench/query-run.ts). */
async function runOnce(run: QueryRun): Promise<Timing> {
  const { stdout } = await runChild(process.execPath, [RUNNER, JSON.stringify(run)], { maxBuffer: 1 << 20 });
  const timing = JSON.parse(stdout) as RunTiming;
  runsCpuS += timing.cpuS;
  return timing;
}

/**
 * Each run's warm-up, then `runs` rounds that time every run once, in turn: this VM's speed
 * drifts over minutes, and in turn the drift falls on every query alike rather than on the few
 * timed while it lasted. A run whose warm-up takes over SLOW_MS is measured by that one run:
 * its verdict is clear, and the machine is shared.
 */
async function roundRobin(all: Array<() => Promise<Timing>>): Promise<Timing[][]> {
  const warmUps: Timing[] = [];
  for (const once of all) warmUps.push(await once());
  const timings = warmUps.map((w) => (w.totalMs > SLOW_MS ? [w] : []));
  for (let round = 0; round < runs; round++) {
    for (const [i, once] of all.entries()) if (warmUps[i]!.totalMs <= SLOW_MS) timings[i]!.push(await once());
  }
  return timings;
}

/** The CLI strips a trailing semicolon before running the statement. */
function statementOf(saved: SavedQuery): string {
  return saved.sql.replace(/;\s*$/, '');
}

/** `auditlake serve --db PATH` or `--parquet DIR` as a user starts it, with a row limit above every result here. */
async function startServe(source: '--db' | '--parquet', path: string): Promise<{ child: ChildProcess; target: ServerTarget }> {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'auditlake.js'), 'serve', source, path, '--port', '0', '--max-rows', String(SERVER_MAX_ROWS)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      said += b.toString();
      const m = /Console: (http:\/\/\S+?)\/?\s/.exec(said);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`auditlake serve exited (${code}): ${said}`)));
  });
  return { child, target: { url, tokenFile: defaultTokenFile(path) } };
}

/**
 * The export `auditlake export --to DIR` writes (all time), kept beside the database. Written a
 * day at a time through the same `Store.exportParquet`, with a 4 GB memory limit (`auditlake
 * export` takes a quarter of the machine by default): the same files as one call (whole UTC
 * days, `category=…/date=…/part-0.parquet`); at the store's 512 MB one call over all of history
 * ran out of memory at 200k events, and a day of this database (~167k events) took twice as long.
 */
async function exportOnce(path: string): Promise<{ dir: string; files: number; bytes: number; seconds: number }> {
  const dir = path.replace(/\.duckdb$/, '-parquet');
  let seconds = 0;
  if (!existsSync(dir)) {
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    log(`Exporting ${path} to ${dir} a day at a time ...`);
    const started = performance.now();
    // Writable, as `auditlake export` opens it: the export is recorded in the database.
    const store = await Store.open(path, { memoryLimit: EXPORT_MEMORY });
    try {
      const days = await store.query(`SELECT DISTINCT epoch_ms(date_trunc('day', time)) AS day FROM events ORDER BY day`);
      for (const [day] of days.rows) await store.exportParquet(partial, Number(day), Number(day) + DAY_MS);
    } finally {
      store.close();
    }
    renameSync(partial, dir);
    seconds = (performance.now() - started) / 1000;
  }
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet'));
  const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return { dir, files: files.length, bytes, seconds };
}

/**
 * Real values from the data, as an analyst would bring them: the busiest user, the IP they
 * mostly use, the most-read secret and its vault. Time windows stay at the queries' defaults
 * (all of history), the widest and slowest case.
 */
async function pickParams(path: string): Promise<Record<string, Record<string, string>>> {
  const store = await Store.open(path, { readOnly: true });
  try {
    const one = async (sql: string) => String((await store.query(sql)).rows[0]?.[0] ?? '');
    const principal = await one(`SELECT principal_name FROM events WHERE principal_type = 'user' AND principal_name LIKE '%@%'
      GROUP BY ALL ORDER BY count(*) DESC, principal_name LIMIT 1`);
    const ip = await one(`SELECT caller_ip FROM events WHERE principal_name = '${principal.replace(/'/g, "''")}' AND caller_ip IS NOT NULL
      GROUP BY ALL ORDER BY count(*) DESC, caller_ip LIMIT 1`);
    const [secret, vault] = (await store.query(`SELECT target, resource_name FROM events WHERE category = 'AuditEvent' AND operation = 'SecretGet'
      AND target IS NOT NULL GROUP BY ALL ORDER BY count(*) DESC, target LIMIT 1`)).rows[0]!.map(String) as [string, string];
    return {
      'principal-activity': { principal },
      'principal-timeline': { principal },
      'ip-activity': { ip },
      'secret-readers': { secret, vault },
      'vault-first-seen-callers': { vault },
    };
  } finally {
    store.close();
  }
}

function report(load: { wallS: number; othersShare: number; loadBefore: number; loadAfter: number; touchBefore: number; touchAfter: number }): string[] {
  const ms = (t: number) => (t >= 10_000 ? fmtInt(t) : t.toFixed(0));
  const mark = (t: number) => (t >= TARGET_MS ? `**${ms(t)}**` : ms(t));
  const lines = [
    `Input: ${fmtInt(db.events)} events, ${fmtInt(db.alerts)} alerts (bench/database.ts: ${fmtInt(100_000)} generated records replayed through the pipeline with all detectors, copied inside DuckDB over 60 days with shifted times, varied principals/IPs/resources and fresh ids, plus the labelled scenario's week). `
      + `Layout: ${layout === 'compacted' ? 'compacted (`Store.copyInto`, as `auditlake compact` leaves the file: events grouped by category, then by UTC week and principal, in time order within those)' : 'appended (arrival order, as ingestion leaves the file before any `auditlake compact`)'}. `
      + `DuckDB file ${mb(db.bytes).toFixed(0)} MB; its Parquet export (\`Store.exportParquet\`, a day at a time, memory limit ${EXPORT_MEMORY}: at the default 512 MB it ran out of memory) ${mb(exported.bytes).toFixed(0)} MB in ${fmtInt(exported.files)} files${exported.seconds ? `, written in ${exported.seconds.toFixed(0)} s` : ''}.`,
    '',
    `Parameters: ${Object.entries(given).map(([q, p]) => `${q}: ${Object.entries(p).map(([k, v]) => `${k}=${v}`).join(', ')}`).join('; ')}; the rest at their defaults. `
      + `${runs} runs after one warm-up (a warm-up over ${SLOW_MS / 1000} s is the only run), taken in turn: each round runs every query once, cold and over Parquet, then, in a second part, through each server, so the VM's drift over minutes falls on all alike; milliseconds. `
      + 'Each run is a process of its own, as each `auditlake query` is: its JS heap and compiled code start cold; loading Node, auditlake and DuckDB\'s library (~0.4 s, the same for every invocation) and printing are not counted (bench/query-run.ts). '
      + `Cold: the run opens the database as \`auditlake query --db\` does with no server holding it (the file read-only), runs the statement and closes. `
      + `Server: the run sends the statement to one \`auditlake serve --db\` process (what \`run\` also serves, and what \`auditlake query\` and the console use while a server holds the file), the whole HTTP round trip with every row (\`--max-rows ${fmtInt(SERVER_MAX_ROWS)}\`). `
      + `Parquet: \`query --parquet DIR\`, opened per run. Parquet server: through one \`auditlake serve --parquet DIR\` process, as Server. Bold: over the ${TARGET_MS} ms target.`,
  ];
  for (const pass of passes) {
    lines.push('', `Time window: ${pass.label}.`, '',
      '| query | rows | runs | cold p50 | cold max | server p50 | server max | Parquet p50 | Parquet max | Parquet server p50 | Parquet server max | server ÷ cold | Parquet ÷ cold |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const m of pass.measured) {
      const live = p50(m.live);
      const sv = m.server ? p50(m.server) : undefined;
      const pq = m.parquet ? p50(m.parquet) : undefined;
      const cells = (t: Timing[] | undefined, none: string) => (t ? [mark(p50(t)), mark(max(t))] : [none, '']);
      const ratio = (x: number | undefined) => (x === undefined ? '' : `${(x / live).toFixed(2)}×`);
      lines.push(`| ${m.name} | ${fmtInt(m.live[0]!.rows)} | ${m.live.length} | ${mark(live)} | ${mark(max(m.live))} | ${cells(m.server, '').join(' | ')} | ${cells(m.parquet, 'not exported').join(' | ')} | ${cells(m.parquetServer, '').join(' | ')} | ${ratio(sv)} | ${ratio(pq)} |`);
    }
  }
  const all = passes.flatMap((p) => p.measured);
  const opens = (pick: (m: Measured) => Timing[] | undefined) => median(all.flatMap((m) => pick(m)?.map((t) => t.openMs) ?? []));
  const over = (pass: Pass, pick: (m: Measured) => Timing[] | undefined) =>
    pass.measured.filter((m) => { const t = pick(m); return t !== undefined && max(t) >= TARGET_MS; }).map((m) => m.name);
  const verdict = (names: string[]) => (names.length === 0 ? 'met by all' : `not met by ${names.join(', ')}`);
  lines.push('',
    `Opening (included above, median): the DuckDB file ${opens((m) => m.live).toFixed(0)} ms, the Parquet export ${opens((m) => m.parquet).toFixed(0)} ms (\`overParquet\` lists the files and reads the first one's columns).`,
    ...passes.map((p) => `Target (issue 6: every saved query under ${TARGET_MS} ms, p50 and max), ${p.label.replace(/ \(since=.*\)/, '')}: cold ${verdict(over(p, (m) => m.live))}; server ${verdict(over(p, (m) => m.server))}; Parquet ${verdict(over(p, (m) => m.parquet))}; Parquet server ${verdict(over(p, (m) => m.parquetServer))}.`),
    `Machine load while measuring: ${fmtInt(load.wallS)} s of runs; other processes used ${(100 * load.othersShare).toFixed(0)} % of one core on average (1-minute load average ${load.loadBefore.toFixed(1)} before, ${load.loadAfter.toFixed(1)} after, on 2 cores). `
      + `Fresh memory in this run (bench/cold's measure, a scale for comparing runs): ${mb(TOUCH_BYTES).toFixed(0)} MB touched in ${load.touchBefore.toFixed(0)} ms before the runs, ${load.touchAfter.toFixed(0)} ms after.`);
  return lines;
}

function p50(ts: Timing[]): number {
  return median(ts.map((t) => t.totalMs));
}

function max(ts: Timing[]): number {
  return Math.max(...ts.map((t) => t.totalMs));
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
