/**
 * bench/consume: `auditlake run` draining an Event Hubs backlog from the AMQP test peer
 * (test/support/eventhubs-peer.ts, in this process) into DuckDB with every detector on:
 * records/s from the first to the last committed batch, and the run process's memory across the
 * drain (sampled every 250 ms, and at 25/50/75/100 % of the records), with the SDK's prefetch at
 * its default. Baseline in the same run: `auditlake replay` of the very same records from NDJSON.
 *
 * The backlog is the ingest bench's generated records regrouped into bodies of 100 (so every
 * record is distinct: nothing is skipped as a duplicate), spread round-robin over 4 partitions.
 * The peer reads each body from the file by offset only when it delivers it (sendGenerated): no
 * body is built or held ahead, and the page cache serves the bytes.
 *
 *   npm run bench:consume -- [--records 1000000]
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../src/config.js';
import { packageRoot } from '../src/paths.js';
import { startEventHubsPeer } from '../test/support/eventhubs-peer.js';
import { writeConfig } from '../test/support/service.js';
import { generate } from './generate.js';
import { fmtInt, machine, mb, memoryOf, runMeasured, threadCpu, threadRoles } from './measure.js';
import { writeResults } from './results.js';

const records = recordsArg(process.argv.slice(2)) ?? 1_000_000;
const RECORDS_PER_BODY = 100;
const PARTITIONS = 4;
const HUB = 'insights-logs-auditevent';
const SAMPLE_MS = 250;
/** No commit for this long (startup included) and the bench gives up. */
const STALL_MS = 180_000;

function recordsArg(args: string[]): number | undefined {
  const i = args.findIndex((a) => a === '--records' || a.startsWith('--records='));
  const text = i < 0 ? args.find((a) => /^\d+$/.test(a)) : args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--records: expected a positive integer, got ${text}`);
  return n;
}

const dataDir = join(packageRoot, 'bench', 'data');
mkdirSync(dataDir, { recursive: true });
const input = join(dataDir, `consume-${records}.ndjson`);
if (!existsSync(input)) {
  console.log(`Generating ${fmtInt(records)} records (bodies of ${RECORDS_PER_BODY}) into ${input} ...`);
  await generate(input, records, RECORDS_PER_BODY);
}
const inputBytes = statSync(input).size;
const bodies = lineIndex(input);
console.log(`Input: ${fmtInt(records)} records in ${fmtInt(bodies.length)} bodies (mean ${(inputBytes / bodies.length / 1024).toFixed(0)} KB), ${mb(inputBytes).toFixed(0)} MB, on ${machine()}`);

/** Offset and length of every line (body) of the file, without its newline. */
function lineIndex(path: string): Array<{ offset: number; length: number }> {
  const out: Array<{ offset: number; length: number }> = [];
  const fd = openSync(path, 'r');
  const chunk = Buffer.allocUnsafe(16 << 20);
  let base = 0;
  let lineStart = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, base);
    if (n === 0) break;
    for (let at = chunk.indexOf(10); at >= 0 && at < n; at = chunk.indexOf(10, at + 1)) {
      out.push({ offset: lineStart, length: base + at - lineStart });
      lineStart = base + at + 1;
    }
    base += n;
  }
  closeSync(fd);
  if (lineStart < base) out.push({ offset: lineStart, length: base - lineStart });
  return out;
}

interface Commit { t: number; records: number; stored: number; duplicates: number; rejected: number; alerts: number; ms: number }
interface Sample { t: number; rssBytes: number; committed: number }
interface ThreadCpu { tid: number; name: string; cpuS: number }

async function consume() {
  const peer = await startEventHubsPeer({ hubs: { [HUB]: PARTITIONS } });
  const fd = openSync(input, 'r');
  const readBody = (b: number): Buffer => {
    const { offset, length } = bodies[b]!;
    const buf = Buffer.allocUnsafe(length);
    readSync(fd, buf, 0, length, offset);
    return buf;
  };
  // Body b goes to partition b % 4: the whole backlog is in the peer's logs before run starts.
  for (let p = 0; p < PARTITIONS; p++) {
    const count = Math.ceil((bodies.length - p) / PARTITIONS);
    peer.sendGenerated(HUB, String(p), count, (i) => readBody(i * PARTITIONS + p));
  }

  const db = join(dataDir, 'consume.duckdb');
  for (const f of [db, `${db}.wal`, `${db}.token`, `${db}.server.json`]) rmSync(f, { force: true });
  // Everything about consuming at its default (prefetchCount, maxBatchSize, maxWaitTimeSeconds, queueBatches, workers, detectors).
  const configFile = writeConfig(dataDir, {
    db,
    sources: { eventhubs: [{ connectionString: peer.connectionString(HUB), hubs: [HUB] }] },
    server: { port: 0, tokenFile: `${db}.token` },
  }, 'consume.yaml');
  const config = loadConfig(configFile);

  const started = performance.now();
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'auditlake.js'), 'run', '--config', configFile], {
    cwd: packageRoot,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  const commits: Commit[] = [];
  const others: Array<Record<string, unknown>> = [];
  let output = '';
  let pending = '';
  let committed = 0;
  const samples: Sample[] = [];
  const marks = new Map<number, Sample>(); // 25/50/75/100 % → the sample taken as that commit's line arrived
  let firstCpu: ThreadCpu[] = [];
  let firstBenchCpu = process.cpuUsage();
  let lastCpu: ThreadCpu[] = [];
  let benchCpuS = 0;
  /** Most unused link credit on any partition while it still had undelivered events, and most bodies delivered but not yet committed. */
  let maxCredit = 0;
  let maxInFlight = 0;
  let delivered = 0;
  const watchPeer = () => {
    const links = peer.receivers();
    for (const r of links) if (r.delivered < peer.count(HUB, r.partition)) maxCredit = Math.max(maxCredit, r.credit);
    delivered = links.reduce((n, r) => n + r.delivered, 0);
    maxInFlight = Math.max(maxInFlight, delivered - committed / RECORDS_PER_BODY);
  };
  let done!: () => void;
  const drained = new Promise<void>((resolve) => { done = resolve; });

  const sample = (): Sample | undefined => {
    const mem = memoryOf(pid);
    if (!mem) return undefined;
    const s = { t: performance.now() - started, rssBytes: mem.rssBytes, committed };
    samples.push(s);
    return s;
  };
  const onLine = (line: string, t: number) => {
    if (!line.startsWith('{')) return;
    let entry: Record<string, unknown>;
    try { entry = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    if (entry.msg !== 'Batch committed.') {
      others.push(entry);
      return;
    }
    const c: Commit = { t, records: Number(entry.records), stored: Number(entry.stored), duplicates: Number(entry.duplicates), rejected: Number(entry.rejected), alerts: Number(entry.alerts), ms: Number(entry.ms) };
    commits.push(c);
    committed += c.records;
    if (commits.length === 1) {
      firstCpu = threadCpu(pid);
      firstBenchCpu = process.cpuUsage();
    }
    for (const q of [25, 50, 75, 100]) {
      if (!marks.has(q) && committed >= (q / 100) * records) {
        const s = sample();
        if (s) marks.set(q, s);
      }
    }
    if (committed >= records) {
      lastCpu = threadCpu(pid);
      benchCpuS = cpuSeconds(process.cpuUsage(firstBenchCpu));
      watchPeer();
      done();
    }
  };
  const onData = (d: Buffer) => {
    const t = performance.now() - started;
    const text = d.toString('utf8');
    output += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) onLine(line, t);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', (d: Buffer) => { output += d.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timer = setInterval(() => {
    sample();
    watchPeer();
    const lastAt = commits.at(-1)?.t ?? 0;
    if (!stalled && performance.now() - started - lastAt > STALL_MS) {
      stalled = `no progress for ${STALL_MS / 1000} s (${fmtInt(committed)} of ${fmtInt(records)} records committed); killed. `;
      child.kill('SIGKILL');
    }
  }, SAMPLE_MS);
  let stalled = '';
  const early = exited.then((code) => { throw new Error(`auditlake run: ${stalled}exited (${code}) before the backlog was drained:\n${output.slice(-4000)}`); });
  try {
    await Promise.race([drained, early]);
  } finally {
    clearInterval(timer);
  }
  early.catch(() => undefined);
  const hwm = memoryOf(pid)?.hwmBytes ?? 0;
  const roles = threadRoles(pid); // measured already: gdb pausing the process now costs nothing
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`auditlake run exited ${code} after SIGTERM:\n${output.slice(-4000)}`);
  closeSync(fd);
  await peer.close();

  // What the database holds now, asked directly (run has closed it).
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  const count = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0]![0]);
  const stored = await count('SELECT count(*) FROM events');
  const rejects = await count('SELECT count(*) FROM rejects');
  const alerts = await count('SELECT count(*) FROM alerts');
  conn.closeSync();
  instance.closeSync();
  const dbBytes = statSync(db).size;
  for (const f of [db, `${db}.wal`, `${db}.token`, `${db}.server.json`, configFile]) rmSync(f, { force: true });
  if (stored !== records) throw new Error(`events holds ${stored} rows, ${records} records were produced`);

  return { pid, roles, commits, samples, marks, hwm, firstCpu, lastCpu, benchCpuS, maxCredit, maxInFlight, delivered, stored, rejects, alerts, dbBytes, config, startMs: commits[0]!.t, warnings: others.filter((o) => o.level === 'warn' || o.level === 'error') };
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

async function replayBaseline() {
  const db = join(dataDir, 'consume-replay.duckdb');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const run = await runMeasured(process.execPath, [join(packageRoot, 'bin', 'auditlake.js'), 'replay', '--json', '--quiet', '--db', db, input]);
  if (run.code !== 0) throw new Error(`replay failed (${run.code}): ${run.stderr}`);
  const summary = JSON.parse(run.stdout) as { stored: number };
  if (summary.stored !== records) throw new Error(`replay stored ${summary.stored} of ${records}`);
  rmSync(db, { force: true });
  return run;
}

const c = await consume();
const first = c.commits[0]!;
const last = c.commits.at(-1)!;
const drainS = (last.t - first.t) / 1000;
// From the first commit to the last: the first batch's records were read before the clock started.
const consumeRate = (records - first.records) / drainS;
const wallS = last.t / 1000;
console.log(`run: ${fmtInt(consumeRate)} records/s first → last commit (${drainS.toFixed(1)} s), ${(c.startMs / 1000).toFixed(1)} s to the first commit, peak RSS ${mb(c.hwm).toFixed(0)} MB`);
const replay = await replayBaseline();
const replayRate = records / (replay.wallMs / 1000);
console.log(`replay: ${fmtInt(replayRate)} records/s, peak RSS ${mb(replay.peakRssBytes).toFixed(0)} MB`);

// Where the run process's CPU went during the drain, by thread (main, decode worker, DuckDB, libuv, V8).
const before = new Map(c.firstCpu.map((t) => [t.tid, t.cpuS]));
const byRole = new Map<string, { used: number; threads: number }>();
for (const t of c.lastCpu) {
  const role = c.roles.get(t.tid) ?? (t.tid === c.pid ? 'main thread' : `thread ${t.name}`);
  const r = byRole.get(role) ?? { used: 0, threads: 0 };
  r.used += t.cpuS - (before.get(t.tid) ?? 0);
  r.threads += 1;
  byRole.set(role, r);
}
const runCpuS = [...byRole.values()].reduce((n, r) => n + r.used, 0);
const share = (s: number) => `${((100 * s) / drainS).toFixed(0)} %`;
const threadText = [...byRole].filter(([, r]) => r.used >= 0.01 * drainS).sort((a, b) => b[1].used - a[1].used)
  .map(([role, r]) => `${role}${r.threads > 1 ? ` (${r.threads} threads)` : ''} ${share(r.used)}`).join(', ');

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const drainSamples = c.samples.filter((s) => s.t >= c.startMs);
const peakDrain = Math.max(...drainSamples.map((s) => s.rssBytes));
const atFirst = c.samples.find((s) => s.t >= c.startMs) ?? c.samples.at(-1)!;
let prev = { t: first.t, committed: first.records };
const curve = [25, 50, 75, 100].map((q) => {
  const s = c.marks.get(q)!;
  const row = `| ${q} % | ${fmtInt(s.committed)} | ${((s.t - first.t) / 1000).toFixed(1)} | ${fmtInt((s.committed - prev.committed) / ((s.t - prev.t) / 1000))} | ${mb(s.rssBytes).toFixed(0)} |`;
  prev = { t: s.t, committed: s.committed };
  return row;
});
const eh = c.config.sources.eventhubs[0]!;
const sum = (f: keyof Commit) => c.commits.reduce((n, x) => n + x[f], 0);
const lines = [
  `Input: ${fmtInt(records)} generated mixed records (the ingest bench's records, regrouped into Event Hubs bodies of ${RECORDS_PER_BODY}: ${fmtInt(bodies.length)} bodies of ${(inputBytes / bodies.length / 1024).toFixed(0)} KB on average, round-robin over ${PARTITIONS} partitions), ${mb(inputBytes).toFixed(0)} MB. The whole backlog is in the AMQP peer (in the bench process; bodies read from the file as delivered) before \`auditlake run\` starts; run is stopped with SIGTERM once the 'Batch committed.' log lines add up to every record.`,
  '',
  `Config: \`sources.eventhubs\` at its defaults — prefetchCount ${eh.prefetchCount}, maxBatchSize ${eh.maxBatchSize}, maxWaitTimeSeconds ${eh.maxWaitTimeSeconds}, startPosition ${eh.startPosition}, positions ${eh.checkpoints.store} — service.queueBatches ${c.config.service.queueBatches}, the service's decodeAhead 4, default decode workers (1 on 2 cores), DuckDB 2 threads, all detectors on, HTTP server on (idle).`,
  '',
  '| run | wall s | records/s | vs replay | peak RSS MB |',
  '| --- | ---: | ---: | ---: | ---: |',
  `| auditlake replay of the same records from NDJSON (baseline) | ${(replay.wallMs / 1000).toFixed(1)} | ${fmtInt(replayRate)} | 1.00× | ${mb(replay.peakRssBytes).toFixed(0)} |`,
  `| auditlake run from the AMQP peer, first → last commit | ${drainS.toFixed(1)} | ${fmtInt(consumeRate)} | ${(consumeRate / replayRate).toFixed(2)}× | ${mb(c.hwm).toFixed(0)} |`,
  `| auditlake run, process start → last commit | ${wallS.toFixed(1)} | ${fmtInt(records / wallS)} | ${(records / wallS / replayRate).toFixed(2)}× |  |`,
  '',
  `Memory of the run process through the drain (VmRSS, sampled every ${SAMPLE_MS} ms and as each quarter's commit is logged): ${mb(atFirst.rssBytes).toFixed(0)} MB at the first commit (${(c.startMs / 1000).toFixed(1)} s after start), peak ${mb(peakDrain).toFixed(0)} MB sampled (VmHWM ${mb(c.hwm).toFixed(0)} MB).`,
  '',
  '| drained | records committed | s since first commit | records/s over the quarter | RSS MB |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...curve,
  '',
  `Checked: \`SELECT count(*) FROM events\` = ${fmtInt(c.stored)} = records produced; the commit lines: ${fmtInt(sum('records'))} records, ${fmtInt(sum('stored'))} stored, ${fmtInt(sum('duplicates'))} duplicates, ${fmtInt(sum('rejected'))} rejected; ${fmtInt(c.rejects)} rejects and ${fmtInt(c.alerts)} alerts in the tables; ${fmtInt(c.delivered)} messages delivered by the peer (of ${fmtInt(bodies.length)}); while a partition still had a backlog, the most unused credit its link held was ${c.maxCredit}, and at most ${fmtInt(c.maxInFlight)} bodies (${fmtInt(c.maxInFlight * RECORDS_PER_BODY)} records) were delivered and not yet committed (SDK prefetch + queue + decode look-ahead). ${c.commits.length} commits (mean ${fmtInt(sum('records') / c.commits.length)} records), read → committed p50 ${pct(c.commits.map((x) => x.ms), 50)} ms, p99 ${pct(c.commits.map((x) => x.ms), 99)} ms. DuckDB file ${mb(c.dbBytes).toFixed(0)} MB.${c.warnings.length > 0 ? ` ${c.warnings.length} warnings logged (first: ${String(c.warnings[0]!.msg)}).` : ''}`,
  '',
  `CPU during the drain (share of one core): the run process ${share(runCpuS)} — ${threadText}; the peer (the bench process) ${share(c.benchCpuS)}.`,
];
writeResults('Consume (Event Hubs, AMQP peer)', lines);
console.log(lines.join('\n'));
