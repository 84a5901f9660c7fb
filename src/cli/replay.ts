/** `auditlake replay`: files through the full pipeline (store, detect, alert), with a summary. */
import { Command, Option } from 'commander';
import { DecodePool } from '../decode/pool.js';
import { DEFAULT_LIMITS } from '../decode/unit.js';
import { loadConfig, RECORD_BYTES_LIMITS, WORKER_LIMITS, type Config } from '../config.js';
import { prepareForAzure } from '../azure/prepare.js';
import { printableJson } from '../schema/printable.js';
import { createLogger } from '../service/log.js';
import { deliverUntil } from '../sinks/delivery.js';
import { buildSinks, deliveryOptions, sinkNames } from '../sinks/index.js';
import { detectionCategories, detectionSetup, openDetection } from '../detect.js';
import { runPipeline, type Summary } from '../pipeline.js';
import { readFiles, listInputFiles } from '../sources/files.js';
import type { SourceBatch } from '../sources/source.js';
import type { AlertRow } from '../detectors/alert.js';
import { Store } from '../store/duckdb.js';
import { formatBytes } from '../format.js';
import { dbOption, defaultWorkers, fmt, formatDuration, positiveInt, resolveDb } from './common.js';
import { printAlertsBrief } from './alerts-brief.js';

export interface ReplayOptions {
  db?: string;
  config?: string;
  workers?: number;
  maxRecordBytes?: number;
  detect: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function replayCommand(): Command {
  return new Command('replay')
    .description('Ingest files or folders through the full pipeline (store, detect, alert): in name order, but Azure archive folders '
      + '(…/y=YYYY/m=MM/d=DD/h=HH/…) hour by hour across categories. '
      + 'Accepts .json (an Event Hubs body {"records":[...]}, an array, or one record, or several one after another as in '
      + 'archived PT1H.json files), .ndjson/.jsonl (a body or record per line), each optionally .gz. Exits 0 when it finished, even if some '
      + 'records were rejected: they are in the `rejects` table with the reason.')
    .argument('<paths...>', 'files or folders')
    .addOption(dbOption({ withConfig: true }))
    .option('--config <file>', 'auditlake.yaml: db, replay.workers, replay.maxRecordBytes, detectors.disabled')
    .option('--workers <n>', `decode worker threads; 0 decodes on the main thread (default: ${defaultWorkers()})`, positiveInt('--workers', WORKER_LIMITS))
    .option('--max-record-bytes <n>', `refuse records larger than this (default: ${DEFAULT_LIMITS.maxRecordBytes})`, positiveInt('--max-record-bytes', RECORD_BYTES_LIMITS))
    .option('--no-detect', 'store only; do not run the detectors')
    .addOption(new Option('--json', 'print the summary as one JSON object'))
    .option('-q, --quiet', 'no progress line')
    .action(async (paths: string[], opts: ReplayOptions) => {
      await replay(paths, opts);
    });
}

export async function replay(paths: string[], opts: ReplayOptions): Promise<Summary> {
  const config = loadConfig(opts.config);
  const files = listInputFiles(paths); // fails before anything is opened when a path is wrong
  const db = resolveDb(opts.db, config.db);
  // Before the database is opened (and perhaps created): a config error leaves nothing behind.
  const setup = opts.detect ? await detectionSetup(config.detectors, opts.config) : { detectors: [] };
  // One DuckDB thread: the decode workers have the other cores, and a second thread only contends.
  const store = await Store.open(db, { threads: 1 });
  const limits = { maxRecordBytes: opts.maxRecordBytes ?? config.replay.maxRecordBytes ?? DEFAULT_LIMITS.maxRecordBytes };
  const pool = new DecodePool(limits, opts.workers ?? config.replay.workers ?? defaultWorkers(), detectionCategories(setup.detectors));
  const started = performance.now();
  const progress = !opts.quiet && !opts.json && process.stderr.isTTY ? progressLine(started) : undefined;
  try {
    const detection = opts.detect ? await openDetection(store, setup) : undefined;
    const summary = await runPipeline(readFiles(paths), store, { pool, ...(detection ? { detection } : {}), ...(progress ? { onBatch: progress } : {}) });
    if (progress) process.stderr.write('\r\x1b[K');
    const delivery = await deliverAlerts(store, config);
    const elapsedMs = performance.now() - started;
    if (opts.json) process.stdout.write(`${printableJson(JSON.stringify({ ...summaryJson(summary, files.length, elapsedMs), ...(delivery ? { delivery } : {}) }))}\n`);
    else printSummary(summary, files.length, elapsedMs, db, delivery);
    return summary;
  } finally {
    await pool.close();
    store.close();
  }
}

/**
 * Alerts to the configured sinks, until all are delivered or `delivery.replayDeadlineSeconds`
 * passes; what is left stays in the outbox for the next replay or run (`alerts --pending`).
 */
export async function deliverAlerts(store: Store, fileConfig: Config): Promise<{ delivered: number; pending: number } | undefined> {
  if (sinkNames(fileConfig.sinks).length === 0) return undefined;
  const { config, credential } = await prepareForAzure(fileConfig);
  const log = createLogger('warn', process.stderr);
  const sinks = await buildSinks(config.sinks, { credential, log });
  const outbox = await store.outbox();
  try {
    return await deliverUntil(outbox, sinks, deliveryOptions(config.delivery), log, config.delivery.replayDeadlineSeconds * 1000);
  } finally {
    await Promise.allSettled(sinks.map((s) => s.close?.()));
    outbox.close();
  }
}

function progressLine(started: number) {
  let lastDraw = 0;
  return (s: Summary, batch: SourceBatch) => {
    const now = performance.now();
    if (now - lastDraw < 250 || !batch.progress) return;
    lastDraw = now;
    const { bytesRead, bytesTotal } = batch.progress;
    const pct = bytesTotal > 0 ? ` (${((100 * bytesRead) / bytesTotal).toFixed(1)}%)` : '';
    const rate = s.read / ((now - started) / 1000);
    process.stderr.write(`\r\x1b[K${formatBytes(bytesRead)} of ${formatBytes(bytesTotal)}${pct}  ${fmt(s.read)} records  ${fmt(Math.round(rate))} records/s`);
  };
}

export function summaryJson(s: Summary, files: number, elapsedMs: number) {
  return {
    files,
    read: s.read,
    stored: s.stored,
    duplicates: s.duplicates,
    rejected: s.rejected,
    rejectedByReason: Object.fromEntries(s.rejectedByReason),
    alerts: [...s.alerts.values()].map(briefJson),
    suppressed: [...s.suppressed.values()].map((a) => ({ ...briefJson(a), suppressed_by: a.suppressed_by })),
    elapsedMs: Math.round(elapsedMs),
  };
}

function briefJson(a: AlertRow) {
  return { alert_id: a.alert_id, detector_id: a.detector_id, severity: a.severity, principal_id: a.principal_id, principal_name: a.principal_name, caller_ip: a.caller_ip, resource_id: a.resource_id, event_count: a.event_count, title: a.title };
}

function printSummary(s: Summary, files: number, elapsedMs: number, db: string, delivery?: { delivered: number; pending: number }): void {
  const out: string[] = [];
  out.push(`Replayed ${fmt(files)} file${files === 1 ? '' : 's'} into ${db} in ${formatDuration(elapsedMs)}.`);
  const rows: [string, number][] = [['records read', s.read], ['stored', s.stored], ['duplicates skipped', s.duplicates], ['rejected', s.rejected]];
  const width = Math.max(...rows.map(([, n]) => fmt(n).length));
  for (const [label, n] of rows) out.push(`  ${label.padEnd(20)}${fmt(n).padStart(width)}`);
  for (const [reason, n] of [...s.rejectedByReason].sort((a, b) => b[1] - a[1])) out.push(`    ${fmt(n).padStart(6)}  ${reason}`);
  if (delivery) {
    out.push(`Delivered ${fmt(delivery.delivered)} alert${delivery.delivered === 1 ? '' : 's'} to the sinks`
      + (delivery.pending > 0 ? `; ${fmt(delivery.pending)} still pending (auditlake alerts --pending).` : '.'));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  printAlertsBrief([...s.alerts.values()], [...s.suppressed.values()]);
}
