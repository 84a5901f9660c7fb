/** `auditlake alerts`: the alerts raised recently, newest first. */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { alertShowCommand } from './alert-show.js';
import type { AlertTable } from '../investigate/alert-detail.js';
import { namesFor } from '../investigate/names.js';
import { AuditlakeError } from '../errors.js';
import { isHeldByAnotherProcess, openOrFindServer, queryServer } from '../server/client.js';
import { dbOption, resolveDb } from './common.js';
import { parseSince } from './duration.js';
import { writeText, type TextFormat } from './output.js';
import { loadConfig, type Config } from '../config.js';
import { sinkNames } from '../sinks/index.js';
import { PENDING_SQL } from '../store/outbox.js';
import { Store } from '../store/duckdb.js';
import { fmt } from './common.js';

const SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;

interface AlertsOptions {
  db?: string; since: string; format: TextFormat; severity?: string; detector?: string; principal?: string; server?: string; tokenFile?: string;
  pending?: boolean; suppressed?: boolean; config?: string;
}

/**
 * The alerts of `table` (`alerts`, or `suppressed_alerts` with the exception's reason). An alert
 * whose principal the detector knew by object id alone is shown by the name Entra ID gives it.
 */
const alertsSql = (table: AlertTable) => `
  WITH listed AS (
    SELECT * FROM ${table}
    WHERE time_generated >= to_timestamp($since / 1000.0)
      AND list_position(['informational', 'low', 'medium', 'high'], severity) - 1 >= $rank
      AND ($detector = '' OR detector_id = $detector OR detector_id LIKE $detector || '%')
  ),
  named AS (${namesFor('SELECT principal_id FROM listed WHERE principal_name IS NULL')})
  SELECT a.severity, a.detector_id, coalesce(a.principal_name, n.principal_name, a.principal_id, a.caller_ip) AS principal, a.caller_ip,
         regexp_extract(a.resource_id, '/providers/[^/]+/[^/]+/([^/]+)', 1) AS resource, a.first_event_time, a.last_event_time, a.event_count, a.title,
         ${table === 'suppressed_alerts' ? 'a.suppressed_by, ' : ''}a.alert_id
  FROM listed a LEFT JOIN named n ON n.principal_id = a.principal_id
  -- a name (the one Entra ID gives included), an object id, an app id or an IP, in part, as the console filters
  WHERE $principal = '' OR contains(lower(concat_ws(' ', a.principal_name, n.principal_name, a.principal_id, a.app_id, a.caller_ip)), lower($principal))
  ORDER BY list_position(['informational', 'low', 'medium', 'high'], a.severity) DESC, a.last_event_time DESC, a.alert_id`;

export function alertsCommand(): Command {
  return new Command('alerts')
    .description('List alerts raised (or updated) since a time, most severe and newest first; `alerts show ID` opens one. '
      + 'Times are when auditlake raised them; event times are in first_event_time/last_event_time. '
      + 'While `auditlake run` holds the database, they are read through its server (found in <db>.server.json).')
    .addOption(dbOption({ withConfig: true }))
    .option('--since <when>', 'a duration (30m, 24h, 7d), a date (2025-11-14, from its start) or an ISO-8601 time', '24h')
    .addOption(new Option('--severity <level>', 'only this severity or higher').choices(SEVERITIES))
    .option('--detector <id>', 'only this detector (or a family prefix such as keyvault.)')
    .option('--principal <text>', 'only alerts about this principal: a part of its name, object id or app id, or of the caller IP (any case)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'ndjson']).default('table'))
    .option('--server <url>', 'read them from this auditlake server (default: the one serving --db, when its database is held)')
    .option('--token-file <file>', "the server's bearer token file (default: the one named in <db>.server.json, else <db>.token)")
    .option('--pending', 'instead: alerts not yet delivered to a sink, with attempts and last error (sinks from --config and the outbox)')
    .option('--suppressed', 'instead: alerts a detectors.exceptions entry suppressed (kept, sent to no sink), with its reason')
    .option('--config <file>', 'auditlake.yaml: its db, and the names of its sinks (with --pending)')
    .enablePositionalOptions()
    .addCommand(alertShowCommand())
    .addCommand(redeliverCommand())
    .action(async (opts: AlertsOptions) => {
      // The config's db sits between $AUDITLAKE_DB and the default, as for every other command.
      const config = opts.config ? loadConfig(opts.config) : undefined;
      const db = resolveDb(opts.db, config?.db);
      if (!opts.server && !existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there yet (run auditlake replay first)`);
      const filters = (['severity', 'detector', 'principal'] as const).filter((f) => opts[f] !== undefined);
      if (opts.pending && filters.length > 0) {
        throw new AuditlakeError('bad_argument', `--pending lists every alert a sink has not taken, whatever its severity, detector or principal: give ${filters.map((f) => `--${f}`).join(' and ')} without it`);
      }
      if (opts.pending && opts.suppressed) throw new AuditlakeError('bad_argument', '--pending and --suppressed list different things: give one');
      const since = parseSince(opts.since);
      const minRank = opts.severity ? SEVERITIES.indexOf(opts.severity as (typeof SEVERITIES)[number]) : 0;
      const [sql, params] = opts.pending
        ? [PENDING_SQL, { sinks: pendingSinks(opts.config, config) }]
        : [alertsSql(opts.suppressed ? 'suppressed_alerts' : 'alerts'), { since, rank: minRank, detector: opts.detector ?? '', principal: (opts.principal ?? '').trim() }];
      const opened = await openOrFindServer(db, opts);
      const read = (text: string, values: Record<string, string | number>) => ('server' in opened ? queryServer(opened.server, text, values) : opened.store.query(text, values));
      try {
        const result = await read(sql, params);
        if ('truncated' in result && result.truncated) process.stderr.write(`auditlake: the server returned only the first ${result.rows.length} alerts (its row limit); narrow --since or --severity\n`);
        writeText(result, opts.format);
        // Said beside a table read by a person: alerts an exception kept apart are not in it.
        if (!opts.pending && !opts.suppressed && opts.format === 'table') {
          const kept = await read(`SELECT count(*) AS n FROM (${alertsSql('suppressed_alerts')})`, params).catch(() => undefined); // a file from before them
          const n = Number(kept?.rows[0]?.[0] ?? 0);
          if (n > 0) process.stderr.write(`auditlake: ${fmt(n)} more alert${n === 1 ? '' : 's'} matching these filters ${n === 1 ? 'was' : 'were'} kept apart by detectors.exceptions (--suppressed lists them)\n`);
        }
      } finally {
        if ('store' in opened) opened.store.close();
      }
    });
}

/** The configured sinks' names, comma-separated; without --config, '' (every sink the outbox has seen). */
function pendingSinks(file: string | undefined, config: Config | undefined): string {
  if (!file || !config) return '';
  const names = sinkNames(config.sinks);
  if (names.length === 0) throw new AuditlakeError('bad_config', `--config ${file}: sinks: no sink is configured`);
  return names.join(',');
}

function redeliverCommand(): Command {
  return new Command('redeliver')
    .description('Send alerts raised or updated since a time to a sink again (they become pending; the next '
      + '`run`, or `replay` with the same config, delivers them). Needs the database: stop `run` first.')
    .requiredOption('--sink <name>', 'the sink, as named in auditlake.yaml (default names: sentinel, webhook, ndjson, stdout, kafka)')
    .option('--since <when>', 'a duration (30m, 24h, 7d), a date (2025-11-14, from its start) or an ISO-8601 time', '24h')
    .addOption(dbOption())
    .action(async (opts: { sink: string; since: string; db?: string }) => {
      const db = resolveDb(opts.db);
      if (!existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there`);
      const store = await Store.open(db).catch((err: unknown) => {
        throw isHeldByAnotherProcess(err)
          ? new AuditlakeError('store_failed', `--db ${db} is held by auditlake run: stop it, redeliver, then start it again (nothing is lost meanwhile)`, { cause: err })
          : err;
      });
      const since = parseSince(opts.since);
      const outbox = await store.outbox();
      try {
        await checkKnownSink(store, opts.sink);
        const n = await outbox.redeliver(opts.sink, since);
        process.stdout.write(`${fmt(n)} alert${n === 1 ? '' : 's'} will be delivered to ${opts.sink} again.\n`);
      } finally {
        outbox.close();
        store.close();
      }
    });
}

/**
 * Redelivery resets the sink's delivery rows, so a name no delivery was ever recorded for
 * (a typo, or the kind instead of the configured name) would reset nothing and report
 * "0 alerts" as if that were the answer.
 */
async function checkKnownSink(store: Store, sink: string): Promise<void> {
  const known = (await store.query('SELECT DISTINCT sink FROM alert_deliveries ORDER BY sink')).rows.map((r) => String(r[0]));
  if (known.includes(sink)) return;
  throw new AuditlakeError('bad_argument', `--sink ${sink}: no alert has been delivered to a sink of that name; `
    + (known.length > 0 ? `known sinks: ${known.join(', ')}` : 'no sink has had any alert yet (nothing to redeliver)'));
}
