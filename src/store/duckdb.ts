/**
 * The only importer of @duckdb/node-api. One writer per database file: it owns migrations,
 * the batched load (a stage file read by DuckDB → one INSERT that skips known event ids), and
 * the transaction that stores a batch's rows, rejects, alerts, detector state and source
 * position together — so a crash anywhere loses nothing and duplicates nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { AlertRow } from '../detectors/alert.js';
import { AuditlakeError, errorMessage } from '../errors.js';
import { migrationsDir } from '../paths.js';
import { EVENT_COLUMNS, type EventRow, type RejectRow } from '../schema/event.js';
import { FACT_COLUMNS, factFromDetailsSql, SETTINGS_CHANGE_COLUMN, settingsChangeSql } from '../schema/facts.js';
import { Archive } from './archive.js';
import { exportFiles, exportFolders, watchedExportFiles } from './export-files.js';
import { notInExportHint } from './export-tables.js';
import { Outbox } from './outbox.js';
import { describeColumns, preparePacked, typeName, unpackChunk } from './packed-rows.js';
import { openReader, type ReaderOptions, type SqlReader } from './reader.js';
import { removeOrphanStageFiles, stagedRowsSql, stagePath, stageToEventsSelect, type StageFile } from './stage.js';

/** The alert row's fields as `read_json` should type them (times are epoch ms). */
const ALERT_JSON_COLUMNS = [
  "alert_id: 'VARCHAR'", "detector_id: 'VARCHAR'", "title: 'VARCHAR'", "severity: 'VARCHAR'", "tactics: 'VARCHAR[]'",
  "techniques: 'VARCHAR[]'", "time_generated: 'DOUBLE'", "first_event_time: 'DOUBLE'", "last_event_time: 'DOUBLE'",
  "principal_id: 'VARCHAR'", "principal_name: 'VARCHAR'", "app_id: 'VARCHAR'", "caller_ip: 'VARCHAR'", "resource_id: 'VARCHAR'",
  "event_count: 'BIGINT'", "evidence: 'JSON'", "description: 'VARCHAR'", "remediation: 'VARCHAR'",
].join(', ');

export interface Checkpoint {
  source: string;
  partition: string;
  position: string;
}

export interface Batch {
  /** The rows to store, as stage files (see stage.ts); deleted once read. */
  stages: StageFile[];
  /** The rows the detectors read (a subset of the staged ones), without `raw`. */
  events: EventRow[];
  rejects: RejectRow[];
  checkpoints: Checkpoint[];
}

/** Runs inside the batch's transaction with the rows that were new; its alerts and state commit with them. */
export type AfterInsert = (inserted: EventRow[], ingestedAt: number) => { alerts: AlertRow[]; state?: { name: string; value: string } };

export interface CommitResult {
  inserted: number;
  duplicates: number;
  rejected: number;
  /** Raised or updated: in `alerts`, for the sinks. */
  alerts: AlertRow[];
  /** Those a `detectors.exceptions` entry suppresses: in `suppressed_alerts`. */
  suppressed: AlertRow[];
  ingestedAt: number;
}

export interface OpenOptions {
  readOnly?: boolean;
  /** DuckDB's memory cap; the default keeps a long run well under 1 GiB of RSS. */
  memoryLimit?: string;
  threads?: number;
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** Rejects one INSERT stores (5 parameters each). */
const REJECTS_PER_STATEMENT = 500;

/** A reject's identity: what migration 009 computes in SQL for the rows before it. */
function rejectId(r: RejectRow): string {
  return createHash('sha256').update(`${r.source}\u0001${r.reason}\u0001${r.raw ?? ''}`).digest('hex').slice(0, 32);
}

/**
 * Known event ids are skipped by looking only where they can be: a redelivered record has the
 * same event time, so the probe is limited to the batch's time range, which zone maps turn
 * into a few row groups. (A PRIMARY KEY index cost ~20-100 µs a row here, and memory.)
 */
function insertFromStage(files: readonly StageFile[]): string {
  // Each file is free of repeats already (the decoder drops them), but a streamed record can
  // arrive twice in one commit group (redelivery, or the same record in two bodies): across
  // files, only the first copy is kept.
  const acrossFiles = files.length > 1 ? 'QUALIFY row_number() OVER (PARTITION BY s.event_id) = 1' : '';
  return `INSERT INTO events SELECT ${stageToEventsSelect('$ingested')} FROM ${stagedRowsSql(files)} s
    WHERE NOT EXISTS (SELECT 1 FROM events e
      WHERE e.time BETWEEN to_timestamp($min / 1000.0) AND to_timestamp($max / 1000.0) AND e.event_id = s.event_id)
    ${acrossFiles}`;
}
/**
 * A WAL larger than this is folded into the file. Each checkpoint re-compresses the open row
 * group, so frequent ones cost: 256 MB instead of 64 MB measured 25–50 % faster replay, lower
 * RSS, and half the worst commit stall (bench/latency).
 */
const WAL_CHECKPOINT_THRESHOLD = '256MB';

/** DuckDB's memory cap unless a command gives another: keeps a long run well under 1 GiB of RSS. */
const DEFAULT_MEMORY_LIMIT = '512MB';

/** The session variable holding an export's file list (`Store.overParquet`). */
const EXPORT_FILES = 'auditlake_export_files';

/** The order `copyInto` writes a category's events in (its doc says why); the connection is in UTC. */
const COMPACTED_ORDER = "date_trunc('week', time), coalesce(principal_id, lower(principal_name)), time, event_id";

/**
 * DuckDB's refusal to open a file another process holds ("Could not set lock on file …:
 * Conflicting lock is held in …"). Matched on those words, not on "lock" alone: an
 * out-of-memory error that fails "to pin block" is no sign of another process.
 */
export const isLockConflict = (message: string): boolean => /could not set lock on file|conflicting lock/i.test(message);

export class Store {
  private lastIngestedAt = 0;
  /** Set while an export's view reads the first file's columns only (see viewParquet). */
  private parquetFirstFileColumns = false;
  /** Over an export (`overParquet`): what a new connection needs before it can read `events`. */
  private parquetSession?: (conn: DuckDBConnection) => Promise<void>;
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  static async open(path: string, options: OpenOptions = {}): Promise<Store> {
    const config: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      memory_limit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      // New files use the current storage format: it is what lets `raw` be zstd-compressed.
      storage_compatibility_version: 'latest',
    };
    if (options.threads) config.threads = String(options.threads);
    if (options.readOnly) config.access_mode = 'READ_ONLY';
    else config.checkpoint_threshold = WAL_CHECKPOINT_THRESHOLD;
    let instance: DuckDBInstance;
    try {
      // Loaded on first open: commands that never touch a database (--help, detectors) start faster.
      const { DuckDBInstance } = await import('@duckdb/node-api');
      instance = await DuckDBInstance.create(path, config);
    } catch (err) {
      const msg = errorMessage(err);
      const hint = isLockConflict(msg) ? ' (another auditlake process holds it; query through its server instead)' : '';
      throw new AuditlakeError('store_failed', `cannot open database ${path}${hint}: ${msg}`, { cause: err });
    }
    const conn = await instance.connect();
    // Times print in UTC whatever the host's zone (ICU is linked in, but only settable once loaded).
    // For every connection, set once: the SQL reader locks the configuration (store/reader.ts),
    // after which a connection opened later (the outbox's, an export's) could set nothing.
    await conn.run("SET GLOBAL TimeZone = 'UTC'");
    // Exports write a day's partitions at a time (archive.ts): flushed in 20,000-row pieces.
    if (!options.readOnly) await conn.run('SET GLOBAL partitioned_write_flush_threshold = 20000');
    const store = new Store(path, instance, conn, Boolean(options.readOnly));
    if (!options.readOnly) {
      await store.migrate();
      removeOrphanStageFiles();
    }
    return store;
  }

  /**
   * A read-only view of an `auditlake export` folder: `events` over its Hive-partitioned
   * Parquet files, in the live table's column order, so the same SQL runs on both.
   *
   * `longLived` (`serve --parquet`): statements keep coming, so DuckDB keeps the files' footers
   * and bytes between them, and every footer is read once up front to learn whether the folder
   * mixes files from before migration 005 (then the view unites them by name from the start).
   */
  static async overParquet(dir: string, { longLived = false } = {}): Promise<Store> {
    const notThere = (why: string, cause?: unknown) => new AuditlakeError('not_found', `--parquet ${dir}: no auditlake export there (${why})`, { cause });
    // Only the export's own layout: other Parquet files kept in the folder are not events. Listed
    // here, not by a glob in the view, which listed them again each time a statement mentioned
    // `events` (36 ms over 1,197 files; from the list, 17 ms). A server lists them again when
    // days were exported since.
    const watched = longLived ? watchedExportFiles(dir) : undefined;
    let files: string[];
    try {
      files = watched ? watched() : exportFiles(dir);
    } catch (err) {
      throw notThere(errorMessage(err), err);
    }
    if (files.length === 0) throw notThere(`no category=*/date=*/*.parquet files in ${dir}`);
    const { DuckDBInstance, LIST, VARCHAR, listValue } = await import('@duckdb/node-api');
    // A server gets the memory cap a database's server has (Store.open): without it DuckDB takes
    // 80 % of the machine's memory, and one analyst's statement took `serve --parquet` to 4.7 GB.
    // What it spills goes to a folder of its own, not `.tmp` in whatever directory it was started
    // from (DuckDB's default for an in-memory database): created on the first spill, removed at
    // close; the reader caps its size (READER_TEMP_LIMIT). A one-shot `query --parquet` runs one
    // statement of the analyst's own, not a server's many, and keeps DuckDB's defaults.
    const serverConfig: Record<string, string> = longLived
      ? { memory_limit: DEFAULT_MEMORY_LIMIT, temp_directory: join(tmpdir(), `auditlake-spill-${process.pid}-${randomBytes(4).toString('hex')}`) }
      : {};
    const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', ...serverConfig });
    const conn = await instance.connect();
    await conn.run("SET TimeZone = 'UTC'");
    // For one statement neither the files' footers nor their bytes are cached: filling either
    // cache cost more than it saved, since a statement makes few passes over the files
    // (bench/RESULTS.md notes). A server's statements pass over them again and again.
    await conn.run(`SET GLOBAL parquet_metadata_cache = ${longLived}`);
    await conn.run(`SET GLOBAL enable_external_file_cache = ${longLived}`);
    const store = new Store(dir, instance, conn, true);
    // The list is a session variable the view reads. Each connection has its own variables: the
    // reader's are given it too, as it is when each statement starts.
    store.parquetSession = async (session) => {
      const set = await session.prepare(`SET VARIABLE ${EXPORT_FILES} = $files`);
      set.bind({ files: listValue(watched?.() ?? files) }, { files: LIST(VARCHAR) });
      await set.run();
      set.destroySync();
    };
    try {
      await store.parquetSession(conn);
      await store.viewParquet(longLived && (await store.mixesColumns()));
    } catch (err) {
      store.close();
      throw notThere(errorMessage(err).split('\n')[0]!, err);
    }
    return store;
  }

  /**
   * `events` and `events_between` over the export's files. The columns are taken from the first
   * file only, so a statement opens just the files its filters on `category` and the window of
   * `events_between` leave (reading every footer up front cost ~0.7 s on 1,200 files). A folder
   * that mixes files written before and after migration 005 fails on the first statement that
   * meets one; `query` then reopens both with `union_by_name`, which reads every footer and
   * fills what a file lacks with NULL.
   */
  private async viewParquet(unionByName: boolean): Promise<void> {
    const files = `getvariable('${EXPORT_FILES}')`;
    // The partition types given, not guessed from a sample of the paths each time.
    const options = `hive_partitioning = true, hive_types = {'category': VARCHAR, 'date': DATE}, union_by_name = ${unionByName}`;
    const parquet = `read_parquet(${files}, ${options})`;
    // An export written before migration 005 has no fact columns: they are read from `details` then.
    const described = `DESCRIBE SELECT * FROM ${unionByName ? parquet : `read_parquet(${files}[1], ${options})`}`;
    const held = new Set((await this.conn.runAndReadAll(`SELECT column_name FROM (${described})`)).getRows().map((r) => String(r[0])));
    const facts = new Map(FACT_COLUMNS.map(([n, t]) => {
      if (!held.has(n)) return [n, factFromDetailsSql(n, t)];
      // union_by_name gives NULL where a file lacks the column: that file predates 005, and its facts are in `details`.
      return [n, unionByName ? `coalesce(${n}, ${factFromDetailsSql(n, t)})` : n];
    }));
    // Files written before migration 006 lack settings_change: it is derived from their facts then.
    const derived = settingsChangeSql((n) => facts.get(n)!);
    const settingsChange = !held.has(SETTINGS_CHANGE_COLUMN) ? derived : unionByName ? `coalesce(${SETTINGS_CHANGE_COLUMN}, ${derived})` : SETTINGS_CHANGE_COLUMN;
    const derivedColumns = [...facts, [SETTINGS_CHANGE_COLUMN, settingsChange]].map(([n, sql]) => (sql === n ? n : `${sql} AS ${n}`));
    const columns = [...EVENT_COLUMNS.map(([n]) => n), ...derivedColumns].join(', ');
    await this.conn.run(`CREATE OR REPLACE VIEW events AS SELECT ${columns} FROM ${parquet}`);
    // Migration 007's events_between, kept to the `date=` folders that overlap the window (the
    // export's days are UTC days of `time`), so DuckDB opens only those files. `until` is
    // exclusive: the last day is that of the microsecond before it.
    const day = (instant: string) => `CAST(timezone('UTC', ${instant}) AS DATE)`;
    await this.conn.run(`CREATE OR REPLACE MACRO events_between(since, until) AS TABLE SELECT ${columns} FROM ${parquet}
      WHERE date >= ${day('CAST(since AS TIMESTAMPTZ)')} AND date <= ${day('CAST(until AS TIMESTAMPTZ) - INTERVAL 1 MICROSECOND')}
        AND time >= CAST(since AS TIMESTAMPTZ) AND time < CAST(until AS TIMESTAMPTZ)`);
    this.parquetFirstFileColumns = !unionByName;
  }

  /** Whether the export's files differ in their columns (every footer read: ~0.7 s on 1,200 files). */
  private async mixesColumns(): Promise<boolean> {
    const r = await this.conn.runAndReadAll(`SELECT count(DISTINCT columns) > 1 FROM (
      SELECT file_name, list(name ORDER BY name) AS columns FROM parquet_schema(getvariable('${EXPORT_FILES}')) GROUP BY file_name)`);
    return r.getRowsJS()[0]?.[0] === true;
  }

  /**
   * Writes the whole days around [sinceMs, untilMs) to `dir` as Hive-partitioned Parquet and
   * records the export (see archive.ts). Returns the number of rows written.
   */
  async exportParquet(dir: string, sinceMs: number, untilMs: number): Promise<number> {
    const archive = await this.archive();
    try {
      return (await archive.exportDays(dir, dir, sinceMs, untilMs)).rows;
    } finally {
      archive.close();
    }
  }

  /** Export and retention bookkeeping, on a connection of its own (see archive.ts). */
  async archive(): Promise<Archive> {
    return Archive.on(await this.instance.connect());
  }

  /**
   * Copies every table into a new database file at `path`, created by the same migrations (so
   * column compression is as declared). `auditlake compact` swaps it in: DuckDB reuses the
   * space of deleted rows but never gives it back to the file system.
   *
   * Events are grouped by category, each category by UTC week (weeks start on Monday), each week
   * by principal, then in time order. Most saved queries filter on a category (or on columns
   * only some categories fill), and DuckDB skips every row group whose zone map rules the
   * category out; a time window still skips whole weeks; and one principal's events (an
   * investigation's) lie in a few runs per category and week, so a lookup by principal, or by an
   * IP it uses, reads the other columns of far fewer vectors (bench/RESULTS.md). One category is
   * sorted at a time, which bounds the sort's memory by the largest category.
   */
  async copyInto(path: string): Promise<void> {
    (await Store.open(path)).close();
    const tables = (await this.conn.runAndReadAll(
      "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name <> 'schema_migrations'",
    )).getRows().map((r) => String(r[0]));
    await this.conn.run(`ATTACH '${path.replace(/'/g, "''")}' AS compacted`);
    try {
      for (const table of tables.filter((t) => t !== 'events')) await this.conn.run(`INSERT INTO compacted.main.${table} SELECT * FROM main.${table}`);
      const categories = await this.conn.runAndReadAll('SELECT DISTINCT category FROM main.events ORDER BY category');
      for (const [category] of categories.getRows()) {
        await this.conn.run(`INSERT INTO compacted.main.events SELECT * FROM main.events WHERE category = $1 ORDER BY ${COMPACTED_ORDER}`, [String(category)]);
      }
    } catch (err) {
      const msg = errorMessage(err);
      const hint = /out of memory/i.test(msg) ? ' (sorting a category needs more memory: give compact a larger --memory-limit)' : '';
      throw new AuditlakeError('store_failed', `rewriting ${this.path} into ${path} failed${hint}: ${msg.split('\n')[0]}`, { cause: err });
    } finally {
      await this.conn.run('DETACH compacted');
    }
  }

  /** Migrations this version has that the file has not had (a read-only open cannot apply them). */
  private async pendingMigrations(): Promise<string[]> {
    const applied = new Set((await this.conn.runAndReadAll('SELECT version FROM schema_migrations')).getRows().map((r) => String(r[0])));
    return readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort().filter((f) => !applied.has(f));
  }

  private async migrate(): Promise<void> {
    await this.conn.run('CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)');
    for (const file of await this.pendingMigrations()) {
      await this.conn.run('BEGIN');
      try {
        await this.conn.run(readFileSync(join(migrationsDir, file), 'utf8'));
        await this.conn.run('INSERT INTO schema_migrations VALUES ($1, now())', [file]);
        await this.conn.run('COMMIT');
      } catch (err) {
        await this.conn.run('ROLLBACK');
        throw new AuditlakeError('store_failed', `migration ${file} failed on ${this.path}: ${errorMessage(err)}`, { cause: err });
      }
    }
    // Past every commit an export has recorded too: retention may have deleted the newest rows,
    // and with the clock set back a new row at or below an export's mark would count as exported.
    const last = await this.conn.runAndReadAll(`SELECT greatest(coalesce(epoch_ms((SELECT max(ingested_at) FROM events)), 0),
      coalesce(epoch_ms((SELECT max(through_ingested_at) FROM exports)), 0))`);
    this.lastIngestedAt = Number(last.getRows()[0]?.[0] ?? 0);
  }

  /**
   * Stores one batch in one transaction: new events (known event ids skipped), rejects, the
   * alerts and detector state `afterInsert` derives from the new events, and the source positions.
   */
  async commitBatch(batch: Batch, afterInsert?: AfterInsert): Promise<CommitResult> {
    // Strictly increasing per batch, so "events after the saved detector state" is exact.
    const ingestedAt = Math.max(Date.now(), this.lastIngestedAt + 1);
    const c = this.conn;
    const staged = batch.stages.reduce((n, f) => n + f.rows, 0);
    await c.run('BEGIN');
    try {
      let inserted: EventRow[] = [];
      let insertedCount = 0;
      if (staged > 0) {
        const min = Math.min(...batch.stages.map((f) => f.minTime));
        const max = Math.max(...batch.stages.map((f) => f.maxTime));
        const result = await c.run(insertFromStage(batch.stages), { ingested: ingestedAt, min, max });
        insertedCount = Number(result.rowsChanged);
        // Usually every row is new. When some were not, the new ones are those stamped with
        // this batch's (unique) ingested_at: asking for ids only then saves RETURNING's cost.
        if (insertedCount < staged && batch.events.length > 0) {
          const ids = await c.runAndReadAll(
            'SELECT event_id FROM events WHERE ingested_at = to_timestamp($ingested / 1000.0) AND time BETWEEN to_timestamp($min / 1000.0) AND to_timestamp($max / 1000.0)',
            { ingested: ingestedAt, min, max });
          const fresh = new Set(ids.getRows().map((r) => r[0] as string));
          // Taken from the set as they are found, so a repeat in the batch is not detected twice.
          inserted = batch.events.filter((r) => fresh.delete(r.event_id));
        } else if (insertedCount === staged) inserted = batch.events;
      }
      if (batch.rejects.length > 0) await this.appendRejects(batch.rejects);
      let alerts: AlertRow[] = [];
      let suppressed: AlertRow[] = [];
      if (afterInsert) {
        const derived = afterInsert(inserted, ingestedAt);
        alerts = derived.alerts.filter((a) => a.suppressed_by === undefined);
        suppressed = derived.alerts.filter((a) => a.suppressed_by !== undefined);
        if (alerts.length > 0) await this.upsertAlerts('alerts', alerts);
        if (suppressed.length > 0) await this.upsertAlerts('suppressed_alerts', suppressed);
        if (derived.state) {
          await c.run('INSERT OR REPLACE INTO detector_state VALUES ($1, $2, to_timestamp($3 / 1000.0))', [derived.state.name, derived.state.value, ingestedAt]);
        }
      }
      for (const cp of batch.checkpoints) {
        await c.run('INSERT OR REPLACE INTO checkpoints VALUES ($1, $2, $3, now())', [cp.source, cp.partition, cp.position]);
      }
      await c.run('COMMIT');
      this.lastIngestedAt = ingestedAt;
      return { inserted: insertedCount, duplicates: staged - insertedCount, rejected: batch.rejects.length, alerts, suppressed, ingestedAt };
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw new AuditlakeError('store_failed', `storing a batch of ${staged} rows in ${this.path} failed: ${errorMessage(err)}`, { cause: err });
    } finally {
      for (const f of batch.stages) rmSync(f.path, { force: true });
    }
  }

  private async appendRejects(rejects: RejectRow[]): Promise<void> {
    // The same refused input again (replayed, redelivered) is kept once: migration 009. Many
    // rows a statement: an INSERT per reject cost ~2.5 ms here, so a flood of bad lines was
    // stored at ~400 a second (1,000 rejects: 2.7 s; 0.3 s this way).
    for (let i = 0; i < rejects.length; i += REJECTS_PER_STATEMENT) {
      const chunk = rejects.slice(i, i + REJECTS_PER_STATEMENT);
      const values = chunk.map((_, j) => `(to_timestamp($${5 * j + 1} / 1000.0), $${5 * j + 2}, $${5 * j + 3}, $${5 * j + 4}, $${5 * j + 5})`);
      await this.conn.run(`INSERT OR IGNORE INTO rejects VALUES ${values.join(', ')}`, chunk.flatMap((r) => [r.received_at, r.source, r.reason, r.raw, rejectId(r)]));
    }
  }

  /**
   * One statement for all of a batch's alerts (an alert storm can be thousands): the latest
   * version of each, as NDJSON read by DuckDB. Row-by-row upserts of that many rows in one
   * transaction ran DuckDB out of memory here.
   */
  private async upsertAlerts(table: 'alerts' | 'suppressed_alerts', alerts: AlertRow[]): Promise<void> {
    const latest = new Map<string, AlertRow>();
    for (const a of alerts) latest.set(a.alert_id, a);
    const path = stagePath('alerts');
    writeFileSync(path, [...latest.values()].map((a) => JSON.stringify(a)).join('\n'));
    const reason = table === 'suppressed_alerts';
    try {
      await this.conn.run(`INSERT OR REPLACE INTO ${table}
        SELECT alert_id, detector_id, title, severity, tactics, techniques,
               to_timestamp(time_generated / 1000.0), to_timestamp(first_event_time / 1000.0), to_timestamp(last_event_time / 1000.0),
               principal_id, principal_name, app_id, caller_ip, resource_id, event_count, evidence, description, remediation${reason ? ', suppressed_by' : ''}
        FROM read_json('${path}', format = 'newline_delimited', maximum_object_size = 67108864,
                       columns = {${ALERT_JSON_COLUMNS}${reason ? ", suppressed_by: 'VARCHAR'" : ''}})`);
    } finally {
      rmSync(path, { force: true });
    }
  }

  async loadState(name: string): Promise<{ value: string; ingestedAt: number } | null> {
    const r = await this.conn.runAndReadAll('SELECT state, epoch_ms(ingested_at) FROM detector_state WHERE name = $1', [name]);
    const row = r.getRows()[0];
    return row ? { value: String(row[0]), ingestedAt: Number(row[1]) } : null;
  }

  /** Events committed after `ingestedAt` (without `raw`), in commit then event-time order, a chunk at a time. */
  async *eventsAfter(ingestedAt: number): AsyncGenerator<EventRow[]> {
    // Detectors never read `raw`: leave the largest column on disk.
    const cols = EVENT_COLUMNS.map(([name, type]) => (name === 'raw' ? `'' AS raw` : type === 'TIMESTAMPTZ' ? `epoch_ms(${name}) AS ${name}` : type === 'JSON' ? `CAST(${name} AS VARCHAR) AS ${name}` : name));
    const result = await this.conn.stream(`SELECT ${cols.join(', ')} FROM events WHERE ingested_at > to_timestamp($1 / 1000.0) ORDER BY ingested_at, time`, [ingestedAt]);
    const names = EVENT_COLUMNS.map(([n]) => n);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) return;
      yield chunk.getRowObjects(names).map((r) => rowFromStored(r as Record<string, unknown>));
    }
  }

  async checkpoints(): Promise<Checkpoint[]> {
    const r = await this.conn.runAndReadAll('SELECT source, partition, position FROM checkpoints ORDER BY source, partition');
    return r.getRows().map(([source, partition, position]) => ({ source: String(source), partition: String(partition), position: String(position) }));
  }

  /** Runs one statement with named parameters (`$name`), bound by DuckDB, never spliced. */
  async query(sql: string, params: Record<string, string | number> = {}): Promise<QueryResult> {
    try {
      return await this.queryOnce(sql, params).catch(async (err: unknown) => {
        if (!this.parquetFirstFileColumns || !/schema mismatch in glob/i.test(errorMessage(err))) throw err;
        await this.viewParquet(true);
        return this.queryOnce(sql, params);
      });
    } catch (err) {
      const hint = this.parquetSession ? notInExportHint(errorMessage(err)) : await this.upgradeHint(err);
      throw new AuditlakeError('query_failed', `query failed: ${errorMessage(err)}${hint}`, { cause: err });
    }
  }

  private async queryOnce(sql: string, params: Record<string, string | number>): Promise<QueryResult> {
    return (await this.packedQuery(sql, params)) ?? (await this.plainQuery(sql, params));
  }

  private async plainQuery(sql: string, params: Record<string, string | number>): Promise<QueryResult> {
    const reader = Object.keys(params).length > 0 ? await this.conn.runAndReadAll(sql, params) : await this.conn.runAndReadAll(sql);
    return { columns: reader.columnNames().map((name, i) => ({ name, type: typeName(reader.columnTypes()[i]!) })), rows: reader.getRowsJS() as unknown[][] };
  }

  /** A SELECT with several text columns, read through packed rows (packed-rows.ts); undefined when it is not one. */
  private async packedQuery(sql: string, params: Record<string, string | number>): Promise<QueryResult | undefined> {
    const { DuckDBTypeId, JSDuckDBValueConverter, StatementType } = await import('@duckdb/node-api');
    // Several statements, or an error: the plain path runs or reports them.
    const prepared = await this.conn.prepare(sql).catch(() => undefined);
    if (!prepared) return undefined;
    try {
      const packed = prepared.statementType === StatementType.SELECT ? await preparePacked(this.conn, sql, prepared, params, DuckDBTypeId) : undefined;
      if (!packed) return undefined;
      try {
        const result = await packed.statement.run();
        const rows: unknown[][] = [];
        for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
          for (const row of unpackChunk(chunk, packed.plan, JSDuckDBValueConverter)) rows.push(row);
        }
        return { columns: describeColumns(prepared), rows };
      } finally {
        packed.statement.destroySync();
      }
    } finally {
      prepared.destroySync();
    }
  }

  /**
   * A file written by an older auditlake, opened read-only, lacks what later migrations add
   * (migration 005's fact columns, which the saved queries use): say so when a column is missing.
   */
  private async upgradeHint(err: unknown): Promise<string> {
    if (!this.readOnly || !/Referenced column .* not found|with name \w+ does not exist/i.test(errorMessage(err))) return '';
    const advice = await this.upgradeAdvice();
    return advice ? `\n${advice}` : '';
  }

  /** For a file opened read-only that lacks this version's migrations: how to upgrade it. */
  async upgradeAdvice(): Promise<string | undefined> {
    const pending = await this.pendingMigrations().catch(() => []);
    return pending.length === 0 ? undefined : `${this.path} was written by an older auditlake and lacks migration ${pending.join(', ')}: `
      + 'open it once with this version writable (auditlake run, replay or compact --db) to upgrade it';
  }

  /** How many statements DuckDB's parser finds in `sql`; undefined when it cannot parse it (running it says why). */
  async statementCount(sql: string): Promise<number | undefined> {
    try {
      return (await this.conn.extractStatements(sql)).count;
    } catch {
      // The C API's extract fails without a message on text holding none (comments, semicolons),
      // as on a syntax error: json_serialize_sql tells the two apart (as the SQL guard does).
      const r = await this.conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
      const parsed = JSON.parse(String(r.getRowsJS()[0]?.[0])) as { error?: boolean; statements?: unknown[] };
      return !parsed.error && parsed.statements?.length === 0 ? 0 : undefined;
    }
  }

  async execute(sql: string, params: Record<string, string | number> = {}): Promise<void> {
    try {
      if (Object.keys(params).length > 0) await this.conn.run(sql, params);
      else await this.conn.run(sql);
    } catch (err) {
      throw new AuditlakeError('query_failed', `query failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  /**
   * Read-only SQL on this open database for the HTTP server (see reader.ts): its own
   * connections on this instance, so analysts' statements run beside the batch loop's commits.
   * By default it also turns DuckDB's file access off for the whole instance except the stage
   * directory, which the batch loop keeps reading, and `exportDirs`, and locks its configuration.
   */
  async reader(options?: ReaderOptions): Promise<SqlReader> {
    // Over an export, the reader's statements read its folder, and need its file list.
    const overExport = this.parquetSession ? { alsoAllowed: [...this.exportDirs, ...exportFolders(this.path)], session: this.parquetSession } : { alsoAllowed: this.exportDirs };
    return openReader(this.instance, { ...overExport, ...options });
  }

  /** Folders exports are staged in: still writable once the reader restricts DuckDB's file access. */
  exportDirs: string[] = [];

  /** The alerts outbox (per-sink delivery state), on a connection of its own. */
  async outbox(): Promise<Outbox> {
    return new Outbox(await this.instance.connect());
  }
}

function rowFromStored(r: Record<string, unknown>): EventRow {
  const row = { ...r } as Record<string, unknown>;
  row.time = Number(r.time);
  row.ingested_at = Number(r.ingested_at);
  row.bytes_out = r.bytes_out === null ? null : Number(r.bytes_out);
  row.bytes_in = r.bytes_in === null ? null : Number(r.bytes_in);
  row.details = typeof r.details === 'string' ? JSON.parse(r.details) : {};
  return row as unknown as EventRow;
}
