/**
 * `auditlake query` and `auditlake alerts` while another process holds the database: a holder
 * (test/support/hold-db.mjs: the real Store, reader and HTTP server, committing a batch every
 * 100 ms) keeps DuckDB's file lock, and the real CLI, as a subprocess, answers through its
 * server — the same rows, in every format, as when it opens the file itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCliAsync, type CliResult } from './support/cli.js';
import { FIXTURE_DIRS, replayAsync, tempDir, type Row } from './support/db.js';

const ADA = 'ada.park@fabrikam-demo.example';
const HOLDER = resolve(repoRoot, 'test/support/hold-db.mjs');

interface Holder { child: ChildProcess; url: string; tokenFile: string; pid: number; exited: Promise<number | null> }

const holders: Holder[] = [];

/** Starts the holder and waits for its first line (it serves from then on). */
async function startHolder(db: string, ...args: string[]): Promise<Holder> {
  const child = spawn(process.execPath, [HOLDER, db, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const first = await new Promise<string>((res, rej) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', res);
    void exited.then((code) => rej(new Error(`holder exited ${code} before serving:\n${stderr}`)));
  });
  const info = JSON.parse(first) as { url: string; tokenFile: string; pid: number };
  const holder = { child, exited, ...info };
  holders.push(holder);
  return holder;
}

async function stopHolder(h: Holder): Promise<number | null> {
  h.child.kill('SIGTERM');
  return h.exited;
}

async function cli(args: string[]): Promise<CliResult> {
  return runCliAsync(args, { timeoutMs: 60_000 });
}

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`auditlake ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const json = async (args: string[]) => JSON.parse(await ok([...args, '--format', 'json'])) as Row[];

let tmp: ReturnType<typeof tempDir>;
let db: string;
const local: Record<string, string> = {};
let eventsBefore = 0;

beforeAll(async () => {
  tmp = tempDir('auditlake-live-');
  db = join(tmp.dir, 'live.duckdb');
  await replayAsync(db, FIXTURE_DIRS, { detect: true });
  // What the CLI answers when it opens the file itself: the reference for the answers through the server.
  const [timeline, roles, alerts, count] = await Promise.all([
    ok(['query', '--db', db, 'principal-timeline', '--param', `principal=${ADA}`, '--format', 'json']),
    ok(['query', '--db', db, 'role-assignments', '--format', 'csv']),
    ok(['alerts', '--db', db, '--format', 'json']),
    ok(['query', '--db', db, 'SELECT count(*) AS n FROM events', '--format', 'json']),
  ]);
  Object.assign(local, { timeline, roles, alerts });
  eventsBefore = Number((JSON.parse(count) as Row[])[0]!.n);
});

afterAll(async () => {
  for (const h of holders) if (h.child.exitCode === null) { h.child.kill('SIGKILL'); await h.exited; }
  tmp?.cleanup();
});

describe('query and alerts while another process holds the database', () => {
  let holder: Holder;

  beforeAll(async () => {
    holder = await startHolder(db, '--timeout-ms', '2000', '--max-rows', '5000', '--every-ms', '250');
  });

  it('finds the server through <db>.server.json, and the token file is private', () => {
    const info = JSON.parse(readFileSync(`${db}.server.json`, 'utf8')) as Row;
    expect(info).toEqual({ url: holder.url, pid: holder.pid, tokenFile: resolve(`${db}.token`) });
    expect(readFileSync(holder.tokenFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('counts events through the server while the holder keeps committing', async () => {
    const first = Number((await json(['query', '--db', db, 'SELECT count(*) AS n FROM events']))[0]!.n);
    expect(first).toBeGreaterThan(eventsBefore);
    let later = first;
    for (let i = 0; i < 20 && later <= first; i++) {
      await new Promise((r) => setTimeout(r, 200));
      later = Number((await json(['query', '--db', db, 'SELECT count(*) AS n FROM events']))[0]!.n);
    }
    expect(later).toBeGreaterThan(first);
  });

  it('gives saved queries, with their parameters, the same answers as a local open', async () => {
    const file = join(tmp.dir, 'by-principal.sql');
    writeFileSync(file, '-- ad hoc, from a file\nSELECT operation, count(*) AS n FROM events WHERE principal_name = $who GROUP BY ALL ORDER BY n DESC, operation;\n');
    const [timeline, roles, rows] = await Promise.all([
      ok(['query', '--db', db, 'principal-timeline', '--param', `principal=${ADA}`, '--format', 'json']),
      ok(['query', '--db', db, 'role-assignments', '--format', 'csv']),
      json(['query', '--db', db, '--file', file, '--param', `who=${ADA}`]),
    ]);
    expect(timeline).toBe(local.timeline);
    expect(roles).toBe(local.roles);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => typeof r.n === 'number' && typeof r.operation === 'string')).toBe(true);
  });

  it('lists alerts through the server: the replayed ones unchanged, and the holder\'s new ones', async () => {
    const before = JSON.parse(local.alerts!) as Row[];
    expect(before.length).toBeGreaterThan(0);
    const [now, filtered, table] = await Promise.all([
      json(['alerts', '--db', db]),
      json(['alerts', '--db', db, '--detector', 'test.', '--severity', 'low']),
      ok(['alerts', '--db', db, '--since', '7d']),
    ]);
    const byId = new Map(now.map((a) => [a.alert_id, a]));
    for (const a of before) expect(byId.get(a.alert_id)).toEqual(a);
    expect(now.some((a) => a.detector_id === 'test.hold')).toBe(true);
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((a) => a.detector_id === 'test.hold')).toBe(true);
    expect(table).toMatch(/^severity\s+detector_id\s+principal/);
    expect(table).toContain('test.hold');
  });

  it('prints table, csv and ndjson, and writes Arrow and Parquet from the server\'s rows', async () => {
    const sql = "SELECT category, count(*) AS n, max(time) AS latest FROM events WHERE category <> 'HoldTest' GROUP BY ALL ORDER BY category";
    const arrowFile = join(tmp.dir, 'out.arrow');
    const parquetFile = join(tmp.dir, 'out.parquet');
    const [rows, table, csv, ndjsonText] = await Promise.all([
      json(['query', '--db', db, sql]),
      ok(['query', '--db', db, sql]),
      ok(['query', '--db', db, sql, '--format', 'csv']),
      ok(['query', '--db', db, sql, '--format', 'ndjson']),
      ok(['query', '--db', db, sql, '--format', 'arrow', '--out', arrowFile]),
      ok(['query', '--db', db, sql, '--format', 'parquet', '--out', parquetFile]),
    ]);
    expect(rows.length).toBeGreaterThan(3);
    expect(table).toContain(`(${rows.length} rows)`);
    expect(csv.split('\r\n')[0]).toBe('category,n,latest');
    expect(csv.split('\r\n')[1]).toBe(`${String(rows[0]!.category)},${String(rows[0]!.n)},${String(rows[0]!.latest)}`);
    const ndjson = ndjsonText.trim().split('\n').map((l) => JSON.parse(l) as Row);
    expect(ndjson).toEqual(rows);

    const arrow = tableFromIPC(readFileSync(arrowFile));
    expect(arrow.numRows).toBe(rows.length);
    expect(String(arrow.schema.fields.find((f) => f.name === 'latest')?.type)).toMatch(/^Timestamp/);
    expect(Number(arrow.getChild('n')!.get(0))).toBe(rows[0]!.n);

    const bytes = readFileSync(parquetFile);
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    expect(bytes.subarray(-4).toString()).toBe('PAR1');
  });

  it('refuses what is not a plain SELECT, saying why, and exits 2', async () => {
    const [del, file, replacement] = await Promise.all([
      cli(['query', '--db', db, 'DELETE FROM events']),
      cli(['query', '--db', db, "SELECT * FROM read_csv('/etc/passwd')"]),
      cli(['query', '--db', db, "FROM '/etc/passwd'"]),
    ]);
    expect(del.code).toBe(2);
    expect(del.stderr).toContain('the server refused the statement: only SELECT statements are allowed (got DELETE)');
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('table function read_csv is not allowed');
    expect(replacement.code).toBe(2);
    expect(replacement.stderr).toContain("reading files is not allowed: '/etc/passwd'");
  });

  it('says when the server cut the result at its row limit', async () => {
    const r = await cli(['query', '--db', db, 'SELECT * FROM range(12000)', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\r\n')).toHaveLength(5001);
    expect(r.stderr).toContain('the server returned only the first 5000 rows (its row limit)');
  });

  it('stops a statement at the server\'s time limit with a message', async () => {
    const started = Date.now();
    const r = await cli(['query', '--db', db, 'SELECT count(*) FROM range(1000000000) a, range(1000000000) b']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the query ran past the time limit of 2 s and was interrupted');
    expect(Date.now() - started).toBeLessThan(30_000); // the limit is 2 s; the rest is two CLI start-ups on a loaded machine
  });

  it('takes --server and --token-file, and names a wrong token file', async () => {
    const wrong = join(tmp.dir, 'wrong.token');
    writeFileSync(wrong, `${'0'.repeat(64)}\n`, { mode: 0o600 });
    const [rows, r, down] = await Promise.all([
      json(['query', '--server', holder.url, '--token-file', holder.tokenFile, 'SELECT 1 AS one']),
      cli(['query', '--db', db, '--token-file', wrong, 'SELECT 1']),
      cli(['alerts', '--server', 'http://127.0.0.1:9', '--token-file', holder.tokenFile]),
    ]);
    expect(rows).toEqual([{ one: 1 }]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`refused the token in ${wrong}`);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the auditlake server at http://127.0.0.1:9');
  });

  it('removes the server info when the holder stops, and the CLI opens the file itself again', async () => {
    expect(await stopHolder(holder)).toBe(0);
    expect(existsSync(`${db}.server.json`)).toBe(false);
    const rows = await json(['query', '--db', db, `SELECT count(*) AS n FROM read_parquet('${join(tmp.dir, 'out.parquet')}')`]);
    expect(Number(rows[0]!.n)).toBeGreaterThan(3);
    const types = await json(['query', '--db', db, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('${join(tmp.dir, 'out.parquet')}'))`]);
    expect(types).toEqual([
      { column_name: 'category', column_type: 'VARCHAR' },
      { column_name: 'n', column_type: 'BIGINT' },
      { column_name: 'latest', column_type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
  });
});

describe('a held database without a server', () => {
  it('says the database is held and no live server was found', async () => {
    const holder = await startHolder(db, '--no-server-info');
    try {
      const r = await cli(['query', '--db', db, 'SELECT 1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('another auditlake process holds it');
      expect(r.stderr).toContain(`no live auditlake server was found in ${db}.server.json`);
      // given explicitly, the same server answers
      const rows = await json(['alerts', '--db', db, '--server', holder.url, '--token-file', holder.tokenFile, '--detector', 'test.hold']);
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      expect(await stopHolder(holder)).toBe(0);
    }
  });
});
