/**
 * bench/latency: how long after a batch is read its alerts are in the `alerts` table, with every
 * detector on, while replaying at full speed. Alerts are written in the batch's own transaction,
 * so "stored → alerts in table" is the detectors' share of that transaction; the time from a
 * batch leaving the source to its commit is reported beside it.
 *
 *   npm run bench:latency -- [records=200000]
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DecodePool } from '../src/decode/pool.js';
import { detectionCategories, enabledDetectors, openDetection } from '../src/detect.js';
import { runPipeline, type CommitTiming } from '../src/pipeline.js';
import { packageRoot } from '../src/paths.js';
import { readFiles } from '../src/sources/files.js';
import { Store } from '../src/store/duckdb.js';
import { generate } from './generate.js';
import { fmtInt } from './measure.js';
import { writeResults } from './results.js';

const records = Number(process.argv[2] ?? 200_000);
const dataDir = join(packageRoot, 'bench', 'data');
mkdirSync(dataDir, { recursive: true });
const input = join(dataDir, `ingest-${records}.ndjson`);
if (!existsSync(input)) await generate(input, records);
const db = join(dataDir, 'latency.duckdb');
rmSync(db, { force: true });
rmSync(`${db}.wal`, { force: true });

const store = await Store.open(db, { threads: 1 });
const detectors = await enabledDetectors();
const pool = new DecodePool({ maxRecordBytes: 1 << 20 }, 1, detectionCategories(detectors));
const detection = await openDetection(store, { detectors });
const timings: CommitTiming[] = [];
const started = performance.now();
const summary = await runPipeline(readFiles([input]), store, { pool, detection, onCommit: (t) => timings.push(t) });
const wallS = (performance.now() - started) / 1000;
await pool.close();
store.close();
rmSync(db, { force: true });

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const row = (name: string, xs: number[]) => `| ${name} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 99).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
const detect = timings.map((t) => t.detectMs);
const perRecordUs = (1000 * detect.reduce((a, b) => a + b, 0)) / summary.stored;
const lines = [
  `Input: ${fmtInt(records)} generated mixed records, replayed with all ${''}detectors on: ${fmtInt(summary.stored / wallS)} records/s, ${timings.length} commits (mean ${fmtInt(summary.stored / timings.length)} rows), ${summary.alerts.size} alerts.`,
  '',
  '| per commit (ms) | p50 | p99 | max |',
  '| --- | ---: | ---: | ---: |',
  row('batch stored → its alerts in the table (detectors inside the transaction)', detect),
  row('whole commit transaction (rows, alerts, state, position)', timings.map((t) => t.commitMs)),
  row('batch read from the source → committed with its alerts', timings.map((t) => t.sourceToCommitMs)),
  '',
  `Detectors cost ${perRecordUs.toFixed(1)} µs a record. Target (issue 3): p99 under 1 s, at 60,000 records/s or better.`,
];
writeResults('latency', lines);
console.log(lines.join('\n'));
