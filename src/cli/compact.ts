/**
 * `auditlake compact`: the offline counterpart of what `run` does on its own schedule — export
 * the days not yet exported (when `export` is configured), delete events past the retention
 * horizon (only exported ones, when export is configured), then rewrite the file so the space
 * comes back to the file system (DuckDB reuses freed space but never shrinks a file in place).
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { Command } from 'commander';
import { configuredDestination } from '../archive/destination.js';
import { archiveOnce, type ArchivePolicy } from '../archive/job.js';
import { loadConfig } from '../config.js';
import { AuditlakeError } from '../errors.js';
import { Store } from '../store/duckdb.js';
import { dbOption, fmt, resolveDb, utcDay as day } from './common.js';
import { parseDuration } from './duration.js';
import { alreadyExportedLine } from './export.js';
import { defaultMemoryLimit, memoryLimitOption, underMemoryLimit } from './memory-limit.js';

interface CompactOptions { db?: string; config?: string; retain?: string; rewrite: boolean; memoryLimit?: string }

const DAY_MS = 86_400_000;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function compactCommand(): Command {
  return new Command('compact')
    .description('Apply retention and give the space back. First the whole days not yet exported are exported (when the '
      + 'config has `export:`); then events older than --retain (default: the config\'s retention.days) are deleted — '
      + 'with export configured, only events an export holds, the rest kept and counted; then the file is rewritten, '
      + 'events grouped by category and in time order within each (queries that name a category then skip the rest). '
      + 'Needs the database to itself: stop `auditlake run` first (run applies retention on its own schedule).')
    .addOption(dbOption({ withConfig: true }))
    .option('--config <file>', 'auditlake.yaml: export, retention, azure.credential')
    .option('--retain <duration>', 'keep events this recent (90d, 12w); older ones are deleted (whole UTC days)')
    .option('--no-rewrite', 'skip rewriting the file (space is still reused by new rows)')
    .addOption(memoryLimitOption('compacting: sorting a category holds its rows'))
    .action(async (opts: CompactOptions) => {
      const config = loadConfig(opts.config);
      const db = resolveDb(opts.db, config.db);
      if (!existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there yet`);
      const retainDays = opts.retain ? parseDuration('--retain', opts.retain) / DAY_MS : config.retention?.days;
      const policy: ArchivePolicy = {
        destination: config.export ? await configuredDestination(config.export.to, config) : undefined,
        retainDays,
      };
      // With its WAL: what a crash left in it is part of the file's size until the next checkpoint.
      const before = statSync(db).size + (existsSync(`${db}.wal`) ? statSync(`${db}.wal`).size : 0);
      const memoryLimit = opts.memoryLimit ?? defaultMemoryLimit();
      const rewritten = `${db}.compact-${process.pid}`;
      await underMemoryLimit(memoryLimit, async () => {
        const store = await Store.open(db, { memoryLimit });
        try {
          const { exported, retention } = await archiveOnce(store, policy);
          if (exported) process.stdout.write(`Exported ${fmt(exported.rows)} events (days ${day(exported.sinceMs)} to ${day(exported.untilMs - 1)}) to ${policy.destination!.name}.\n${alreadyExportedLine(exported, policy.destination!.name)}`);
          else if (policy.destination) process.stdout.write(`Nothing new to export to ${policy.destination.name}.\n`);
          if (retention) {
            process.stdout.write(`Deleted ${fmt(retention.deleted)} events before ${day(retention.horizonMs)}.\n`);
            if (retention.keptUnexported > 0) process.stdout.write(`Kept ${fmt(retention.keptUnexported)} older events that no export to ${policy.destination!.name} holds yet.\n`);
          } else {
            process.stdout.write('No retention configured (--retain or retention.days): nothing deleted.\n');
          }
          if (opts.rewrite) await store.copyInto(rewritten);
        } catch (err) {
          rmSync(rewritten, { force: true });
          throw err;
        } finally {
          store.close();
        }
      });
      if (opts.rewrite) {
        // Closed cleanly above, so the old file has no WAL left to replay; the rename is atomic.
        renameSync(rewritten, db);
        rmSync(`${rewritten}.wal`, { force: true });
        process.stdout.write(`Rewrote ${db}: ${mb(before)} → ${mb(statSync(db).size)}.\n`);
      }
    });
}
