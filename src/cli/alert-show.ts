/**
 * `auditlake alerts show ID`: one alert as an analyst opens it at the terminal — what fired and
 * why, what the catalogue says about it (ATT&CK, false positives), its evidence facts and events,
 * the other alerts about the same principal, and the saved query that looks further. The same
 * reading as the console's alert view (investigate/alert-detail.ts), locally or through the
 * server that holds the database.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { exceptionFor } from '../detectors/exceptions.js';
import { AuditlakeError } from '../errors.js';
import { printableJson, printableLines } from '../schema/printable.js';
import { alertIdsStartingWith, readAlertDetail, type AlertDetail, type AlertTable } from '../investigate/alert-detail.js';
import type { ReadRows } from '../investigate/rows.js';
import { openOrFindServer, queryServer } from '../server/client.js';
import { rowObjects } from '../server/statements.js';
import { dbOption, resolveDb } from './common.js';
import { renderText, writeOut } from './output.js';
import { loadConfig } from '../config.js';

interface ShowOptions { db?: string; config?: string; server?: string; tokenFile?: string; format: 'table' | 'json'; exception?: boolean }

/** A field as text, or undefined when it is empty. */
const text = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : String(v));

/** Enough candidates to show that a prefix is ambiguous, few enough to read. */
const CANDIDATES = 6;

export function alertShowCommand(): Command {
  return new Command('show')
    .description('Show one alert: what fired and why, its ATT&CK techniques and likely false positives, its evidence '
      + 'facts and events, other alerts about the same principal, and the saved query that looks further. '
      + 'ID is an alert_id as `auditlake alerts` prints it, or enough of its start to tell it apart.')
    .argument('<id>', 'the alert_id, or its first characters')
    .addOption(dbOption({ withConfig: true }))
    .option('--config <file>', 'auditlake.yaml: its db')
    .addOption(new Option('--format <format>', 'table: a report to read; json: every field, for scripts').choices(['table', 'json']).default('table'))
    .option('--server <url>', 'read it from this auditlake server (default: the one serving --db, when its database is held)')
    .option('--token-file <file>', "the server's bearer token file (default: the one named in <db>.server.json, else <db>.token)")
    .option('--exception', 'instead: the detectors.exceptions entry (YAML) that would keep alerts like it apart, for an alert that is expected')
    .action(async (given: string, opts: ShowOptions) => {
      const config = opts.config ? loadConfig(opts.config) : undefined;
      const db = resolveDb(opts.db, config?.db);
      if (!opts.server && !existsSync(db)) throw new AuditlakeError('not_found', `--db ${db}: no database there yet (run auditlake replay first)`);
      const prefix = given.trim().toLowerCase();
      if (!/^[0-9a-f]+$/.test(prefix)) throw new AuditlakeError('bad_argument', `alert id ${JSON.stringify(given)}: expected the hex digits of an alert_id, as auditlake alerts prints it`);
      const opened = await openOrFindServer(db, opts);
      const read: ReadRows = 'server' in opened
        ? async (sql, params, maxRows) => rowObjects(await queryServer(opened.server, sql, params, { maxRows }))
        : async (sql, params) => rowObjects(await opened.store.query(sql, params));
      try {
        const found = await uniqueId(read, prefix);
        const detail = await readAlertDetail(read, found.id, found.table);
        // Read between the id lookup and here only if the alert vanished meanwhile (a reset database).
        if (!detail) throw new AuditlakeError('not_found', `alert ${given}: not in ${db}`);
        if (opts.exception) {
          const a = detail.alert;
          writeOut([printableLines(`# Under detectors.exceptions in auditlake.yaml; the next run or replay applies it.\n${exceptionFor(a, text(a.principal_name))}`)]);
          return;
        }
        const lookFurther = opts.server ? `--server ${opts.server}` : `--db ${shellWord(db)}`;
        // The alert's fields come from logged text: written so that no escape sequence in them reaches a terminal.
        writeOut([opts.format === 'json' ? `${printableJson(JSON.stringify(detail, null, 2))}\n` : printableLines(alertReport(detail, lookFurther))]);
      } finally {
        if ('store' in opened) opened.store.close();
      }
    });
}

/**
 * The one alert id that starts with `prefix`, and its table: `alerts`, else `suppressed_alerts`
 * (an alert a detector exception kept apart is still opened, and says so); an error naming the
 * candidates when there are several.
 */
async function uniqueId(read: ReadRows, prefix: string): Promise<{ id: string; table: AlertTable }> {
  for (const table of ['alerts', 'suppressed_alerts'] as const) {
    const ids = await alertIdsStartingWith(read, prefix, CANDIDATES, table)
      .catch((err: unknown) => { if (table === 'alerts') throw err; return []; }); // a file from before suppressed_alerts, opened read-only
    if (ids.length === 1) return { id: ids[0]!, table };
    if (ids.length > 1) {
      const more = ids.length === CANDIDATES ? ', …' : '';
      throw new AuditlakeError('bad_argument', `alert ${prefix}: ${ids.length === CANDIDATES ? 'many' : ids.length} alerts start with that (${ids.join(', ')}${more}); give more of the id`);
    }
  }
  throw new AuditlakeError('not_found', `alert ${prefix}: no alert_id starts with that (auditlake alerts --since 30d lists them)`);
}

/** The report `show` prints: a heading, labelled fields, the catalogue, then the evidence. */
function alertReport(d: AlertDetail, lookFurther: string): string {
  const a = d.alert;
  const who = text(a.principal_name) && text(a.principal_id) ? `${text(a.principal_name)} (${text(a.principal_id)})` : text(a.principal_name) ?? text(a.principal_id);
  const count = Number(a.event_count);
  const fields: Array<[string, string | undefined]> = [
    ['alert_id', text(a.alert_id)],
    ['detector', text(a.detector_id)],
    ['principal', who],
    ['app_id', text(a.app_id)],
    ['caller_ip', text(a.caller_ip)],
    ['resource', text(a.resource_id)],
    ['events', `${count} from ${text(a.first_event_time)} to ${text(a.last_event_time)}`],
    ['raised', text(a.time_generated)],
    ...(d.detector?.techniques ?? []).map((t, i): [string, string] => [i === 0 ? 'ATT&CK' : '', `${t.id} ${t.name} (${t.tactics.join(', ')})`]),
  ];
  const out: string[] = [`${String(a.severity).toUpperCase()}  ${text(a.title) ?? ''}`, ''];
  if (text(a.suppressed_by)) out.splice(1, 0, `SUPPRESSED by detectors.exceptions, sent to no sink: ${text(a.suppressed_by)}`);
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) if (v !== undefined) out.push(`${k.padEnd(width)}  ${v}`);
  for (const [heading, body] of [['What it means', text(a.description)], ['What to do', text(a.remediation)]] as const) {
    if (body) out.push('', `${heading}:`, indent(body));
  }
  if (d.detector && d.detector.falsePositives.length > 0) out.push('', 'Often benign when:', ...d.detector.falsePositives.map((f) => `  - ${f}`));
  const facts = Object.entries(d.alert.evidence);
  if (facts.length > 0) {
    const w = Math.max(...facts.map(([k]) => k.length));
    out.push('', 'Evidence:', ...facts.map(([k, v]) => `  ${k.padEnd(w)}  ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`));
  }
  out.push('', `Evidence events (${evidenceCounts(d.events.length, d.evidenceEventIds, count)}):`);
  if (d.events.length > 0) out.push(table(d.events, ['time', 'operation', 'result', 'principal_name', 'principal_id', 'caller_ip', 'resource_name', 'target']));
  if (d.related.length > 0) {
    out.push('', `Other alerts about this ${text(a.principal_id) ? 'principal' : 'IP address'} (${d.related.length}${d.related.length === 50 ? ', the latest' : ''}):`);
    out.push(table(d.related, ['severity', 'detector_id', 'first_event_time', 'last_event_time', 'event_count', 'alert_id']));
  }
  out.push('', 'Look further:', `  ${lookFurtherCommand(a, lookFurther)}`, '');
  return out.join('\n');
}

/** How many evidence events are shown, of those the alert names by id and of those it counted. */
function evidenceCounts(found: number, named: number, counted: number): string {
  const of = named < counted ? `the ${named} it names by id of the ${counted} it counted` : `${named}`;
  const gone = named - found;
  return found === named ? of : `${found} found, ${of}; ${gone} no longer in the database (retention?)`;
}

/** The saved query that shows what the alert's subject did around it: its principal, else its IP. */
function lookFurtherCommand(a: AlertDetail['alert'], target: string): string {
  const hour = 3_600_000;
  const since = new Date(Date.parse(String(a.first_event_time)) - hour).toISOString();
  const until = new Date(Date.parse(String(a.last_event_time)) + hour).toISOString();
  const window = `--since ${since} --until ${until}`;
  const principal = a.principal_id ?? a.principal_name;
  if (principal) return `npx auditlake query ${target} principal-timeline --param principal=${shellWord(String(principal))} ${window}`;
  if (a.caller_ip) return `npx auditlake query ${target} ip-activity --param ip=${shellWord(String(a.caller_ip))} ${window}`;
  // The resource id is bound, not spliced: it is logged text, and this line is pasted into a shell.
  return `npx auditlake query ${target} 'SELECT * FROM events_between($since, $until) WHERE resource_id = $resource ORDER BY time, event_id' --param resource=${shellWord(String(a.resource_id ?? ''))} ${window}`;
}

/** Rows of objects as the table format prints them, these columns only (when any row has them). */
function table(rows: Record<string, unknown>[], columns: string[]): string {
  const shown = columns.filter((c) => rows.some((r) => r[c] !== null && r[c] !== undefined));
  return renderText({ columns: shown.map((name) => ({ name, type: '' })), rows: rows.map((r) => shown.map((c) => r[c])) }, 'table').replace(/\n$/, '');
}

const indent = (s: string) => s.split('\n').map((l) => `  ${l}`).join('\n');

/** A word the shell takes as it is, quoted when it has anything but safe characters. */
const shellWord = (s: string) => (/^[\w.@:+\-/=,]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
