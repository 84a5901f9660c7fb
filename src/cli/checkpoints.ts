/**
 * `auditlake checkpoints list|reset`: the source positions stored with the data. Resetting one
 * makes the next `run` start that partition at its configured start position (Event Hubs
 * `startPosition`, or the Kafka group's offset); records it meets again are skipped as
 * duplicates, so a reset never double-stores. Needs the database to itself: stop `run` first.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { AuditlakeError } from '../errors.js';
import { Store } from '../store/duckdb.js';
import { dbOption, fmt, resolveDb } from './common.js';
import { writeText, type TextFormat } from './output.js';

async function openExisting(dbOpt: string | undefined, readOnly: boolean): Promise<Store> {
  const db = resolveDb(dbOpt);
  if (!existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there`);
  return Store.open(db, { readOnly });
}

export function checkpointsCommand(): Command {
  const list = new Command('list')
    .description('Show every stored position: source, partition, position and when it was stored.')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'ndjson']).default('table'))
    .action(async (opts: { db?: string; format: TextFormat }) => {
      const store = await openExisting(opts.db, true);
      try {
        const result = await store.query('SELECT source, partition, position, updated_at FROM checkpoints ORDER BY source, partition');
        writeText(result, opts.format);
      } finally {
        store.close();
      }
    });

  const reset = new Command('reset')
    .description('Forget stored positions: of one source (--source, optionally one --partition), or --all.')
    .addOption(dbOption())
    .option('--source <source>', 'a source as `checkpoints list` prints it, e.g. eventhubs:ns.servicebus.windows.net/insights-logs-auditevent/$Default')
    .option('--partition <id>', 'only this partition of --source')
    .option('--all', 'every source')
    .action(async (opts: { db?: string; source?: string; partition?: string; all?: boolean }) => {
      if (!opts.all && !opts.source) throw new AuditlakeError('bad_argument', 'checkpoints reset: give --source SOURCE [--partition ID], or --all');
      if (opts.all && opts.source) throw new AuditlakeError('bad_argument', 'checkpoints reset: --all and --source exclude each other');
      if (opts.partition && !opts.source) throw new AuditlakeError('bad_argument', 'checkpoints reset: --partition needs --source');
      const store = await openExisting(opts.db, false);
      try {
        const where = opts.all ? 'true' : opts.partition ? 'source = $source AND partition = $partition' : 'source = $source';
        const params = { ...(opts.source ? { source: opts.source } : {}), ...(opts.partition ? { partition: opts.partition } : {}) };
        const n = Number((await store.query(`SELECT count(*) FROM checkpoints WHERE ${where}`, params)).rows[0]?.[0] ?? 0);
        if (n === 0 && !opts.all) throw new AuditlakeError('not_found', `checkpoints reset: no stored position for ${opts.source}${opts.partition ? ` partition ${opts.partition}` : ''} (see auditlake checkpoints list)`);
        await store.execute(`DELETE FROM checkpoints WHERE ${where}`, params);
        process.stdout.write(`Reset ${fmt(n)} position${n === 1 ? '' : 's'}.\n`);
      } finally {
        store.close();
      }
    });

  return new Command('checkpoints')
    .description('Source positions stored with the data (Event Hubs partitions, Kafka topic partitions).')
    .addCommand(list)
    .addCommand(reset);
}
