/**
 * The CLI contract users' scripts rely on (DESIGN.md §3, README): a wrong argument exits 2 with
 * a sentence on stderr naming the flag and the value, never a stack trace; nothing is silently
 * dropped, ignored or kept only in memory. The real CLI as a subprocess, real DuckDB files.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCliAsync, type CliResult } from './support/cli.js';
import { withServe } from './support/serve.js';
import { tempDir, writeFile } from './support/db.js';

const tmp = tempDir('auditlake-contract-');
afterAll(() => tmp.cleanup());
const db = join(tmp.dir, 'activity.duckdb');
const sinkFile = join(tmp.dir, 'alerts.ndjson');
let replayed: CliResult;
beforeAll(async () => {
  // With an ndjson sink, so the outbox knows one sink by name (for `alerts redeliver`).
  const config = writeFile(tmp.dir, 'sink.yaml', `sinks: { ndjson: [{ path: ${JSON.stringify(sinkFile)} }] }\n`);
  replayed = await runCliAsync(['replay', '--json', '-q', '--db', db, '--config', config, 'fixtures/activity'], { timeoutMs: 150_000 });
  mkdirSync(join(tmp.dir, 'adir'));
});

/** A wrong argument: exit 2, the expected sentence on stderr, no stack trace. */
function expectWrongArgument(r: CliResult, message: RegExp | string): void {
  expect(r.code, r.stderr).toBe(2);
  if (typeof message === 'string') expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/unexpected failure|\n\s+at /);
}

describe('the database', () => {
  it('is never DuckDB\'s in-memory one: an empty or :memory: --db or $AUDITLAKE_DB is a wrong argument', async () => {
    const [empty, memory, envMemory] = await Promise.all([
      runCliAsync(['replay', '-q', '--db', '', 'fixtures/activity']),
      runCliAsync(['replay', '-q', '--db', ':memory:', 'fixtures/activity']),
      runCliAsync(['replay', '-q', 'fixtures/activity'], { env: { AUDITLAKE_DB: ':memory:' } }),
    ]);
    expectWrongArgument(empty, "--db '': expected a database file path");
    expectWrongArgument(memory, "--db ':memory:': expected a database file path");
    expectWrongArgument(envMemory, "$AUDITLAKE_DB ':memory:': expected a database file path");
    for (const r of [empty, memory, envMemory]) expect(r.stdout).not.toMatch(/Replayed/);
  });

  it('comes from the --config file\'s db for alerts too, after --db and $AUDITLAKE_DB', async () => {
    expect(replayed.code, replayed.stderr).toBe(0);
    const config = writeFile(tmp.dir, 'db.yaml', `db: ${JSON.stringify(db)}\n`);
    const r = await runCliAsync(['alerts', '--config', config, '--since', '2000-01-01', '--format', 'json'], { env: { AUDITLAKE_DB: '' } });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe((JSON.parse(replayed.stdout) as { alerts: unknown[] }).alerts.length);
  });

  it('says the whole default order in --help of every command with --config', async () => {
    const r = await runCliAsync(['alerts', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain("(default: $AUDITLAKE_DB, else the --config file's db, else ./auditlake.duckdb)");
  });
});

describe('arguments commander refuses', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['query', '--format', 'xml', 'select 1'], /option '--format <format>' argument 'xml' is invalid/],
    [['query', '--bogus', 'x'], /unknown option '--bogus'/],
    [['replay'], /missing required argument 'paths'/],
    [['alerts', '--severity', 'critical'], /argument 'critical' is invalid/],
    [['detectors', 'frob'], /unknown command 'frob'/],
    [['help', 'frob'], /help frob: no such command \(commands: demo, replay/],
  ])('exit 2: %j', async (args, message) => {
    expectWrongArgument(await runCliAsync(args), message);
  });

  it('--help and --version exit 0; --version is auditlake\'s own, even under another package\'s npm run', async () => {
    const [help, version] = await Promise.all([runCliAsync(['query', '--help']), runCliAsync(['--version'], { env: { npm_package_version: '9.9.9' } })]);
    expect(help.code).toBe(0);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version);
  });
});

describe('query', () => {
  it('explains an --out it cannot write and a --file that is a folder', async () => {
    const [noDir, dir, file] = await Promise.all([
      runCliAsync(['query', '--db', db, '--out', join(tmp.dir, 'nodir', 'x.csv'), '--format', 'csv', 'select 1']),
      runCliAsync(['query', '--db', db, '--out', join(tmp.dir, 'adir'), '--format', 'csv', 'select 1']),
      runCliAsync(['query', '--db', db, '--file', join(tmp.dir, 'adir')]),
    ]);
    expectWrongArgument(noDir, `--out ${join(tmp.dir, 'nodir', 'x.csv')}: no folder ${join(tmp.dir, 'nodir')}`);
    expectWrongArgument(dir, `--out ${join(tmp.dir, 'adir')}: is a folder`);
    expectWrongArgument(file, `--file ${join(tmp.dir, 'adir')}: is a folder`);
  });

  it('runs exactly one statement: none, or two, is a wrong argument', async () => {
    const empty = writeFile(tmp.dir, 'empty.sql', '-- nothing yet\n');
    const two = writeFile(tmp.dir, 'two.sql', 'SELECT 1;\nSELECT 2;\n');
    const one = writeFile(tmp.dir, 'one.sql', '-- a note; with a semicolon\nSELECT 1 AS n; -- done\n');
    const [e, t, o] = await Promise.all([empty, two, one].map((f) => runCliAsync(['query', '--db', db, '--file', f, '--format', 'json'])));
    expectWrongArgument(e!, `--file ${empty}: no SQL statement in it`);
    expectWrongArgument(t!, `--file ${two}: 2 statements; auditlake query runs one at a time`);
    expect(o!.code, o!.stderr).toBe(0);
    expect(JSON.parse(o!.stdout)).toEqual([{ n: 1 }]);
    // Counted by DuckDB's parser: a semicolon in an escape string separates nothing.
    const escaped = await runCliAsync(['query', '--db', db, "SELECT E'it\\'s; fine' AS s", '--format', 'json']);
    expect(escaped.code, escaped.stderr).toBe(0);
    expect(JSON.parse(escaped.stdout)).toEqual([{ s: "it's; fine" }]);
  });

  it('keeps columns of the same name in json and ndjson', async () => {
    const r = await runCliAsync(['query', '--db', db, 'select 1 as a, 2 as a', '--format', 'ndjson']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('{"a":1,"a_2":2}\n');
  });

  it('shows dates, times, intervals, blobs and floats as DuckDB writes them, the same locally and through a server', async () => {
    const sql = "SELECT DATE '2025-11-14' AS d, '12:00:01.5'::TIME AS tm, INTERVAL 90 MINUTE AS iv, "
      + "INTERVAL '1 year 2 months 3 days 4 hours 0.5 seconds' AS iv2, INTERVAL '-90 minutes' AS neg, "
      + "'x\\x0A\\x5C'::BLOB AS bl, 0.1::FLOAT AS f";
    const expected = { d: '2025-11-14', tm: '12:00:01.5', iv: '01:30:00', iv2: '1 year 2 months 3 days 04:00:00.5', neg: '-01:30:00', bl: 'x\\x0A\\x5C', f: 0.1 };
    const local = await runCliAsync(['query', '--db', db, sql, '--format', 'ndjson']);
    expect(local.code, local.stderr).toBe(0);
    expect(JSON.parse(local.stdout)).toEqual(expected);
    const csv = await runCliAsync(['query', '--db', db, sql, '--format', 'csv']);
    await withServe(['--db', db, '--port', '0'], async ({ url }) => {
      const remote = await Promise.all(['ndjson', 'csv'].map((format) =>
        runCliAsync(['query', '--server', url, '--token-file', `${db}.token`, sql, '--format', format])));
      expect(remote[0]!.code, remote[0]!.stderr).toBe(0);
      expect(JSON.parse(remote[0]!.stdout)).toEqual(expected);
      expect(remote[1]!.stdout).toBe(csv.stdout);
    });
  });

  it('an unknown saved query is a wrong argument, with the nearest name and where to see them all', async () => {
    const [near, far] = await Promise.all([runCliAsync(['query', '--db', db, 'principal-timelin']), runCliAsync(['query', '--db', db, 'frobnicate'])]);
    expectWrongArgument(near, "no saved query named 'principal-timelin' (did you mean principal-timeline?); auditlake query --list shows them");
    expectWrongArgument(far, "no saved query named 'frobnicate'; auditlake query --list shows them");
  });
});

describe('--since and --until', () => {
  it('take a plain date; refuse impossible dates and durations, naming the flag', async () => {
    const [date, feb30, huge, until] = await Promise.all([
      runCliAsync(['alerts', '--db', db, '--since', '2000-01-01', '--format', 'json']),
      runCliAsync(['alerts', '--db', db, '--since', '2025-02-30T00:00:00Z']),
      runCliAsync(['alerts', '--db', db, '--since', '99999999999d']),
      runCliAsync(['export', '--db', db, '--to', join(tmp.dir, 'export'), '--until', '2025-02-30']),
    ]);
    expect(date.code, date.stderr).toBe(0);
    expect((JSON.parse(date.stdout) as unknown[]).length).toBeGreaterThan(0);
    expectWrongArgument(feb30, '--since 2025-02-30T00:00:00Z: not a time in the calendar');
    expectWrongArgument(huge, '--since 99999999999d: too long ago');
    expectWrongArgument(until, '--until 2025-02-30: not a date in the calendar');
  });

  it('export --until DAY includes that day, as its help says', async () => {
    const out = join(tmp.dir, 'export-day');
    const r = await runCliAsync(['export', '--db', db, '--to', out, '--since', '2025-11-14', '--until', '2025-11-14']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Exported [1-9][\d,]* events \(days 2025-11-14 to 2025-11-14\)/);
  });
});

describe('query --since and --until', () => {
  const day = async (...window: string[]) => {
    const r = await runCliAsync(['query', '--db', db, 'role-assignments', ...window, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { time: string }[]).map((row) => row.time);
  };

  it("bind a saved query's window, in the forms --since takes elsewhere, as --param since/until do", async () => {
    const all = await day();
    const morning = all.filter((t) => t >= '2025-11-14T09:00:00Z' && t < '2025-11-14T12:00:00Z');
    expect(morning.length).toBeGreaterThan(0);
    expect(morning.length).toBeLessThan(all.length);
    const [byIso, byParam, byOffset, byDate, none] = await Promise.all([
      day('--since', '2025-11-14T09:00:00Z', '--until', '2025-11-14T12:00:00Z'),
      day('--param', 'since=2025-11-14T09:00Z', '--param', 'until=2025-11-14 12:00'),
      day('--since', '2025-11-14T10:00:00+01:00', '--until', '2025-11-14T13:00:00+01:00'),
      day('--since', '2025-11-14', '--until', '2025-11-14'), // the whole day: until a plain date includes it
      day('--since', '1h'), // the fixtures are from 2025
    ]);
    expect(byIso).toEqual(morning);
    expect(byParam).toEqual(morning);
    expect(byOffset).toEqual(morning);
    expect(all.every((t) => t.startsWith('2025-11-14'))).toBe(true);
    expect(byDate).toEqual(all);
    expect(none).toEqual([]);
  });

  it('refuse a window they cannot read, a statement without one, and both spellings at once', async () => {
    const [bad, badParam, adHoc, both, missing] = await Promise.all([
      runCliAsync(['query', '--db', db, 'role-assignments', '--since', '7x']),
      runCliAsync(['query', '--db', db, 'role-assignments', '--param', 'until=2025-02-30']),
      runCliAsync(['query', '--db', db, 'SELECT count(*) FROM events', '--since', '7d']),
      runCliAsync(['query', '--db', db, 'role-assignments', '--since', '7d', '--param', 'since=1d']),
      runCliAsync(['query', '--db', db, 'secret-readers']),
    ]);
    expectWrongArgument(bad, '--since 7x: expected a duration like 30m, 24h, 7d');
    expectWrongArgument(badParam, '--param until 2025-02-30: not a date in the calendar');
    expectWrongArgument(adHoc, '--since 7d: the query has no $since parameter');
    expectWrongArgument(both, 'give --since or --param since, not both');
    // Not "secret=REDACTED": the message is redacted on the way out.
    expectWrongArgument(missing, 'saved query secret-readers needs a value for $secret (give it with --param, as NAME=VALUE)');
  });
});

describe('numeric flags', () => {
  it.each([
    [['replay', '--db', join(tmp.dir, 'n.duckdb'), '--max-record-bytes', '0', 'fixtures/activity'], "--max-record-bytes '0': expected a whole number, 1,024 to 16,777,216"],
    [['replay', '--db', join(tmp.dir, 'n.duckdb'), '--workers', '65', 'fixtures/activity'], "--workers '65': expected a whole number, 0 to 64"],
    [['replay', '--db', join(tmp.dir, 'n.duckdb'), '--workers', '', 'fixtures/activity'], "--workers '': expected a whole number"],
    [['replay', '--db', join(tmp.dir, 'n.duckdb'), '--workers', '0x2', 'fixtures/activity'], "--workers '0x2': expected a whole number"],
    [['run', '--config', 'x.yaml', '--workers', '100'], "--workers '100': expected a whole number, 0 to 64"],
    [['backfill', '--workspace', 'w', '--max-rows', '0'], "--max-rows '0': expected a whole number, 1 to 499,999"],
    [['serve', '--db', db, '--port', '70000'], "--port '70000': expected a whole number, 0 to 65,535"],
    [['serve', '--db', db, '--query-timeout', '0'], "--query-timeout '0': expected a whole number, 1 to 3,600"],
    [['serve', '--db', db, '--max-rows', '0'], "--max-rows '0': expected a whole number, 1 to 10,000,000"],
  ])('refuses %j', async (args, message) => {
    expectWrongArgument(await runCliAsync(args), message);
    expect(existsSync(join(tmp.dir, 'n.duckdb'))).toBe(false);
  });
});

describe('serve', () => {
  it('explains a --host it cannot listen on', async () => {
    // An address of no interface here (TEST-NET-1): no name to look up, nothing sent anywhere.
    const r = await runCliAsync(['serve', '--db', db, '--host', '192.0.2.1', '--port', '0']);
    expectWrongArgument(r, /--host 192\.0\.2\.1: cannot listen there \(.*EADDRNOTAVAIL/);
  });
});

describe('detectors', () => {
  it('detectors.disabled: a bare family switches the family off; an entry matching no detector is refused before anything is stored', async () => {
    const family = writeFile(tmp.dir, 'family.yaml', 'detectors: { disabled: [rbac] }\n');
    const typo = writeFile(tmp.dir, 'typo.yaml', 'detectors: { disabled: [rbac, rbac.privileged-role-assigned-typo] }\n');
    const typoDb = join(tmp.dir, 'typo.duckdb');
    const [off, refused] = await Promise.all([
      runCliAsync(['replay', '--json', '-q', '--db', join(tmp.dir, 'family.duckdb'), '--config', family, 'fixtures/activity']),
      runCliAsync(['replay', '-q', '--db', typoDb, '--config', typo, 'fixtures/activity']),
    ]);
    expect(off.code, off.stderr).toBe(0);
    const alerts = (JSON.parse(off.stdout) as { alerts: { detector_id: string }[] }).alerts;
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.filter((a) => a.detector_id.startsWith('rbac.'))).toEqual([]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${typo}: detectors.disabled[1]: 'rbac.privileged-role-assigned-typo' matches no detector`);
    expect(existsSync(typoDb)).toBe(false);
  });

  it('detectors test --only with no match is a wrong argument', async () => {
    expectWrongArgument(await runCliAsync(['detectors', 'test', '--only', 'nosuch']), '--only nosuch: no detector matches');
  });
});

describe('alerts redeliver', () => {
  it('refuses a sink it has never delivered to, listing the ones it has', async () => {
    expect(replayed.code, replayed.stderr).toBe(0);
    // One after the other: redeliver opens the database for writing.
    const unknown = await runCliAsync(['alerts', 'redeliver', '--db', db, '--sink', 'nosuchsink', '--since', '3650d']);
    const known = await runCliAsync(['alerts', 'redeliver', '--db', db, '--sink', 'ndjson', '--since', '3650d']);
    expectWrongArgument(unknown, '--sink nosuchsink: no alert has been delivered to a sink of that name; known sinks: ndjson');
    expect(known.code, known.stderr).toBe(0);
    expect(known.stdout).toMatch(/^[1-9][\d,]* alerts? will be delivered to ndjson again\.$/m);
  });
});
