/** `auditlake export`: events as Hive-partitioned Parquet that other tools (and `query --parquet`) read. */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { configuredDestination } from '../archive/destination.js';
import { exportDays } from '../archive/job.js';
import { loadConfig } from '../config.js';
import { AuditlakeError } from '../errors.js';
import type { ExportProgress, ExportResult } from '../store/archive.js';
import { Store } from '../store/duckdb.js';
import { dbOption, fmt, formatEta, resolveDb, utcDay as day } from './common.js';
import { parseSince } from './duration.js';
import { defaultMemoryLimit, memoryLimitOption, underMemoryLimit } from './memory-limit.js';

interface ExportOptions { db?: string; config?: string; to: string; since: string; until?: string; memoryLimit?: string }

export function exportCommand(): Command {
  return new Command('export')
    .description('Write events as Parquet to a folder or to Azure Blob Storage / ADLS Gen2. Hive-partitioned '
      + '(category=…/date=YYYY-MM-DD/part-0.parquet, zstd), whole UTC days: exporting a day again overwrites its files. '
      + 'Query a folder with `auditlake query --parquet DIR`. Each export is recorded in the database: with '
      + '`retention` and `export` configured, old events are deleted only once an export holds them. '
      + 'For az:// the credential is the config\'s azure.credential (DefaultAzureCredential by default), or '
      + 'export.connectionString / $AZURE_STORAGE_CONNECTION_STRING. While `auditlake run` holds the database, '
      + 'configure `export:` and run exports itself.')
    .requiredOption('--to <dir|az://account/container/prefix>', 'the folder, or the Blob container and prefix, to write')
    .addOption(dbOption({ withConfig: true }))
    .option('--config <file>', 'auditlake.yaml: azure.credential and export.connectionString for az://')
    .option('--since <when>', 'events from this day: a duration (7d), a date (2025-11-01) or an ISO-8601 time', '1970-01-01T00:00:00Z')
    .option('--until <when>', 'events before the end of this day: a duration, a date (2025-11-14, included) or an ISO-8601 time (default: no end)')
    .addOption(memoryLimitOption('exporting: a day\'s events are written at a time'))
    .action(async (opts: ExportOptions) => {
      const config = loadConfig(opts.config);
      const db = resolveDb(opts.db, config.db);
      if (!existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there yet (run auditlake replay first)`);
      const since = parseSince(opts.since);
      // A plain date is the last day exported, as the help says ("before the end of this day").
      const until = opts.until ? parseSince(opts.until, Date.now(), { flag: '--until', date: 'end' }) : Date.UTC(9999, 0, 1);
      if (until <= since) throw new AuditlakeError('bad_argument', `--until ${opts.until}: must be after --since ${opts.since}`);
      const destination = await configuredDestination(opts.to, config);
      const memoryLimit = opts.memoryLimit ?? defaultMemoryLimit();
      const progress = process.stderr.isTTY ? progressLine(performance.now(), destination.name) : undefined;
      const r = await underMemoryLimit(memoryLimit, async () => {
        // Writable: the export is recorded, for retention.
        const store = await Store.open(db, { memoryLimit });
        try {
          return await exportDays(store, destination, since, until, progress);
        } finally {
          if (progress) process.stderr.write('\r\x1b[K');
          store.close();
        }
      });
      const days = r.rows > 0 && r.untilMs < Date.UTC(9999, 0, 1) ? ` (days ${day(r.sinceMs)} to ${day(r.untilMs - 1)})` : '';
      process.stdout.write(`Exported ${fmt(r.rows)} events${days} to ${destination.name}.\n${alreadyExportedLine(r, destination.name)}`);
    });
}

/** Said, not silent: late events not written because the destination already holds them (shared with compact). */
export function alreadyExportedLine(r: ExportResult, destination: string): string {
  return r.alreadyExported > 0
    ? `Left out ${fmt(r.alreadyExported)} late events ${destination} already holds (ingested again after retention deleted their day).\n`
    : '';
}

/**
 * `day 12 of 60 (2025-11-14)  1,234,567 events  ETA 3m 10s`, on a terminal, after each day
 * written; after the last, where the files go next (an upload to az:// can take a while).
 */
function progressLine(started: number, destination: string) {
  return (p: ExportProgress) => {
    const elapsed = performance.now() - started;
    const next = p.daysDone < p.days ? `ETA ${formatEta((elapsed / p.daysDone) * (p.days - p.daysDone))}` : `publishing to ${destination}`;
    process.stderr.write(`\r\x1b[Kday ${fmt(p.daysDone)} of ${fmt(p.days)} (${day(p.dayMs)})  ${fmt(p.rows)} events  ${next}`);
  };
}
