/**
 * `auditlake replay` over input as it comes out of Azure and out of people's hands, and the
 * ways one record can go wrong without taking the others (or the run) with it: the real CLI
 * as a subprocess, a real DuckDB file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { queryJson, replay, tempDir, type Row } from './support/db.js';

const tmp = tempDir('auditlake-replay-input-');
afterAll(() => tmp.cleanup());
let dbCount = 0;
const freshDb = () => join(tmp.dir, `db-${dbCount++}.duckdb`);

/** A Key Vault SecretGet in the Event Hubs shape, one per `n` (a distinct secret and second). */
function kvRecord(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    time: `2025-11-14T05:00:${String(n % 60).padStart(2, '0')}.1234567Z`,
    resourceId: '/SUBSCRIPTIONS/A/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/V',
    operationName: 'SecretGet', category: 'AuditEvent', resultType: 'Success', callerIpAddress: '10.0.0.4',
    identity: { claim: { oid: 'x' } }, properties: { id: `https://v.vault.azure.net/secrets/s${n}/abc`, httpStatusCode: 200 },
    ...extra,
  };
}

/** A Storage write, for the byte-count columns. */
function storageRecord(n: number, bytes: unknown): Record<string, unknown> {
  return {
    time: `2025-11-14T06:00:${String(n % 60).padStart(2, '0')}Z`, category: 'StorageWrite', operationName: 'PutBlob',
    resourceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default',
    statusCode: 201, callerIpAddress: '10.0.0.5:5000', identity: { type: 'AccountKey' }, correlationId: `c-${n}`,
    uri: `https://acct.blob.core.windows.net/c/b${n}`, properties: { objectKey: `/acct/c/b${n}`, requestBodySize: 10, responseBodySize: bytes },
  };
}

const line = (r: unknown) => `${JSON.stringify(r)}\n`;
const rejectsOf = (db: string): Row[] => queryJson(db, 'SELECT source, reason, raw FROM rejects ORDER BY reason');
const count = (db: string, sql: string) => Number(queryJson(db, sql)[0]!.n);

describe('replay: Azure storage archives and other .json files holding one record per line', () => {
  it('stores every line of an archived PT1H.json, not only the first', () => {
    const dir = join(tmp.dir, 'insights-logs-auditevent', 'resourceId=/SUBSCRIPTIONS/A/y=2025/m=11/d=14/h=05/m=00');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'PT1H.json'), [1, 2, 3, 4, 5].map((n) => line(kvRecord(n))).join(''));
    const db = freshDb();
    const s = replay(db, [join(tmp.dir, 'insights-logs-auditevent')]);
    expect(s).toMatchObject({ files: 1, read: 5, stored: 5, rejected: 0 });
    expect(count(db, 'SELECT count(DISTINCT target) AS n FROM events')).toBe(5);
  });

  it('refuses a line cut short in an archived PT1H.json and stores the lines after it', () => {
    const file = join(tmp.dir, 'cut-short.json');
    const cut = JSON.stringify(kvRecord(2)).slice(0, 80);
    // A partial write joined with cat: before, the open record took the rest of the file with it.
    writeFileSync(file, [line(kvRecord(1)), `${cut}\n`, line(kvRecord(3)), line(kvRecord(4))].join(''));
    const db = freshDb();
    expect(replay(db, [file])).toMatchObject({ read: 4, stored: 3, rejected: 1 });
    expect(rejectsOf(db).map((x) => [x.reason, x.raw])).toEqual([['invalid JSON: line 2: the line ends inside an unclosed object (a record cut short)', cut]]);
  });

  it('refuses a FIRST line cut short and stores the lines after it, wherever the cut falls', () => {
    // Two archives joined with cat after a partial write, the cut record first. Before, the open
    // record took the rest of the file with it: nothing stored, one reject for the whole file.
    const full = JSON.stringify(kvRecord(52));
    const cuts = [
      full.slice(0, 80),                                       // inside a string
      full.slice(0, full.indexOf('"operationName":') + 16),   // after a colon: a '{' could go on with it
      full.slice(0, full.length - 2),                          // the last braces missing
    ];
    // And lines written with a space after each colon and comma, as some writers do.
    const spaced = (v: unknown): string => Array.isArray(v) ? `[${v.map(spaced).join(', ')}]`
      : v !== null && typeof v === 'object' ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${spaced(x)}`).join(', ')}}` : JSON.stringify(v);
    cuts.push(spaced(kvRecord(52)).slice(0, 90));
    const files = cuts.map((cut, k) => {
      const file = join(tmp.dir, `first-cut-${k}.json`);
      const eol = k === 1 ? '\r\n' : '\n';
      const write = k === 3 ? spaced : JSON.stringify;
      writeFileSync(file, [cut, write(kvRecord(53 + 3 * k)), write(kvRecord(54 + 3 * k)), write(kvRecord(55 + 3 * k))].join(eol) + eol);
      return file;
    });
    const db = freshDb();
    expect(replay(db, files)).toMatchObject({ files: 4, read: 16, stored: 12, rejected: 4 });
    expect(count(db, 'SELECT count(DISTINCT target) AS n FROM events')).toBe(12);
    expect(queryJson(db, 'SELECT source, reason, raw FROM rejects ORDER BY source').map((x) => [x.source, x.reason, x.raw])).toEqual(
      files.map((file, k) => [`file:${file}`, 'invalid JSON: line 1: the line ends inside an unclosed object (a record cut short)', cuts[k]]),
    );
  });

  it('keeps a reject for each record of a one-line body refused for the same reason, named by its place on the line', () => {
    const file = join(tmp.dir, 'one-line-body.json');
    const timeless = kvRecord(1, { time: undefined });
    // The same refused record three times, then a good one, all on line 1; a second line too.
    writeFileSync(file, `${JSON.stringify({ records: [timeless, timeless, kvRecord(2), timeless] })}\n${line(timeless)}`);
    const db = freshDb();
    const s = replay(db, [file]);
    expect(s).toMatchObject({ read: 5, stored: 1, rejected: 4 });
    expect(rejectsOf(db).map((x) => x.reason)).toEqual([
      'line 1 record 2: invalid AuditEvent record: time: missing; expected an ISO-8601 or US-style date-time',
      'line 1 record 4: invalid AuditEvent record: time: missing; expected an ISO-8601 or US-style date-time',
      'line 1: invalid AuditEvent record: time: missing; expected an ISO-8601 or US-style date-time',
      'line 2: invalid AuditEvent record: time: missing; expected an ISO-8601 or US-style date-time',
    ]);
    // Replayed again, the same rejects are not stored twice.
    replay(db, [file]);
    expect(count(db, 'SELECT count(*) AS n FROM rejects')).toBe(4);
  });

  it('refuses a stray line between the records, redacted, and stores the lines around it', () => {
    const file = join(tmp.dir, 'stray.json');
    writeFileSync(file, `${line(kvRecord(1))}not json ?sig=STRAYSECRET&x=1\n${line(kvRecord(2))}{"records":[${JSON.stringify(kvRecord(3))}]} sig=TRAILSECRET\n`);
    const db = freshDb();
    const r = runCli(['replay', '--no-detect', '--db', db, file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('SECRET');
    expect(count(db, 'SELECT count(*) AS n FROM events')).toBe(3);
    const rejects = rejectsOf(db);
    expect(rejects.map((x) => x.reason)).toEqual([
      "invalid JSON: line 2: expected a JSON object or array, found 'n'",
      "invalid JSON: line 4: expected a JSON object or array, found 's'",
    ]);
    expect(rejects.map((x) => x.raw)).toEqual(['not json ?sig=REDACTED&x=1', 'sig=REDACTED']);
  });

  it('strips a UTF-8 byte-order mark at the start of .ndjson and .json files', () => {
    const bom = '\uFEFF';
    const files = [
      join(tmp.dir, 'bom.ndjson'), join(tmp.dir, 'bom.json'), join(tmp.dir, 'bom-pretty.json'),
    ];
    writeFileSync(files[0]!, `${bom}${line(kvRecord(11))}${line(kvRecord(12))}`);
    writeFileSync(files[1]!, `${bom}${JSON.stringify({ records: [kvRecord(13)] })}`);
    writeFileSync(files[2]!, `${bom}${JSON.stringify([kvRecord(14)], null, 2)}`);
    const db = freshDb();
    expect(replay(db, files)).toMatchObject({ read: 4, stored: 4, rejected: 0 });
  });

  it('refuses a .json record holding bytes that are not UTF-8, naming line and byte, and keeps the others', () => {
    const file = join(tmp.dir, 'latin1.json');
    const bad = Buffer.from(`${JSON.stringify(kvRecord(22)).slice(0, -1)},"note":"caf\xe9"}`, 'latin1');
    writeFileSync(file, Buffer.concat([Buffer.from(`{"records":[\n${JSON.stringify(kvRecord(21))},\n`), bad, Buffer.from(`,\n${JSON.stringify(kvRecord(23))}\n]}`)]));
    const db = freshDb();
    const s = replay(db, [file]);
    expect(s).toMatchObject({ read: 3, stored: 2, rejected: 1 });
    const [reject] = rejectsOf(db);
    const byte = 13 + JSON.stringify(kvRecord(21)).length + 2 + bad.indexOf(0xe9);
    expect(reject!.reason).toBe(`line 3: not valid UTF-8 at byte position ${byte}`);
    expect(String(reject!.source)).toBe(`file:${file}`);
    expect(reject!.raw).toContain('"note":"caf\uFFFD"');
    expect(count(db, "SELECT count(*) AS n FROM events WHERE raw LIKE '%\uFFFD%'")).toBe(0);
  });
});

describe('replay: one poisonous record is one reject, the run goes on', () => {
  const deep = `{"time":"2025-11-14T05:00:00Z","category":"AuditEvent","properties":{"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`;
  const poison = [
    line(kvRecord(31)),
    `${deep.replace(/,/g, ', ')}\n`, // spaced: compacted with JSON.stringify, which recursed past the stack
    line(storageRecord(32, '1e30')),
    line(storageRecord(33, 1234)),
    line(kvRecord(34, { time: 1e300 })),
  ].join('');

  for (const workers of ['0', '1']) {
    it(`--workers ${workers}: a record 50,000 levels deep, bytes and times past the columns' range`, () => {
      const file = join(tmp.dir, `poison-${workers}.ndjson`);
      writeFileSync(file, poison);
      const db = freshDb();
      const r = runCli(['replay', '--json', '--no-detect', '--workers', workers, '--db', db, file]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ read: 5, stored: 2, rejected: 3 });
      expect(rejectsOf(db).map((x) => x.reason)).toEqual([
        'line 2: record: properties.x: nested too deeply to read',
        'line 3: invalid StorageWrite record: bytes_out: 1e+30 does not fit a 64-bit integer',
        'line 5: invalid AuditEvent record: time: expected an ISO-8601 or US-style date-time, got 1e+300',
      ]);
      expect(queryJson(db, 'SELECT bytes_out FROM events WHERE bytes_out IS NOT NULL')).toEqual([{ bytes_out: 1234 }]);
    });
  }
});

describe('replay: event times', () => {
  it('refuses dates that do not exist, naming the field, and reads small numbers as epoch seconds', () => {
    const file = join(tmp.dir, 'times.ndjson');
    writeFileSync(file, [
      kvRecord(41, { time: '2025-02-30T00:00:00Z' }),
      kvRecord(42, { time: '11/31/2025 1:48:53 AM' }),
      kvRecord(43, { time: '2/29/2025 1:48:53 PM' }),
      kvRecord(44, { time: 1700000000 }),
      kvRecord(45, { time: '2/29/2024 1:48:53 PM' }),
    ].map(line).join(''));
    const db = freshDb();
    expect(replay(db, [file])).toMatchObject({ read: 5, stored: 2, rejected: 3 });
    for (const [n, value] of [[1, '2025-02-30T00:00:00Z'], [2, '11/31/2025 1:48:53 AM'], [3, '2/29/2025 1:48:53 PM']] as const) {
      expect(rejectsOf(db).map((x) => x.reason)).toContain(`line ${n}: invalid AuditEvent record: time: expected an ISO-8601 or US-style date-time, got "${value}"`);
    }
    const times = queryJson(db, "SELECT strftime(time AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS t FROM events ORDER BY t").map((x) => x.t);
    expect(times).toEqual(['2023-11-14 22:13:20', '2024-02-29 13:48:53']);
  });
});

describe('replay: no secret reaches rejects or the summary', () => {
  it('redacts refused lines that are not UTF-8, and the reasons that quote input', () => {
    const dir = join(tmp.dir, 'sec');
    mkdirSync(dir);
    writeFileSync(join(dir, 'nonutf8.ndjson'), Buffer.concat([
      Buffer.from('{"time":"2023-01-01T00:00:00Z","category":"StorageRead","uri":"https://a/c?sig=NONUTF8SECRET","x":"'),
      Buffer.from([0xff, 0xfe]), Buffer.from('"}\n'),
    ]));
    // Parser messages quote the text around the error (V8's JSON.parse does).
    writeFileSync(join(dir, 'parse.ndjson'), '{"uri":"https://a/?sig=PARSESECRET","time":"2023-01-01T00:00:00Z", oops}\n');
    const db = freshDb();
    const r = runCli(['replay', '--no-detect', '--db', db, dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/SECRET/);
    const rejects = rejectsOf(db);
    expect(rejects).toHaveLength(2);
    expect(JSON.stringify(rejects)).not.toMatch(/NONUTF8SECRET|PARSESECRET/);
    expect(rejects.map((x) => x.raw).join('\n')).toContain('sig=REDACTED');
  });
});
