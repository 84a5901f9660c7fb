/**
 * bench/ingest: end-to-end replay throughput, memory and storage size on a generated file of
 * realistic mixed records, beside two baselines measured in the same run over the same bytes:
 * JSON.parse alone, and DuckDB's own JSON reader loading the records into a table.
 *
 *   npm run bench:ingest -- [records=1000000]
 */
import { createReadStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { packageRoot } from '../src/paths.js';
import { generate } from './generate.js';
import { fmtInt, machine, mb, runMeasured } from './measure.js';
import { writeResults } from './results.js';

const records = Number(process.argv[2] ?? 1_000_000);
const dataDir = join(packageRoot, 'bench', 'data');
mkdirSync(dataDir, { recursive: true });
const input = join(dataDir, `ingest-${records}.ndjson`);
if (!existsSync(input)) {
  console.log(`Generating ${fmtInt(records)} records into ${input} ...`);
  await generate(input, records);
}
const inputBytes = statSync(input).size;
console.log(`Input: ${fmtInt(records)} records, ${mb(inputBytes).toFixed(0)} MB, on ${machine()}`);

async function jsonParseBaseline(): Promise<number> {
  const started = performance.now();
  let n = 0;
  const lines = createInterface({ input: createReadStream(input, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of lines) n += (JSON.parse(line) as { records: unknown[] }).records.length;
  if (n !== records) throw new Error(`JSON.parse baseline saw ${n} records, expected ${records}`);
  return performance.now() - started;
}

async function duckdbReadJsonBaseline(): Promise<number> {
  const db = join(dataDir, 'baseline-read-json.duckdb');
  rmSync(db, { force: true });
  const instance = await DuckDBInstance.create(db, { storage_compatibility_version: 'latest' });
  const conn = await instance.connect();
  const started = performance.now();
  // Each line is a body; its records become one row each, kept as JSON (DuckDB does no normalizing here).
  await conn.run(`CREATE TABLE records AS SELECT unnest(json_extract(json, '$.records[*]')) AS record FROM read_ndjson_objects('${input}')`);
  const elapsed = performance.now() - started;
  const n = Number((await conn.runAndReadAll('SELECT count(*) FROM records')).getRows()[0]![0]);
  conn.closeSync();
  instance.closeSync();
  rmSync(db, { force: true });
  if (n !== records) throw new Error(`read_json baseline loaded ${n} records, expected ${records}`);
  return elapsed;
}

async function replayRun(detect: boolean) {
  const db = join(dataDir, `ingest-${detect ? 'detect' : 'store'}.duckdb`);
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const args = [join(packageRoot, 'bin', 'auditlake.js'), 'replay', '--json', '--quiet', '--db', db, ...(detect ? [] : ['--no-detect']), input];
  const run = await runMeasured(process.execPath, args);
  if (run.code !== 0) throw new Error(`replay failed (${run.code}): ${run.stderr}`);
  const summary = JSON.parse(run.stdout) as { stored: number; rejected: number; alerts: unknown[] };
  if (summary.stored !== records) throw new Error(`replay stored ${summary.stored} of ${records}`);
  const dbBytes = statSync(db).size;
  rmSync(db, { force: true });
  return { ...run, summary, dbBytes };
}

const parseMs = await jsonParseBaseline();
console.log(`JSON.parse alone: ${fmtInt(records / (parseMs / 1000))} records/s`);
const readJsonMs = await duckdbReadJsonBaseline();
console.log(`DuckDB read_json: ${fmtInt(records / (readJsonMs / 1000))} records/s`);
const store = await replayRun(false);
console.log(`replay --no-detect: ${fmtInt(records / (store.wallMs / 1000))} records/s, peak RSS ${mb(store.peakRssBytes).toFixed(0)} MB`);
const detect = await replayRun(true);
console.log(`replay (all detectors): ${fmtInt(records / (detect.wallMs / 1000))} records/s, peak RSS ${mb(detect.peakRssBytes).toFixed(0)} MB, ${detect.summary.alerts.length} alerts`);

const rate = (ms: number) => records / (ms / 1000);
const rows = [
  ['JSON.parse alone (baseline)', parseMs, null, null],
  ['DuckDB read_json into a table (baseline)', readJsonMs, null, null],
  ['auditlake replay, store only (--no-detect)', store.wallMs, store.peakRssBytes, store.dbBytes],
  ['auditlake replay, store + all detectors', detect.wallMs, detect.peakRssBytes, detect.dbBytes],
] as const;
const table = [
  '| run | wall s | records/s | MB/s | vs JSON.parse | vs read_json | peak RSS MB | DuckDB file MB | raw JSON ÷ file |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(([name, ms, rss, dbBytes]) => `| ${name} | ${(ms / 1000).toFixed(1)} | ${fmtInt(rate(ms))} | ${(mb(inputBytes) / (ms / 1000)).toFixed(0)} | ${(rate(ms) / rate(parseMs)).toFixed(2)}× | ${(rate(ms) / rate(readJsonMs)).toFixed(2)}× | ${rss === null ? '' : mb(rss).toFixed(0)} | ${dbBytes === null ? '' : mb(dbBytes).toFixed(0)} | ${dbBytes === null ? '' : `${(inputBytes / dbBytes).toFixed(1)}×`} |`),
];
writeResults('ingest', [
  `Input: ${fmtInt(records)} generated records (Event Hubs bodies of 50 mixed records, varied from the benign days of fixtures/scenarios: storage, Key Vault, activity, Entra, sign-ins, Azure ML), ${mb(inputBytes).toFixed(0)} MB of NDJSON.`,
  '',
  ...table,
  '',
  `Targets (issue 2): ≥ 60,000 records/s end to end, peak RSS < 1 GiB, storage ≥ 5× smaller than the raw JSON.`,
]);
console.log(table.join('\n'));
