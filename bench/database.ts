/**
 * A realistic events database of N events, built in minutes rather than the hour a 10M-record
 * replay would take: a modest generated sample goes through the real pipeline once (replay:
 * decode, normalize, store, detectors → alerts), then DuckDB copies it inside the file with
 * INSERT … SELECT, each copy shifted in time, with some principals, IPs and resources varied
 * and fresh ids; the labelled scenario's week (~4,700 events, 18 attacks) is added once, so
 * the investigations have incidents to find. Built files are cached under bench/data/
 * (gitignored), keyed by N, the options and the schema version, so reruns reuse them.
 *
 *   node dist/bench/database.js [events=10000000]      # builds (or finds) it and prints its path
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fixturesDir, migrationsDir, packageRoot } from '../src/paths.js';
import { Store } from '../src/store/duckdb.js';
import { generate } from './generate.js';
import { fmtInt, runMeasured } from './measure.js';

export interface BenchDatabaseOptions {
  /** Records replayed through the real pipeline, then copied. */
  sampleRecords?: number;
  /** The copies are laid end to end over this many days, so time filters see realistic selectivity. */
  spanDays?: number;
  /** Where the built files are kept. */
  dataDir?: string;
  /** Progress lines (to stderr). */
  log?: (line: string) => void;
}

export interface BenchDatabase {
  path: string;
  /** N, plus the scenario's events. */
  events: number;
  alerts: number;
  firstEventTime: Date;
  lastEventTime: Date;
  /** False when the cached file was reused. */
  built: boolean;
  buildSeconds: number;
  bytes: number;
}

const DEFAULTS = { sampleRecords: 100_000, spanDays: 60 };
/** Copies per transaction: bounds the WAL and the undo state while keeping commits few. */
const COPIES_PER_COMMIT = 10;
/**
 * Variant 0 leaves a row's principal, IP and resource as sampled; the others rename them, so the
 * tenant has ~5× the sample's principals and IPs while the sampled ones stay findable.
 */
const VARIANTS = 5;

export async function buildBenchDatabase(events: number, options: BenchDatabaseOptions = {}): Promise<BenchDatabase> {
  const opts = { ...DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dataDir = options.dataDir ?? join(packageRoot, 'bench', 'data');
  mkdirSync(dataDir, { recursive: true });
  const sampleRecords = Math.min(opts.sampleRecords, events);
  const path = join(dataDir, `events-${events}-s${sampleRecords}-d${opts.spanDays}-${schemaVersion()}.duckdb`);
  if (existsSync(path)) return { ...(await describe(path)), built: false, buildSeconds: 0 };

  const started = performance.now();
  const sampleDb = await replaySample(dataDir, sampleRecords, log);
  // Built beside its final name and renamed once complete: an interrupted build is never reused.
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  rmSync(`${partial}.wal`, { force: true });
  const store = await Store.open(partial, { threads: 2, memoryLimit: '2GB' });
  try {
    await multiply(store, sampleDb, events, opts.spanDays, log);
    await appendScenario(store, dataDir, log);
    await store.execute('CHECKPOINT');
  } finally {
    store.close();
  }
  renameSync(partial, path);
  const buildSeconds = (performance.now() - started) / 1000;
  log(`Built ${path} in ${buildSeconds.toFixed(0)} s.`);
  return { ...(await describe(path)), built: true, buildSeconds };
}

/** The generated sample (plus a few rejected records), replayed through the pipeline; cached. */
async function replaySample(dataDir: string, records: number, log: (line: string) => void): Promise<string> {
  const input = join(dataDir, `sample-${records}.ndjson`);
  if (!existsSync(input)) await generate(input, records);
  const rejects = join(dataDir, `sample-${records}-rejects.ndjson`);
  writeFileSync(rejects, rejectedInput(Math.max(1, Math.round(records / 1000))));
  return replayed(join(dataDir, `sample-${records}-${schemaVersion()}.duckdb`), [input, rejects], log);
}

/**
 * `auditlake replay` of the inputs into `db` (store + all detectors), in a child process as an
 * analyst would run it; reused when it exists.
 */
async function replayed(db: string, inputs: string[], log: (line: string) => void): Promise<string> {
  if (existsSync(db)) return db;
  const partial = `${db}.partial`;
  rmSync(partial, { force: true });
  rmSync(`${partial}.wal`, { force: true });
  log(`Replaying ${inputs.map((i) => relative(packageRoot, i)).join(', ')} through the pipeline into ${db} ...`);
  const run = await runMeasured(process.execPath, [join(packageRoot, 'bin', 'auditlake.js'), 'replay', '--json', '--quiet', '--db', partial, ...inputs]);
  if (run.code !== 0) throw new Error(`replay into ${db} failed (${run.code}): ${run.stderr}`);
  renameSync(partial, db);
  return db;
}

/**
 * The labelled scenario's week (fixtures/scenarios: 2025-11-03 … 10, 18 attacks among benign
 * traffic), once, at its own times, with its alerts: the benign bulk has no governance changes,
 * privileged sign-ins without MFA or failed-then-succeeded pairs, and an investigation benchmark
 * should find some. Replayed on its own and copied in, because replaying into the built file
 * would first run the detectors over all of its events (they resume from the stored state).
 */
export async function appendScenario(store: Store, dataDir: string, log: (line: string) => void): Promise<void> {
  const db = await replayed(join(dataDir, `scenario-${schemaVersion()}.duckdb`), [join(fixturesDir, 'scenarios', 'days')], log);
  await store.execute(`ATTACH '${db.replace(/'/g, "''")}' AS scenario (READ_ONLY)`);
  try {
    await store.execute('BEGIN');
    for (const table of ['events', 'alerts', 'rejects']) await store.execute(`INSERT INTO ${table} BY NAME SELECT * FROM scenario.${table}`);
    await store.execute('COMMIT');
  } finally {
    await store.execute('DETACH scenario');
  }
}

/**
 * The newest migration's number: part of the cache key, because a new migration can change
 * what the pipeline stores (the event_id formula, say), and an old file would be migrated on open.
 */
function schemaVersion(): string {
  const last = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort().at(-1) ?? '000';
  return `m${last.slice(0, 3)}`;
}

/**
 * What a tenant's input also holds, one per thousand records, so `rejects` has rows: a body cut
 * short, a record whose time is not a time, one that is not an object — and one with no
 * category, which the generic family stores rather than rejects.
 */
function rejectedInput(count: number): string {
  const kinds = [
    (i: number) => `{"records":[{"time":"2026-11-01T00:00:${String(i % 60).padStart(2, '0')}Z","category":"AuditEvent","operationName":"SecretGet"`,
    (i: number) => `{"records":[{"time":"yesterday ${i}","category":"AuditEvent","operationName":"SecretGet","resourceId":"/SUBSCRIPTIONS/X/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV"}]}`,
    (i: number) => `{"records":[{"time":"2026-11-01T00:00:00Z","operationName":"Unknown${i % 7}"}]}`,
    (i: number) => `{"records":[${i}]}`,
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]!(i)).join('\n') + '\n';
}

/**
 * Copy k of the sample (k = 0 … copies-1) is laid at `start + k·slot`, its own time stretched to
 * fill the slot, so the whole database covers `spanDays` evenly and in time order (as a live
 * consumer writes it: row groups hold narrow time ranges). Copy 0 keeps the sampled ids, so the
 * sample's alerts still point at real evidence.
 */
async function multiply(store: Store, sampleDb: string, events: number, spanDays: number, log: (line: string) => void): Promise<void> {
  await store.execute(`ATTACH '${sampleDb.replace(/'/g, "''")}' AS sample (READ_ONLY)`);
  const range = await store.query('SELECT count(*), epoch_ms(min(time)), epoch_ms(max(time)) - epoch_ms(min(time)) + 1 FROM sample.events');
  // The sample stores a few records more or fewer than were generated (rejects, duplicates).
  const [sampled, t0, sampleSpanMs] = range.rows[0]!.map(Number) as [number, number, number];
  const copies = Math.ceil(events / sampled);
  const slotMs = (spanDays * 86_400_000) / copies;
  const stretch = slotMs / sampleSpanMs;
  // The whole database ends at the sample's start, so "the last N days" are days with data.
  const start = t0 - spanDays * 86_400_000;
  // k is our own loop counter, spliced as a literal: the copies' SQL is planned with constants.
  const shiftFor = (k: number) => (col: string) => `to_timestamp((${start + k * slotMs}::DOUBLE + (epoch_ms(${col}) - ${t0}) * ${stretch}) / 1000.0)`;
  const started = performance.now();
  for (let k = 0; k < copies; k++) {
    if (k % COPIES_PER_COMMIT === 0) await store.execute('BEGIN');
    const limit = k === copies - 1 ? `LIMIT ${events - k * sampled}` : '';
    await store.execute(copyEventsSql(k, shiftFor(k), limit));
    await store.execute(copyAlertsSql(k, shiftFor(k)));
    // Rejects carry the replay's wall-clock time: spread them over the copy's slot instead.
    // Each copy is a reject of its own: no reject_id (migration 009) to collide with the others'.
    await store.execute(`INSERT INTO rejects SELECT * REPLACE (to_timestamp((${start + k * slotMs}::DOUBLE + hash(raw, ${k}) % ${Math.floor(slotMs)}) / 1000.0) AS received_at, NULL AS reject_id) FROM sample.rejects`);
    if (k % COPIES_PER_COMMIT === COPIES_PER_COMMIT - 1 || k === copies - 1) {
      await store.execute('COMMIT');
      const done = Math.min(events, (k + 1) * sampled);
      const rate = done / ((performance.now() - started) / 1000);
      log(`  ${fmtInt(done)} of ${fmtInt(events)} events (${fmtInt(rate)} events/s)`);
    }
  }
  await store.execute('DETACH sample');
}

/**
 * One copy of the sampled events. Columns not named here are copied as they are (`raw` keeps
 * the sampled record's text: the benchmark reads columns, and rewriting 1.8 KB a row would
 * dominate the build). The variant is per principal and copy, so within a copy a renamed
 * principal does all of that principal's work, from IPs renamed with it.
 */
function copyEventsSql(k: number, shift: (col: string) => string, limit: string): string {
  const variant = `(hash(coalesce(principal_id, principal_name, caller_ip, ''), ${k}) % ${VARIANTS})`;
  const renamed = (expr: string) => `CASE WHEN ${k} = 0 OR ${variant} = 0 OR ${expr} IS NULL THEN ${expr}`;
  const fresh = (col: string) => `CASE WHEN ${k} = 0 THEN ${col} ELSE ${uuidLike(`md5(${col} || ':' || ${k})`)} END`;
  return `INSERT INTO events BY NAME
    SELECT * REPLACE (
      CASE WHEN ${k} = 0 THEN event_id ELSE md5(event_id || ':' || ${k}) END AS event_id,
      ${shift('time')} AS time,
      -- a consumer stores an event a little after it happened
      ${shift('time')} + INTERVAL 90 SECOND AS ingested_at,
      ${renamed('principal_id')} ELSE ${uuidLike(`md5(principal_id || ':v' || ${variant})`)} END AS principal_id,
      ${renamed('principal_name')} ELSE regexp_replace(principal_name, '^([^@]+)', '\\1.v' || ${variant}) END AS principal_name,
      ${renamed('caller_ip')} ELSE regexp_replace(caller_ip, '\\.(\\d+)$', '.' || ((TRY_CAST(regexp_extract(caller_ip, '\\.(\\d+)$', 1) AS INTEGER) + ${variant} * 37) % 250 + 1)) END AS caller_ip,
      -- one variant in five also works on a sibling resource (a second vault, account, workspace)
      CASE WHEN ${k} = 0 OR ${variant} <> 1 OR resource_name IS NULL THEN resource_id ELSE replace(resource_id, lower(resource_name), lower(resource_name) || '-b') END AS resource_id,
      CASE WHEN ${k} = 0 OR ${variant} <> 1 OR resource_name IS NULL THEN resource_name ELSE resource_name || '-b' END AS resource_name,
      ${fresh('correlation_id')} AS correlation_id
    )
    FROM sample.events
    ${limit}`;
}

/** The sample's alerts, once per copy, at the copy's times, with fresh ids (evidence still names copy 0's events). */
function copyAlertsSql(k: number, shift: (col: string) => string): string {
  return `INSERT INTO alerts BY NAME
    SELECT * REPLACE (
      CASE WHEN ${k} = 0 THEN alert_id ELSE md5(alert_id || ':' || ${k}) END AS alert_id,
      ${shift('time_generated')} AS time_generated,
      ${shift('first_event_time')} AS first_event_time,
      ${shift('last_event_time')} AS last_event_time
    )
    FROM sample.alerts`;
}

/** 32 hex digits shaped as a GUID (8-4-4-4-12), as Entra object ids and correlation ids are. */
function uuidLike(hex32: string): string {
  return `regexp_replace(${hex32}, '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\\1-\\2-\\3-\\4-\\5')`;
}

/**
 * The same database as `auditlake compact` leaves it: `Store.copyInto`, which groups events by
 * category, then by week and principal (see its doc). Cached beside the appended file
 * (`…-compacted-wp.duckdb`: a copy in an older order has another name). The copy
 * runs with a 4 GB memory limit: compact's sort holds one category at a time, and this file's
 * largest (StorageRead, ~5M events with their `raw`) sorts far faster in memory than spilled.
 */
export async function compactedBenchDatabase(db: BenchDatabase, log: (line: string) => void): Promise<BenchDatabase> {
  const path = db.path.replace(/\.duckdb$/, '-compacted-wp.duckdb');
  if (existsSync(path)) return { ...(await describe(path)), built: false, buildSeconds: 0 };
  log(`Compacting ${db.path} into ${path} (Store.copyInto, as auditlake compact does) ...`);
  const started = performance.now();
  const partial = `${path}.partial`;
  rmSync(partial, { force: true });
  rmSync(`${partial}.wal`, { force: true });
  const store = await Store.open(db.path, { memoryLimit: '4GB' });
  try {
    await store.copyInto(partial);
  } finally {
    store.close();
  }
  renameSync(partial, path);
  const buildSeconds = (performance.now() - started) / 1000;
  log(`Compacted in ${buildSeconds.toFixed(0)} s.`);
  return { ...(await describe(path)), built: true, buildSeconds };
}

async function describe(path: string): Promise<Omit<BenchDatabase, 'built' | 'buildSeconds'>> {
  const store = await Store.open(path, { readOnly: true });
  try {
    const r = await store.query('SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM alerts), min(time), max(time) FROM events');
    const [events, alerts, first, last] = r.rows[0]!;
    return { path, events: Number(events), alerts: Number(alerts), firstEventTime: first as Date, lastEventTime: last as Date, bytes: statSync(path).size };
  } finally {
    store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const db = await buildBenchDatabase(Number(process.argv[2] ?? 10_000_000));
  console.log(JSON.stringify(db));
}
