/**
 * bench/startup: what each `auditlake` command costs before it does any work, and two small
 * commands end to end. An analyst runs `alerts`, `query` and `replay` one process at a time, and
 * the suite runs the CLI as a subprocess hundreds of times, so start-up is paid on every call.
 *
 * Every case is a fresh process, wall time and CPU (user + system, the child's own rusage, read
 * from this process's cutime/cstime after each wait). Rounds take every case once, in turn, so
 * the VM's drift falls on all alike. Baselines in the same run: `node -e 0` (Node itself), and a
 * process that only imports every Azure SDK and kafkajs the package depends on. With
 * `--baseline DIR` (a built checkout of another commit, e.g. `git worktree add /tmp/old HEAD~3`
 * then `npm run build` there) the same cases run against that checkout too, alternating.
 *
 *   npm run bench:startup -- [--rounds 7] [--baseline DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { writeResults } from './results.js';

const ROUNDS = Number(flag('--rounds') ?? 7);
const baselineDir = flag('--baseline');
const TICKS_PER_S = 100;

/** The SDKs the package depends on at run time (package.json), loaded as the CLI would. */
const SDKS = ['@azure/identity', '@azure/storage-blob', '@azure/event-hubs', '@azure/eventhubs-checkpointstore-blob',
  '@azure/monitor-ingestion', '@azure/monitor-query-logs', '@azure/keyvault-secrets', 'kafkajs'];

interface Case { name: string; args: (tmp: string, run: number) => string[] }

const CASES: Case[] = [
  ...['', 'demo', 'replay', 'backfill', 'run', 'query', 'alerts', 'detectors', 'export', 'compact', 'checkpoints', 'serve']
    .map((command): Case => ({ name: `${command ? `${command} ` : ''}--help`, args: () => [...(command ? [command] : []), '--help'] })),
  { name: 'query --db demo "SELECT 1"', args: (tmp) => ['query', '--db', join(tmp, 'demo.duckdb'), 'SELECT 1'] },
  { name: 'alerts --db demo', args: (tmp) => ['alerts', '--db', join(tmp, 'demo.duckdb')] },
  { name: 'demo --db new (the whole demo day)', args: (tmp, run) => ['demo', '--db', join(tmp, `fresh-${run}.duckdb`)] },
];

interface Sample { wallMs: number; cpuS: number }

const tmp = mkdtempSync(join(tmpdir(), 'auditlake-bench-startup-'));
try {
  const trees = [{ label: 'this commit', root: packageRoot }, ...(baselineDir ? [{ label: 'baseline', root: baselineDir }] : [])];
  for (const tree of trees) cli(tree.root, ['demo', '--db', join(tmp, 'demo.duckdb')]);
  const node: Sample[] = [];
  const sdks: Sample[] = [];
  const samples = new Map<string, Sample[]>(); // `${tree}\u0000${case}`
  let run = 0;
  for (let round = 0; round < ROUNDS; round++) {
    node.push(timed(process.execPath, ['-e', '0']));
    sdks.push(timed(process.execPath, ['--input-type=module', '-e', SDKS.map((s) => `await import(${JSON.stringify(s)});`).join('')], packageRoot));
    for (const c of CASES) {
      for (const tree of trees) {
        const key = `${tree.label}\u0000${c.name}`;
        samples.set(key, [...(samples.get(key) ?? []), timed(process.execPath, [join(tree.root, 'bin', 'auditlake.js'), ...c.args(tmp, run++)], tree.root)]);
      }
    }
  }
  const nodeMs = median(node.map((s) => s.wallMs));
  const row = (name: string, xs: Sample[], base?: Sample[]) => {
    const wall = median(xs.map((s) => s.wallMs));
    return `| ${name} | ${wall.toFixed(0)} | ${max(xs.map((s) => s.wallMs)).toFixed(0)} | ${(median(xs.map((s) => s.cpuS)) * 1000).toFixed(0)} | ${(wall - nodeMs).toFixed(0)} |`
      + (baselineDir ? ` ${base ? median(base.map((s) => s.wallMs)).toFixed(0) : ''} | ${base ? `${(wall / median(base.map((s) => s.wallMs))).toFixed(2)}×` : ''} |` : '');
  };
  writeResults('startup', [
    `${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, each case once per round in turn${baselineDir ? ', alternating with the baseline checkout' : ''}; every run a fresh process; milliseconds (median, max; CPU is user + system). `
      + '"Over Node" is the median less `node -e 0`\'s. The demo database is the bundled demo day (`demo --db`).',
    ...(baselineDir ? ['', `Baseline: ${describeTree(baselineDir)}; this commit: ${describeTree(packageRoot)}.`] : []),
    '',
    `| case | wall p50 | wall max | CPU p50 | over Node |${baselineDir ? ' baseline wall p50 | ÷ baseline |' : ''}`,
    `| --- | ---: | ---: | ---: | ---: |${baselineDir ? ' ---: | ---: |' : ''}`,
    row('`node -e 0` (Node itself)', node),
    row(`import every SDK (${SDKS.join(', ')})`, sdks),
    ...CASES.map((c) => row(`\`auditlake ${c.name}\``, samples.get(`this commit\u0000${c.name}`)!, samples.get(`baseline\u0000${c.name}`))),
  ]);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function cli(root: string, args: string[]): void {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'auditlake.js'), ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`auditlake ${args.join(' ')} in ${root} exited ${r.status}: ${r.stderr}`);
}

/** One fresh process: its wall time, and its CPU from this process's counters of waited-for children. */
function timed(cmd: string, args: string[], cwd = packageRoot): Sample {
  const before = childrenCpuS();
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wallMs, cpuS: childrenCpuS() - before };
}

/** cutime + cstime of /proc/self/stat: CPU of every child this process has waited for. */
function childrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_S;
}

function describeTree(root: string): string {
  const r = spawnSync('git', ['-C', root, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' });
  return r.status === 0 ? `\`${r.stdout.trim().slice(0, 90)}\`` : root;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number { return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!; }
function max(xs: number[]): number { return Math.max(...xs); }
