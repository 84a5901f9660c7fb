/** `auditlake export`: events as Hive-partitioned Parquet that other tools (and `query --parquet`) read. */
import { existsSync, mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { AuditlakeError } from '../errors.js';
import { Store } from '../store/duckdb.js';
import { dbOption, fmt, resolveDb } from './common.js';
import { parseSince } from './duration.js';

interface ExportOptions { db?: string; to: string; since: string; until?: string }

export function exportCommand(): Command {
  return new Command('export')
    .description('Write events to DIR as Hive-partitioned Parquet (category=…/date=YYYY-MM-DD/part-0.parquet, zstd).\n'
      + 'Exporting the same range again overwrites its files. Query it with `auditlake query --parquet DIR`.')
    .requiredOption('--to <dir>', 'the folder to write')
    .addOption(dbOption())
    .option('--since <when>', 'events from this time: a duration (7d) or an ISO-8601 time', '1970-01-01T00:00:00Z')
    .option('--until <when>', 'events before this time (default: no end)')
    .action(async (opts: ExportOptions) => {
      const db = resolveDb(opts.db);
      if (!existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there yet (run auditlake replay first)`);
      const since = parseSince(opts.since);
      const until = opts.until ? parseSince(opts.until) : Date.UTC(9999, 0, 1);
      if (until <= since) throw new AuditlakeError('bad_argument', `--until ${opts.until}: must be after --since ${opts.since}`);
      mkdirSync(opts.to, { recursive: true });
      const store = await Store.open(db, { readOnly: true });
      try {
        const rows = await store.exportParquet(opts.to, since, until);
        process.stdout.write(`Exported ${fmt(rows)} events to ${opts.to}.\n`);
      } finally {
        store.close();
      }
    });
}
