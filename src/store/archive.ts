/**
 * Export to Parquet and retention, with the bookkeeping that keeps them safe together (issue 6):
 * every export is recorded in `exports` (which event-time range, and up to which commit), and
 * retention deletes an old event only when an export to the configured destination holds it.
 *
 * Files are whole UTC days, `category=…/date=YYYY-MM-DD/part-0.parquet`, so exporting a day
 * again overwrites its files with the day's full contents instead of adding copies. Once
 * retention has deleted a day, its part files are never rewritten (they would lose what was
 * deleted); events that arrive late for such a day go to `late-<ms>-0.parquet` beside them, named
 * by the ingest time of the first of them. A late row whose event_id that day's files already
 * hold is left out and counted: the store no longer has the pruned copy to dedupe against, so a
 * record ingested again (a replayed file, a backfill after `checkpoints reset`, a redelivery)
 * looks new to it, but the export would then hold it twice.
 * On its own DuckDB connection, so `run` can export while the batch loop commits.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { AuditlakeError, errorMessage } from '../errors.js';

const DAY_MS = 86_400_000;
export const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const endOfDay = (ms: number) => Math.ceil(ms / DAY_MS) * DAY_MS;
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

type Params = Record<string, string | number>;
/** DuckDB refuses values for parameters a statement does not name: pass only those it does. */
const used = (sql: string, params: Params): Params =>
  Object.fromEntries(Object.entries(params).filter(([name]) => new RegExp(`\\$${name}\\b`).test(sql)));

export interface ExportResult {
  /** The whole days written, [sinceMs, untilMs). */
  sinceMs: number;
  untilMs: number;
  rows: number;
  /**
   * Late rows not written because the destination already holds their event_id (ingested again
   * after retention pruned their day); recorded as exported all the same, so retention deletes them.
   */
  alreadyExported: number;
}

/** How far an export has come, after each day it wrote. */
export interface ExportProgress {
  /** The day just written (UTC midnight, ms). */
  dayMs: number;
  daysDone: number;
  days: number;
  /** Rows written so far. */
  rows: number;
}

export interface ExportOptions {
  /** Runs inside the export's snapshot once the files are written (see exportDays). */
  publish?: () => Promise<void>;
  onDay?: (progress: ExportProgress) => void;
  /**
   * The Parquet files the destination holds in these partitions (`category=…/date=…`), as local
   * paths DuckDB may read. Default: those under the folder written to (an export written in place).
   */
  heldFiles?: (partitions: string[]) => Promise<string[]>;
}

export interface RetentionResult {
  horizonMs: number;
  deleted: number;
  /** Older than the horizon, but in no export to the destination yet: kept. */
  keptUnexported: number;
}

/**
 * The Parquet files under `dir` in these partitions (`category=…/date=…`), none for a partition
 * it lacks. Dot-names and `*.partial` (a copy's leftovers, see destination.ts) are not parts.
 */
export function partitionFiles(dir: string, partitions: string[]): string[] {
  return partitions.flatMap((p) => {
    const folder = join(dir, p);
    if (!existsSync(folder)) return [];
    return readdirSync(folder, { withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.parquet') && !e.name.startsWith('.'))
      .map((e) => join(folder, e.name));
  });
}

/** A range of events whose Parquet files may be rewritten, and the late rows of days that may not. */
const IN_RANGE = 'time >= to_timestamp($since / 1000.0) AND time < to_timestamp($until / 1000.0)';
const COVERED = `EXISTS (SELECT 1 FROM exports x WHERE x.destination = $destination
  AND e.time >= x.since AND e.time < x.until AND e.ingested_at <= x.through_ingested_at)`;

export class Archive {
  private constructor(private readonly conn: DuckDBConnection) {}

  /** On a connection of the store's instance, whose settings Store.open made (partitioned writes flushed in 20,000-row pieces). */
  static on(conn: DuckDBConnection): Archive {
    return new Archive(conn);
  }

  /**
   * Writes the whole days around [sinceMs, untilMs) to `dir` and records them as exported to
   * `destination` (the folder itself, or where `publish` copies it). `publish` runs inside
   * the export's snapshot, so what is recorded is exactly what was written and published; if
   * it throws, nothing is recorded and a later export writes the same files again.
   */
  async exportDays(dir: string, destination: string, sinceMs: number, untilMs: number,
    { publish, onDay, heldFiles = async (partitions) => partitionFiles(dir, partitions) }: ExportOptions = {}): Promise<ExportResult> {
    const since = startOfDay(sinceMs);
    const until = endOfDay(untilMs);
    const c = this.conn;
    await c.run('BEGIN TRANSACTION');
    try {
      const params = { since, until, destination };
      const prunedBefore = await this.number(c, 'SELECT coalesce(epoch_ms(max(horizon)), 0) FROM retention_runs');
      let rows = 0;
      let alreadyExported = 0;
      const days = await this.daysWithEvents(Math.max(since, prunedBefore), until);
      for (const [i, day] of days.entries()) {
        rows += await this.copy(dir, `SELECT *, strftime(time, '%Y-%m-%d') AS date FROM events WHERE ${IN_RANGE}`, 'part-{i}', { since: day, until: day + DAY_MS });
        onDay?.({ dayMs: day, daysDone: i + 1, days: days.length, rows });
      }
      if (since < prunedBefore) {
        const late = { ...params, until: Math.min(until, prunedBefore) };
        const pending = `FROM events e WHERE ${IN_RANGE} AND NOT ${COVERED}`;
        // Named by the first late row not yet exported: until an export of them succeeds, a
        // retry (with any later arrivals) writes over the same files instead of beside them.
        const name = `late-${await this.number(c, `SELECT coalesce(epoch_ms(min(ingested_at)), 0) ${pending}`, late)}`;
        const partitions = (await c.runAndReadAll(`SELECT DISTINCT 'category=' || category || '/date=' || strftime(time, '%Y-%m-%d') AS p ${pending} ORDER BY p`,
          used(pending, late))).getRows().map(([p]) => String(p));
        // What the destination holds already, but for the files this COPY overwrites: their rows
        // are still pending (a retry after a failed publish), and leaving them out would lose them.
        const held = partitions.length === 0 ? [] : (await heldFiles(partitions)).filter((f) => !basename(f).startsWith(`${name}-`));
        const notHeld = held.length === 0 ? ''
          : ` AND event_id NOT IN (SELECT event_id FROM read_parquet([${held.map(sqlString).join(', ')}], union_by_name = true))`;
        const written = await this.copy(dir, `SELECT *, strftime(time, '%Y-%m-%d') AS date ${pending}${notHeld}`, `${name}-{i}`, late);
        alreadyExported = await this.number(c, `SELECT count(*) ${pending}`, late) - written;
        rows += written;
      }
      await publish?.();
      // Same snapshot as the files: every row of the range committed up to this point is in them.
      await this.changed(c, `INSERT INTO exports SELECT $destination, to_timestamp($since / 1000.0), to_timestamp($until / 1000.0),
        (SELECT max(ingested_at) FROM events WHERE ${IN_RANGE}), $rows, now()`, { ...params, rows });
      await c.run('COMMIT');
      return { sinceMs: since, untilMs: until, rows, alreadyExported };
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      if (err instanceof AuditlakeError) throw err;
      throw new AuditlakeError('export_failed', `export to ${destination} failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * Where an export to `destination` should start to leave nothing behind: the earliest event
   * no export there holds (a late arrival included), or null when every event is exported.
   */
  async firstUnexported(destination: string): Promise<number | null> {
    const ms = await this.number(this.conn, `SELECT epoch_ms(min(time)) FROM events e WHERE NOT ${COVERED}`, { destination });
    return Number.isFinite(ms) ? ms : null;
  }

  /**
   * Deletes events before the horizon (rounded down to a whole UTC day): with `destination`,
   * only those an export there holds; without, all of them. Then checkpoints, so the space of
   * the deleted row groups is reused.
   */
  async applyRetention(horizonMs: number, destination?: string): Promise<RetentionResult> {
    const horizon = startOfDay(horizonMs);
    const c = this.conn;
    await c.run('BEGIN TRANSACTION');
    let result: RetentionResult;
    try {
      const old = 'time < to_timestamp($horizon / 1000.0)';
      const eligible = await this.number(c, `SELECT count(*) FROM events WHERE ${old}`, { horizon });
      const deleted = destination === undefined
        ? await this.changed(c, `DELETE FROM events WHERE ${old}`, { horizon })
        : await this.changed(c, `DELETE FROM events e WHERE ${old} AND ${COVERED}`, { horizon, destination });
      result = { horizonMs: horizon, deleted, keptUnexported: eligible - deleted };
      await this.changed(c, 'INSERT INTO retention_runs VALUES (to_timestamp($horizon / 1000.0), $deleted, $kept, now())',
        { horizon, deleted, kept: result.keptUnexported });
      await c.run('COMMIT');
    } catch (err) {
      await c.run('ROLLBACK').catch(() => undefined);
      throw new AuditlakeError('store_failed', `retention failed: ${errorMessage(err)}`, { cause: err });
    }
    // Best effort: DuckDB refuses while `run`'s batch loop has a transaction open, and then
    // its own automatic checkpoint frees the deleted row groups a little later.
    if (result.deleted > 0) await c.run('CHECKPOINT').catch(() => undefined);
    return result;
  }

  close(): void {
    this.conn.closeSync();
  }

  /**
   * The UTC days in [since, until) that hold events: one COPY each keeps memory to a day's rows.
   * Taken from the data, not every day from the first to the last: one event dated 0001 or 2999
   * made that hundreds of thousands of empty COPYs.
   */
  private async daysWithEvents(since: number, until: number): Promise<number[]> {
    if (since >= until) return [];
    const r = await this.conn.runAndReadAll(`SELECT DISTINCT epoch_ms(date_trunc('day', time))::DOUBLE AS day FROM events WHERE ${IN_RANGE} ORDER BY day`, { since, until });
    return r.getRows().map(([day]) => Number(day));
  }

  /**
   * No ORDER BY: sorting a busy day's rows with their `raw` text does not fit DuckDB's memory
   * limit (measured: 167k events a day fail at 512 MB); rows come out in stored order, which is
   * commit order. Partitions are flushed every 20k rows for the same reason.
   */
  private async copy(dir: string, select: string, filePattern: string, params: Params): Promise<number> {
    return this.changed(this.conn, `COPY (${select}) TO ${sqlString(dir)}
      (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (category, date), OVERWRITE_OR_IGNORE true, FILENAME_PATTERN ${sqlString(filePattern)})`, params);
  }

  private async changed(c: DuckDBConnection, sql: string, params: Params): Promise<number> {
    return Number((await c.run(sql, used(sql, params))).rowsChanged);
  }

  private async number(c: DuckDBConnection, sql: string, params: Params = {}): Promise<number> {
    const r = await c.runAndReadAll(sql, used(sql, params));
    const v = r.getRows()[0]?.[0];
    return v === null || v === undefined ? NaN : Number(v);
  }
}
