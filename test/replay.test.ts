/**
 * `auditlake replay` as a user runs it: the real CLI as a subprocess, a real DuckDB file,
 * inputs written the way they arrive in the wild (bodies, arrays, pretty-printed exports,
 * gzip) and the ways they break.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { FIXTURE_DIRS, queryJson, replay, tempDir, writeFile } from './support/db.js';

const tmp = tempDir('auditlake-replay-');
afterAll(() => tmp.cleanup());
let dbCount = 0;
const freshDb = () => join(tmp.dir, `db-${dbCount++}.duckdb`);

/** A Storage GetBlob record in the exact Event Hubs shape, varied by `n`. */
function storageRecord(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const line = readFileSync('fixtures/storage/blob.ndjson', 'utf8').split('\n')[0]!;
  const rec = JSON.parse(line) as Record<string, any>;
  rec.time = `2025-11-14T05:00:${String(n % 60).padStart(2, '0')}.1234567Z`;
  rec.correlationId = `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
  return { ...rec, ...extra };
}

const count = (db: string, sql: string) => Number(queryJson(db, sql)[0]!.n);

describe('auditlake replay', () => {
  it('explains itself with --help and names the formats it accepts', () => {
    const root = runCli(['--help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/replay/);
    expect(root.stdout).toMatch(/query/);
    const help = runCli(['replay', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\.ndjson/);
    expect(help.stdout).toMatch(/--db/);
  });

  it('refuses a path that does not exist, naming it, before creating anything', () => {
    const db = freshDb();
    const r = runCli(['replay', '--db', db, join(tmp.dir, 'nope.ndjson')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nope.ndjson');
    expect(r.stderr).toMatch(/no such file/);
  });

  it('refuses an unknown option with a usage error', () => {
    const r = runCli(['replay', '--frobnicate', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown option/);
  });

  it('stores every fixture once, however many times it is replayed', () => {
    const db = freshDb();
    const first = replay(db, FIXTURE_DIRS);
    expect(first.rejected).toBe(0);
    expect(first.stored).toBeGreaterThan(50);
    expect(first.stored).toBe(first.read);
    const second = replay(db, FIXTURE_DIRS);
    expect(second.stored).toBe(0);
    expect(second.duplicates).toBe(first.read);
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(first.stored);
    expect(count(db, 'SELECT count(DISTINCT event_id) AS n FROM events')).toBe(first.stored);
  });

  it('stores a record delivered twice (in one body, in two files, pretty-printed) once', () => {
    const a = storageRecord(1);
    const b = storageRecord(2);
    const files = [
      writeFile(tmp.dir, 'dupes-1.ndjson', `${JSON.stringify({ records: [a, b, a] })}\n${JSON.stringify(b)}\n`),
      writeFile(tmp.dir, 'dupes-2.json', JSON.stringify({ records: [a, b] }, null, 2)),
      writeFile(tmp.dir, 'dupes-3.json', JSON.stringify([b, a])),
    ];
    const db = freshDb();
    const s = replay(db, files);
    expect(s.read).toBe(8);
    expect(s.stored).toBe(2);
    expect(s.duplicates).toBe(6);
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(2);
  });

  it('reads .json bodies, arrays and single records, .jsonl, and all of them gzipped', () => {
    const dir = join(tmp.dir, 'shapes');
    const recs = Array.from({ length: 6 }, (_, i) => storageRecord(10 + i));
    mkdirSync(dir);
    writeFileSync(join(dir, 'a-body.json'), JSON.stringify({ records: [recs[0]] }));
    writeFileSync(join(dir, 'b-array.json.gz'), gzipSync(JSON.stringify([recs[1], recs[2]])));
    writeFileSync(join(dir, 'c-one.json'), JSON.stringify(recs[3], null, 4));
    writeFileSync(join(dir, 'd-lines.jsonl.gz'), gzipSync(`${JSON.stringify(recs[4])}\r\n\r\n${JSON.stringify({ records: [recs[5]] })}\r\n`));
    writeFileSync(join(dir, 'notes.txt'), 'ignored: not a log file');
    const db = freshDb();
    const s = replay(db, [dir]);
    expect(s).toMatchObject({ files: 4, read: 6, stored: 6, rejected: 0 });
    const sources = queryJson(db, 'SELECT DISTINCT source FROM events ORDER BY source').map((r) => r.source);
    expect(sources.map((x) => String(x).split('/').pop())).toEqual(['a-body.json', 'b-array.json.gz', 'c-one.json', 'd-lines.jsonl.gz']);
    // A pretty-printed record is stored compact: raw is canonical whatever the layout.
    const raw = queryJson(db, "SELECT raw FROM events WHERE source LIKE '%c-one.json'")[0]!.raw as string;
    expect(raw).toBe(JSON.stringify(recs[3]));
  });

  it('stores a pretty-printed record as its own text made compact: numbers as written, the id it has sent compact', () => {
    // Numbers a double cannot hold, written into the text (JSON.stringify cannot write them).
    const withNumbers = (text: string) => text.replace(/("statusCode": ?)200/, (_, key: string) => `${key}1e400`)
      .replace(/("durationMs": ?)48211/, (_, key: string) => `${key}9007199254740993`);
    const storage = storageRecord(40);
    expect(withNumbers(JSON.stringify(storage))).toContain('"durationMs":9007199254740993');
    const aml = (JSON.parse(readFileSync('fixtures/aml/workspace.json', 'utf8')) as { records: Record<string, unknown>[] }).records[0]!;
    // \u0027 as .NET writes an apostrophe, and a decimal written with its trailing zero.
    const amlText = (indent?: number) => JSON.stringify({ ...aml, note: "it's", level: 1.5 }, null, indent).replace("it's", 'it\\u0027s').replace(/1\.5\b/, '1.50');
    const dir = join(tmp.dir, 'pretty-numbers');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a-compact.ndjson'), `${withNumbers(JSON.stringify(storage))}\n${amlText()}\n`);
    writeFileSync(join(dir, 'b-pretty-storage.json'), withNumbers(JSON.stringify(storage, null, 2)));
    writeFileSync(join(dir, 'c-pretty-aml.json'), amlText(4));
    const compactDb = freshDb();
    const prettyDb = freshDb();
    expect(replay(compactDb, [join(dir, 'a-compact.ndjson')])).toMatchObject({ stored: 2, rejected: 0 });
    expect(replay(prettyDb, [join(dir, 'b-pretty-storage.json'), join(dir, 'c-pretty-aml.json')])).toMatchObject({ stored: 2, rejected: 0 });
    const rows = (db: string) => queryJson(db, 'SELECT category, event_id, status_code, raw FROM events ORDER BY category');
    const [compact, pretty] = [rows(compactDb), rows(prettyDb)];
    expect(pretty.map((r) => [r.category, r.event_id, r.raw])).toEqual(compact.map((r) => [r.category, r.event_id, r.raw]));
    const storageRaw = String(pretty.find((r) => r.category === 'StorageRead')!.raw);
    expect(storageRaw).toContain('"statusCode":1e400');
    expect(storageRaw).toContain('"durationMs":9007199254740993');
    expect(String(pretty.find((r) => r.category !== 'StorageRead')!.raw)).toContain('"level":1.50');
    // The status JSON.parse read as Infinity is not a status code.
    expect(pretty.find((r) => r.category === 'StorageRead')!.status_code).toBeNull();
  });

  it('keeps going through malformed input: every bad record is a reject naming file and line, the rest is stored', () => {
    const good = (n: number) => JSON.stringify(storageRecord(20 + n));
    const missingTime = { ...storageRecord(30) };
    delete missingTime.time;
    const huge = storageRecord(31, { properties: { padding: 'x'.repeat(5 * 1024 * 1024) } });
    const latin1 = Buffer.from(`{"time":"2025-11-14T05:00:00Z","category":"StorageRead","note":"caf\xe9"}`, 'latin1');
    const lines: (string | Buffer)[] = [
      good(1),
      '{"time": "2025-11-14T05:00:00Z", "category": ',      // line 2: invalid JSON
      JSON.stringify({ value: [] }),                        // line 3: a body without records (no time either)
      JSON.stringify(missingTime),                          // line 4: record missing time
      JSON.stringify(huge),                                 // line 5: a 5 MB record
      latin1,                                               // line 6: not UTF-8
      good(2),                                              // line 7
    ];
    const file = join(tmp.dir, 'broken.ndjson');
    writeFileSync(file, Buffer.concat(lines.map((l) => Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')]))));
    // A gzip cut short: the records before the cut are stored, the cut is reported.
    const gzLines = Array.from({ length: 200 }, (_, i) => good(100 + i)).join('\n');
    const gz = gzipSync(gzLines);
    const truncated = join(tmp.dir, 'truncated.ndjson.gz');
    writeFileSync(truncated, gz.subarray(0, Math.floor(gz.length * 0.6)));

    const db = freshDb();
    const r = runCli(['replay', '--json', '--no-detect', '--db', db, file, truncated]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const rejects = queryJson(db, 'SELECT source, reason, raw FROM rejects ORDER BY reason');
    const reasons = rejects.map((x) => String(x.reason));
    const mine = rejects.filter((x) => String(x.source).endsWith('broken.ndjson')).map((x) => String(x.reason));
    expect(mine.some((x) => /^line 2: invalid JSON/.test(x))).toBe(true);
    expect(mine.some((x) => /^line 3: invalid .*record: time: missing/.test(x))).toBe(true);
    expect(mine.some((x) => /^line 4: invalid StorageRead record: time: missing/.test(x))).toBe(true);
    expect(mine.some((x) => /^line 5: record of 5\.0 MiB exceeds the 1\.0 MiB limit/.test(x))).toBe(true);
    expect(mine.some((x) => /^line 6: not valid UTF-8/.test(x))).toBe(true);
    expect(reasons.some((x) => /truncated or corrupt gzip .*truncated\.ndjson\.gz after line \d+/.test(x))).toBe(true);
    // Stored: the two good lines of broken.ndjson and every line of the gzip before the cut.
    const storedFromGz = count(db, "SELECT count(*) AS n FROM events WHERE source LIKE '%truncated.ndjson.gz'");
    expect(storedFromGz).toBeGreaterThan(50);
    expect(storedFromGz).toBeLessThan(200);
    expect(count(db, "SELECT count(*) AS n FROM events WHERE source LIKE '%broken.ndjson'")).toBe(2);
    expect(s.stored).toBe(2 + storedFromGz);
    expect(s.rejected).toBe(rejects.length);
    // The refused text is kept (capped) so an analyst can see what arrived.
    expect(String(rejects.find((x) => /line 2:/.test(String(x.reason)))!.raw)).toContain('"category": ');
  });

  it('never stores a SAS signature, account key or bearer token, in events or rejects', () => {
    const secret = 'Zm9vYmFyU2VjcmV0U2lnbmF0dXJlVmFsdWU%3D';
    const key = 'c2VjcmV0QWNjb3VudEtleVZhbHVlMTIzNDU2Nzg5MA==';
    const withSas = storageRecord(40, { uri: `https://stfabrikamml01.blob.core.windows.net/data/x.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2025-12-01&sig=${secret}` });
    const withKey = storageRecord(41, { properties: { connection: `DefaultEndpointsProtocol=https;AccountName=x;AccountKey=${key};EndpointSuffix=core.windows.net`, auth: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlX3ZhbHVl' } });
    const rejected = { category: 'StorageRead', uri: `https://a/b?sig=${secret}` }; // no time: rejected
    const file = writeFile(tmp.dir, 'secrets.ndjson', [withSas, withKey, rejected].map((r) => JSON.stringify(r)).join('\n'));
    const db = freshDb();
    const s = replay(db, [file]);
    expect(s).toMatchObject({ stored: 2, rejected: 1 });
    const everything = JSON.stringify(queryJson(db, 'SELECT * FROM events')) + JSON.stringify(queryJson(db, 'SELECT * FROM rejects'));
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(key);
    expect(everything).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(everything).toContain('sig=REDACTED');
    expect(everything).toContain('AccountKey=REDACTED');
  });

  it('prints JSON columns nested in --format json, so details can be read without a second parse', () => {
    const file = writeFile(tmp.dir, 'nested.ndjson', JSON.stringify(storageRecord(70)));
    const db = freshDb();
    replay(db, [file]);
    const [row] = queryJson(db, 'SELECT details, raw FROM events');
    expect(typeof row!.details).toBe('object');
    expect((row!.details as Record<string, unknown>).account_name).toBe('stfabrikamml01');
    expect(typeof row!.raw).toBe('string'); // raw is text, as received
  });

  it('records the source position with the rows it covers', () => {
    const file = writeFile(tmp.dir, 'positions.ndjson', [1, 2, 3].map((n) => JSON.stringify(storageRecord(50 + n))).join('\n'));
    const db = freshDb();
    replay(db, [file]);
    const cps = queryJson(db, 'SELECT source, partition, position FROM checkpoints');
    expect(cps).toEqual([{ source: `file:${file}`, partition: '0', position: 'line:3' }]);
  });

  it('prints a human summary with the counts and the reasons for rejects', () => {
    const file = writeFile(tmp.dir, 'summary.ndjson', `${JSON.stringify(storageRecord(60))}\nnot json\n`);
    const r = runCli(['replay', '--no-detect', '--db', freshDb(), file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/records read\s+2/);
    expect(r.stdout).toMatch(/stored\s+1/);
    expect(r.stdout).toMatch(/rejected\s+1/);
    expect(r.stdout).toMatch(/1\s+invalid JSON/);
  });

  // `script` (util-linux) gives the CLI a real terminal, where the progress line appears.
  it.runIf(existsSync('/usr/bin/script'))('draws a progress line on a terminal, and none when piped', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ records: [storageRecord(1000 + i)] })).join('\n');
    const file = writeFile(tmp.dir, 'progress.ndjson', lines);
    const command = `${process.execPath} bin/auditlake.js replay --no-detect --db ${freshDb()} ${file}`;
    const tty = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 90_000 });
    expect(tty.status, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/\d+(\.\d+)? (B|KiB|MiB) of \d+(\.\d+)? (KiB|MiB) \(\d+\.\d%\)\s+[\d,]+ records\s+[\d,]+ records\/s/);
    expect(tty.stdout).toMatch(/records read\s+3,000/);
    const piped = runCli(['replay', '--no-detect', '--db', freshDb(), file]);
    expect(piped.stderr).not.toMatch(/records\/s/);
  });

  it('reads --config: the database path from the environment, detectors switched off by family', () => {
    const cfg = writeFile(tmp.dir, 'auditlake.yaml', 'db: ${AUDITLAKE_TEST_DIR}/from-config.duckdb\ndetectors:\n  disabled: [keyvault.]\n');
    const r = runCli(['replay', '--json', '--config', cfg, 'fixtures/keyvault'], { env: { AUDITLAKE_TEST_DIR: tmp.dir, AUDITLAKE_DB: undefined } });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { stored: number; alerts: { detector_id: string }[] };
    expect(s.stored).toBeGreaterThan(0);
    expect(s.alerts.length).toBeGreaterThan(0); // encryption.* still runs
    expect(s.alerts.some((a) => a.detector_id.startsWith('keyvault.'))).toBe(false);
    expect(count(join(tmp.dir, 'from-config.duckdb'), 'SELECT count(*) AS n FROM events')).toBe(s.stored);
  });

  it('refuses a config with a wrong key, naming the file and the key path', () => {
    const cfg = writeFile(tmp.dir, 'bad.yaml', 'replay:\n  workers: lots\n');
    const r = runCli(['replay', '--config', cfg, '--db', freshDb(), 'fixtures/keyvault']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.yaml: replay\.workers: /);
  });
});
