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
 *
 * For experiments (the section in RESULTS.md is only written with the defaults): --prefetch N,
 * --max-batch N, --max-wait S override the source's settings, --no-replay skips the baseline,
 * --no-results leaves RESULTS.md alone; BENCH_TRACE=1 prints a line a second (per partition:
 * bodies delivered / credit unused; committed records; RSS).
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
import { fmtInt, machine, machineBusyS, mb, memoryOf, processCpu, runMeasured, threadCpu, threadRoles } from './measure.js';
import { writeResults } from './results.js';

const args = process.argv.slice(2);
const records = numberArg('--records') ?? (/^\d+$/.test(args[0] ?? '') ? Number(args[0]) : 1_000_000);
const overrides = {
  ...(numberArg('--prefetch') !== undefined ? { prefetchCount: numberArg('--prefetch') } : {}),
  ...(numberArg('--max-batch') !== undefined ? { maxBatchSize: numberArg('--max-batch') } : {}),
  ...(numberArg('--max-wait') !== undefined ? { maxWaitTimeSeconds: numberArg('--max-wait') } : {}),
};
const withReplay = !args.includes('--no-replay');
const withResults = !args.includes('--no-results') && withReplay && Object.keys(overrides).length === 0;
const RECORDS_PER_BODY = 100;
const PARTITIONS = 4;
const HUB = 'insights-logs-auditevent';
const SAMPLE_MS = 250;
/** No commit for this long (startup included) and the bench gives up. */
const STALL_MS = 180_000;

/** `--name N` or `--name=N`: a positive number. */
function numberArg(name: string): number | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const text = args[i]!.includes('=') ? args[i]!.slice(name.length + 1) : args[i + 1];
  const n = Number(text);
  if (!(n > 0)) throw new Error(`${name}: expected a positive number, got ${text}`);
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
    sources: { eventhubs: [{ connectionString: peer.connectionString(HUB), hubs: [HUB], ...overrides }] },
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
  let firstBusyS = 0;
  let firstRunCpuS = 0;
  let runCpuS = 0;
  let busyS = 0;
  /**
   * From the peer's side: the most credit the client had granted one partition's link while that
   * partition still had a backlog (delivered + unused), and the most bodies handed to the socket
   * and not yet committed (in the peer's socket buffer, in transit, or in the consumer).
   */
  let maxGranted = 0;
  let maxInFlight = 0;
  let delivered = 0;
  const watchPeer = () => {
    const links = peer.receivers();
    for (const r of links) if (r.delivered < peer.count(HUB, r.partition)) maxGranted = Math.max(maxGranted, r.delivered + r.credit);
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
      firstBusyS = machineBusyS();
      firstRunCpuS = processCpu(pid) ?? 0;
    }
    for (const q of [25, 50, 75, 100]) {
      if (!marks.has(q) && committed >= (q / 100) * records) {
        const s = sample();
        if (s) marks.set(q, s);
      }
    }
    if (committed >= records && lastCpu.length === 0) {
      lastCpu = threadCpu(pid);
      benchCpuS = cpuSeconds(process.cpuUsage(firstBenchCpu));
      busyS = machineBusyS() - firstBusyS;
      runCpuS = (processCpu(pid) ?? 0) - firstRunCpuS;
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
  let lastTrace = 0;
  const timer = setInterval(() => {
    const s = sample();
    watchPeer();
    // BENCH_TRACE=1: a line a second on stderr — per partition delivered/unused credit, committed, RSS.
    if (process.env.BENCH_TRACE && s && s.t - lastTrace >= 1000) {
      lastTrace = s.t;
      const links = peer.receivers().map((r) => `p${r.partition} ${r.delivered}/${r.credit}`).join(' ');
      console.error(`t=${(s.t / 1000).toFixed(1)}s committed=${committed} rss=${mb(s.rssBytes).toFixed(0)}MB delivered/credit: ${links}`);
    }
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

  return { pid, roles, commits, samples, marks, hwm, firstCpu, lastCpu, benchCpuS, busyS, runCpuS, maxGranted, maxInFlight, delivered, stored, rejects, alerts, dbBytes, config, startMs: commits[0]!.t, warnings: others.filter((o) => (o.level === 'warn' || o.level === 'error') && !/connection string is configured/.test(String(o.msg))) };
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

async function replayBaseline() {
  const db = join(dataDir, 'consume-replay.duckdb');
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const busyBefore = machineBusyS();
  const run = await runMeasured(process.execPath, [join(packageRoot, 'bin', 'auditlake.js'), 'replay', '--json', '--quiet', '--db', db, input]);
  const busyS = machineBusyS() - busyBefore;
  if (run.code !== 0) throw new Error(`replay failed (${run.code}): ${run.stderr}`);
  const summary = JSON.parse(run.stdout) as { stored: number };
  if (summary.stored !== records) throw new Error(`replay stored ${summary.stored} of ${records}`);
  rmSync(db, { force: true });
  return { ...run, busyS };
}

const c = await consume();
const first = c.commits[0]!;
const last = c.commits.at(-1)!;
const drainS = (last.t - first.t) / 1000;
// From the first commit to the last: the first batch's records were read before the clock started.
const consumeRate = (records - first.records) / drainS;
const wallS = last.t / 1000;
console.log(`run: ${fmtInt(consumeRate)} records/s first → last commit (${drainS.toFixed(1)} s), ${(c.startMs / 1000).toFixed(1)} s to the first commit, peak RSS ${mb(c.hwm).toFixed(0)} MB`);
const replay = withReplay ? await replayBaseline() : undefined;
const replayRate = replay ? records / (replay.wallMs / 1000) : NaN;
if (replay) console.log(`replay: ${fmtInt(replayRate)} records/s, peak RSS ${mb(replay.peakRssBytes).toFixed(0)} MB`);

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
const runCpuS = c.runCpuS;
const exitedS = runCpuS - [...byRole.values()].reduce((n, r) => n + r.used, 0);
if (exitedS >= 0.01 * drainS) byRole.set('threads that exited during the drain', { used: exitedS, threads: 1 });
const share = (cpuS: number, overS = drainS) => `${((100 * cpuS) / overS).toFixed(0)} %`;
const roleNames: Record<string, string> = {
  'main thread': 'main thread (AMQP client, batch loop, detectors)',
  'JS worker thread': 'decode worker',
  'libuv pool': 'libuv pool (where @duckdb/node-api runs the queries)',
  'DuckDB thread': "DuckDB's own thread",
  'V8 platform (GC, compiler)': 'V8 GC and compiler',
};
const threadText = [...byRole].filter(([, r]) => r.used >= 0.01 * drainS).sort((a, b) => b[1].used - a[1].used)
  .map(([role, r]) => `${roleNames[role] ?? role} ${share(r.used)}${r.threads > 1 ? ` over ${r.threads} threads` : ''}`).join(', ');
const otherS = Math.max(0, c.busyS - runCpuS - c.benchCpuS);

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const drainSamples = c.samples.filter((s) => s.t >= c.startMs);
const peakDrain = drainSamples.reduce((best, s) => (s.rssBytes > best.rssBytes ? s : best), drainSamples[0]!);
const atFirst = drainSamples[0] ?? c.samples.at(-1)!;
let prev = { t: first.t, committed: first.records };
const curve = [25, 50, 75, 100].map((q) => {
  const s = c.marks.get(q)!;
  const row = `| ${q} % | ${fmtInt(s.committed)} | ${((s.t - first.t) / 1000).toFixed(1)} | ${fmtInt((s.committed - prev.committed) / ((s.t - prev.t) / 1000))} | ${mb(s.rssBytes).toFixed(0)} |`;
  prev = { t: s.t, committed: s.committed };
  return row;
});
const eh = c.config.sources.eventhubs[0]!;
const sum = (f: keyof Commit) => c.commits.reduce((n, x) => n + x[f], 0);
const ratio = (rate: number) => (replay ? `${(rate / replayRate).toFixed(2)}×` : '');
const lines = [
  `Input: ${fmtInt(records)} generated mixed records (the ingest bench's records, regrouped into Event Hubs bodies of ${RECORDS_PER_BODY}: ${fmtInt(bodies.length)} bodies of ${(inputBytes / bodies.length / 1024).toFixed(0)} KB on average, round-robin over ${PARTITIONS} partitions), ${mb(inputBytes).toFixed(0)} MB. The whole backlog is in the AMQP peer (test/support/eventhubs-peer.ts, in the bench process; each body read from the file as it is delivered) before \`auditlake run\` starts; run is stopped with SIGTERM once its 'Batch committed.' log lines add up to every record.`,
  '',
  `Config: \`sources.eventhubs\`${Object.keys(overrides).length === 0 ? ' at its defaults' : ''} — prefetchCount ${eh.prefetchCount}, maxBatchSize ${eh.maxBatchSize}, maxWaitTimeSeconds ${eh.maxWaitTimeSeconds}, startPosition ${eh.startPosition}, positions ${eh.checkpoints.store}; service.queueBatches ${c.config.service.queueBatches}; the service's decodeAhead 4; decode workers at the default (1 on 2 cores); DuckDB 2 threads; all detectors on; HTTP server on (idle).`,
  '',
  '| run | wall s | records/s | vs replay | peak RSS MB |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...(replay ? [`| auditlake replay of the same records from NDJSON (baseline) | ${(replay.wallMs / 1000).toFixed(1)} | ${fmtInt(replayRate)} | 1.00× | ${mb(replay.peakRssBytes).toFixed(0)} |`] : []),
  `| auditlake run from the AMQP peer, first → last commit | ${drainS.toFixed(1)} | ${fmtInt(consumeRate)} | ${ratio(consumeRate)} | ${mb(c.hwm).toFixed(0)} |`,
  `| auditlake run, process start → last commit | ${wallS.toFixed(1)} | ${fmtInt(records / wallS)} | ${ratio(records / wallS)} |  |`,
  '',
  `Memory of the run process through the drain (VmRSS, sampled every ${SAMPLE_MS} ms and as the commit completing each quarter is logged): ${mb(atFirst.rssBytes).toFixed(0)} MB at the first commit (${(c.startMs / 1000).toFixed(1)} s after start), highest sample ${mb(peakDrain.rssBytes).toFixed(0)} MB at ${fmtInt(peakDrain.committed)} records committed (VmHWM ${mb(c.hwm).toFixed(0)} MB).`,
  '',
  '| drained | records committed | s since first commit | records/s over the quarter | RSS MB |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...curve,
  '',
  `Prefetch as the peer saw it: while a partition still had a backlog, the client had granted its link up to ${fmtInt(c.maxGranted)} credits in all (delivered and unused; prefetchCount ${eh.prefetchCount} bounds the unused part); at most ${fmtInt(c.maxInFlight)} bodies (${fmtInt(c.maxInFlight * RECORDS_PER_BODY)} records) had been handed to the socket and not yet committed.`,
  '',
  `Checked: \`SELECT count(*) FROM events\` = ${fmtInt(c.stored)} = records produced; the commit lines: ${fmtInt(sum('records'))} records, ${fmtInt(sum('stored'))} stored, ${fmtInt(sum('duplicates'))} duplicates, ${fmtInt(sum('rejected'))} rejected; ${fmtInt(c.rejects)} rejects and ${fmtInt(c.alerts)} alerts in the tables; ${fmtInt(c.delivered)} of ${fmtInt(bodies.length)} bodies delivered. ${c.commits.length} commits (mean ${fmtInt(sum('records') / c.commits.length)} records), read → committed p50 ${pct(c.commits.map((x) => x.ms), 50)} ms, p99 ${pct(c.commits.map((x) => x.ms), 99)} ms. DuckDB file ${mb(c.dbBytes).toFixed(0)} MB.${c.warnings.length > 0 ? ` Warnings logged: ${[...new Set(c.warnings.map((w) => String(w.msg)))].join(' / ')}` : ''}`,
  '',
  `CPU during the drain, in % of one core: the machine was busy ${share(c.busyS)} of 200 % — the run process ${share(runCpuS)} (${threadText}), the peer (bench process) ${share(c.benchCpuS)}, the kernel and anything else ${share(otherS)}.${replay ? ` During the replay baseline: busy ${share(replay.busyS, replay.wallMs / 1000)}, of which replay ${share(replay.cpuS, replay.wallMs / 1000)}.` : ''}`,
];
lines.push('', 'What limits it and why memory is not flat: see the notes at the end (by hand).');
if (withResults) writeResults('Consume (Event Hubs, AMQP peer)', lines);
console.log(lines.join('\n'));
