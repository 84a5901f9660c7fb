/**
 * `auditlake backfill`: history from a Log Analytics workspace through the full pipeline (store,
 * detect, alert), resumable. Rows are rebuilt into the records Event Hubs delivers
 * (src/sources/loganalytics/), so a record that arrives both ways is stored once (see
 * eventIdentity in src/schema/row.ts) and detectors learn baselines from it as from the stream.
 */
import { Command, Option } from 'commander';
import { prepareForAzure } from '../azure/prepare.js';
import { loadConfig, WORKER_LIMITS } from '../config.js';
import { DecodePool } from '../decode/pool.js';
import { DEFAULT_LIMITS } from '../decode/unit.js';
import { detectionCategories, detectionSetup, openDetection } from '../detect.js';
import { AuditlakeError } from '../errors.js';
import { runPipeline, type Summary } from '../pipeline.js';
import type { BackfillProgress } from '../sources/loganalytics/source.js';
import { isTableName, TABLE_NAMES, type TableName } from '../sources/loganalytics/tables.js';
import { Store } from '../store/duckdb.js';
import { printAlertsBrief } from './alerts-brief.js';
import { dbOption, defaultWorkers, fmt, formatDuration, formatEta, positiveInt, resolveDb, utcDay } from './common.js';
import { parseDuration, parseSince } from './duration.js';
import { deliverAlerts, summaryJson } from './replay.js';

export const DEFAULT_ENDPOINT = 'https://api.loganalytics.azure.com/v1';
/** Log Analytics ingests records minutes (rarely hours) after they happen: younger ranges are re-queried next time. */
const SETTLE_MS = 60 * 60_000;

interface BackfillCliOptions {
  workspace: string;
  since: string;
  until?: string;
  tables: string;
  endpoint: string;
  audience?: string;
  slice: string;
  minSlice: string;
  maxRows: number;
  db?: string;
  config?: string;
  workers?: number;
  detect: boolean;
  json?: boolean;
  quiet?: boolean;
}

function tableList(value: string): TableName[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !isTableName(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new AuditlakeError('bad_argument', `--tables ${value}: ${unknown.length > 0 ? `unknown table ${unknown.join(', ')}` : 'empty'}; expected some of ${TABLE_NAMES.join(',')}`);
  }
  return names as TableName[];
}

export function backfillCommand(): Command {
  return new Command('backfill')
    .description('Read history from a Log Analytics workspace through the full pipeline (store, detect, alert). '
      + 'Queries each table in time slices that stay under the API limits (a slice whose answer is too large is '
      + 'halved and asked again), records each finished slice in `checkpoints` with its rows, and on a rerun '
      + 'continues where it stopped. A record also received from Event Hubs is stored once.')
    .requiredOption('--workspace <id>', 'Log Analytics workspace id (GUID)')
    .option('--since <when>', 'start: a duration back from now (30d, 12h), a date (2025-11-01, from its start) or an ISO-8601 time', '30d')
    .option('--until <when>', 'end (exclusive): a duration back from now, a date (2025-11-14: up to its start) or an ISO-8601 time (default: now)')
    .option('--tables <list>', 'comma-separated tables', TABLE_NAMES.join(','))
    .option('--endpoint <url>', 'Log Analytics query endpoint, with /v1', DEFAULT_ENDPOINT)
    .option('--audience <url>', 'token audience for another cloud (default: https://api.loganalytics.io)')
    .option('--slice <duration>', 'first time slice per query', '1d')
    .option('--min-slice <duration>', 'smallest slice before giving up on a too-large answer', '1m')
    .option('--max-rows <n>', 'rows per query (the API allows 500,000 and ~64 MB)', positiveInt('--max-rows', { min: 1, max: 499_999 }), 20_000)
    .addOption(dbOption({ withConfig: true }))
    .option('--config <file>', 'auditlake.yaml: db, azure.credential, detectors.disabled, sinks')
    .option('--workers <n>', `decode worker threads (default: ${defaultWorkers()})`, positiveInt('--workers', WORKER_LIMITS))
    .option('--no-detect', 'store only; do not run the detectors')
    .addOption(new Option('--json', 'print the summary as one JSON object'))
    .option('-q, --quiet', 'no progress bar')
    .action(async (opts: BackfillCliOptions) => {
      await runBackfill(opts);
    });
}

async function runBackfill(opts: BackfillCliOptions): Promise<Summary> {
  const now = Date.now();
  const sinceMs = parseSince(opts.since, now);
  const untilMs = opts.until ? parseSince(opts.until, now, { flag: '--until' }) : now;
  if (!(untilMs > sinceMs)) throw new AuditlakeError('bad_argument', `--until ${opts.until ?? 'now'}: must be after --since ${opts.since}`);
  if (!/^https:\/\//i.test(opts.endpoint)) throw new AuditlakeError('bad_argument', `--endpoint ${opts.endpoint}: expected an https:// URL ending in /v1`);
  const tables = tableList(opts.tables);
  const sliceMs = parseDuration('--slice', opts.slice);
  const minSliceMs = parseDuration('--min-slice', opts.minSlice);
  const fileConfig = loadConfig(opts.config);
  const { credential } = await prepareForAzure(fileConfig);
  // Loaded here, not with the command: @azure/monitor-query-logs is not needed for --help.
  const [{ LogsQueryClient }, { backfill }] = await Promise.all([import('@azure/monitor-query-logs'), import('../sources/loganalytics/source.js')]);
  const client = new LogsQueryClient(credential(), {
    endpoint: opts.endpoint.replace(/\/+$/, ''),
    ...(opts.audience ? { credentials: { scopes: [`${opts.audience.replace(/\/+$/, '')}/.default`] } } : {}),
  });

  const db = resolveDb(opts.db, fileConfig.db);
  const setup = opts.detect ? await detectionSetup(fileConfig.detectors, opts.config) : { detectors: [] };
  const store = await Store.open(db, { threads: 1 });
  const pool = new DecodePool({ maxRecordBytes: DEFAULT_LIMITS.maxRecordBytes }, opts.workers ?? fileConfig.replay.workers ?? defaultWorkers(), detectionCategories(setup.detectors));
  const progress: BackfillProgress = { totalMs: 0, doneMs: 0, rows: 0, queries: 0, splits: 0, sliceStartMs: sinceMs };
  const started = performance.now();
  const bar = !opts.quiet && !opts.json && process.stderr.isTTY ? progressBar(progress, started) : undefined;
  const notes: string[] = [];
  try {
    const detection = opts.detect ? await openDetection(store, setup) : undefined;
    const source = backfill({
      client, workspace: opts.workspace, tables, sinceMs, untilMs, sliceMs, minSliceMs, maxRows: opts.maxRows,
      settledBeforeMs: now - SETTLE_MS, checkpoints: await store.checkpoints(), progress,
      onMissingTable: (t, reason) => notes.push(`table ${t} is not in workspace ${opts.workspace}; skipped (${reason})`),
    });
    const summary = await runPipeline(source, store, { pool, ...(detection ? { detection } : {}), ...(bar ? { onBatch: bar } : {}) });
    if (bar) process.stderr.write('\r\x1b[K');
    const delivery = await deliverAlerts(store, fileConfig);
    const elapsedMs = performance.now() - started;
    if (opts.json) {
      const { files: _files, ...rest } = summaryJson(summary, 0, elapsedMs);
      process.stdout.write(`${JSON.stringify({ workspace: opts.workspace, tables, queries: progress.queries, splits: progress.splits, rows: progress.rows, ...rest, notes, ...(delivery ? { delivery } : {}) })}\n`);
    } else {
      for (const n of notes) process.stderr.write(`auditlake: ${n}\n`);
      process.stdout.write(`Backfilled ${fmt(progress.rows)} rows of ${tables.length} table${tables.length === 1 ? '' : 's'} from workspace ${opts.workspace} into ${db} in ${formatDuration(elapsedMs)}: `
        + `${fmt(summary.stored)} stored, ${fmt(summary.duplicates)} duplicates skipped, ${fmt(summary.rejected)} rejected; ${fmt(progress.queries)} queries, ${fmt(progress.splits)} slices split.`
        + (delivery ? ` Delivered ${fmt(delivery.delivered)} alerts${delivery.pending > 0 ? `, ${fmt(delivery.pending)} pending` : ''}.` : '') + '\n');
      printAlertsBrief([...summary.alerts.values()], [...summary.suppressed.values()]);
    }
    return summary;
  } finally {
    if (bar) process.stderr.write('\r\x1b[K');
    await pool.close();
    store.close();
  }
}

/** `[#######.............]  41%  2025-11-03  120,512 rows  ETA 4m 12s`, redrawn at most 4 times a second. */
function progressBar(p: BackfillProgress, started: number) {
  let lastDraw = 0;
  return () => {
    const now = performance.now();
    if (now - lastDraw < 250) return;
    lastDraw = now;
    const share = p.totalMs > 0 ? Math.min(1, p.doneMs / p.totalMs) : 1;
    const width = 24;
    const filled = Math.round(share * width);
    const elapsed = now - started;
    const eta = share > 0 && share < 1 ? formatEta((elapsed * (1 - share)) / share) : '—';
    process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  `
      + `${utcDay(p.sliceStartMs)}  ${fmt(p.rows)} rows  ETA ${eta}`);
  };
}

