/**
 * `auditlake export` and `auditlake query --parquet`: the export reads back with the same
 * answers as the live database, for every saved query over events, and a rerun overwrites.
 * `events_between` gives the same window over both, and over an export opens only its days.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSavedQueries } from '../src/queries.js';
import { FACT_COLUMNS, SETTINGS_CHANGE_COLUMN } from '../src/schema/facts.js';
import { repoRoot, runCli, runCliAsync } from './support/cli.js';
import { FIXTURE_DIRS, queryJsonAsync, replayAsync, tempDir } from './support/db.js';
import { startServe, withServe, type Served } from './support/serve.js';
import { writeConfig } from './support/service.js';

const tmp = tempDir('auditlake-export-');
afterAll(() => tmp.cleanup());
const db = join(tmp.dir, 'live.duckdb');
const out = join(tmp.dir, 'export');

/** Values for the saved queries' required parameters, from the fixtures. */
const PARAMS: Record<string, Record<string, string>> = {
  'principal-activity': { principal: 'ada.park@fabrikam-demo.example' },
  'principal-timeline': { principal: 'ada.park@fabrikam-demo.example' },
  'secret-readers': { secret: 'storage-conn' },
  'vault-first-seen-callers': { vault: 'kv-fabrikam-ml' },
  'ip-activity': { ip: '203.0.113.24' },
};
/** Saved queries over tables other than events, which an export does not hold. */
const NOT_EXPORTED = new Set(['alerts-recent', 'rejects-summary']);

const parquetFiles = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')).sort();

/**
 * The export without the fact columns (nor 006's settings_change, derived from them), file by
 * file, as auditlake wrote it before migration 005; and a folder mixing the two (a partial
 * re-export), starting with a new file. Written once, from the first test's export.
 */
let beforeFacts: Promise<{ old: string; mixed: string }> | undefined;
function exportsBeforeFacts(): Promise<{ old: string; mixed: string }> {
  return (beforeFacts ??= (async () => {
    const old = join(tmp.dir, 'export-before-facts');
    const mixed = join(tmp.dir, 'export-mixed');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    for (const [i, f] of parquetFiles(out).entries()) {
      for (const dir of [old, mixed]) mkdirSync(dirname(join(dir, f)), { recursive: true });
      const withoutFacts = `COPY (SELECT * EXCLUDE (${[...FACT_COLUMNS.map(([n]) => n), SETTINGS_CHANGE_COLUMN].join(', ')}) FROM read_parquet('${join(out, f)}'))`;
      await duck.run(`${withoutFacts} TO '${join(old, f)}' (FORMAT parquet)`);
      if (i % 2 === 1) await duck.run(`${withoutFacts} TO '${join(mixed, f)}' (FORMAT parquet)`);
      else copyFileSync(join(out, f), join(mixed, f));
    }
    duck.closeSync();
    return { old, mixed };
  })());
}

beforeAll(async () => {
  await replayAsync(db, FIXTURE_DIRS);
});

describe('auditlake export', () => {
  it('writes Hive-partitioned Parquet, and a rerun overwrites the same files', async () => {
    const first = await runCliAsync(['export', '--db', db, '--to', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/Exported 59 events/);
    const files = parquetFiles(out);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(f).toMatch(/^category=[^/]+\/date=\d{4}-\d{2}-\d{2}\/part-0\.parquet$/);
    const again = await runCliAsync(['export', '--db', db, '--to', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(parquetFiles(out)).toEqual(files);
    const counted = await runCliAsync(['query', '--parquet', out, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events', '--format', 'json']);
    expect(JSON.parse(counted.stdout)).toEqual([{ n: 59, d: 59 }]);
  });

  const saved = listSavedQueries().filter((q) => !NOT_EXPORTED.has(q.name));
  it.each(saved.map((q) => q.name))('saved query %s answers the same over the export', async (name) => {
    const params = Object.entries(PARAMS[name] ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
    const [live, exported] = await Promise.all([
      runCliAsync(['query', '--db', db, name, ...params, '--format', 'json']),
      runCliAsync(['query', '--parquet', out, name, ...params, '--format', 'json']),
    ]);
    expect(live.code, live.stderr).toBe(0);
    expect(exported.code, exported.stderr).toBe(0);
    const rows = JSON.parse(live.stdout) as unknown[];
    expect(rows.length, 'the fixtures give every saved query something to answer').toBeGreaterThan(0);
    expect(JSON.parse(exported.stdout)).toEqual(rows);
  });

  it('reads an export written before the fact columns existed, alone or among newer files, from its details', async () => {
    const { old, mixed } = await exportsBeforeFacts();
    const readingFacts = saved.filter((q) => FACT_COLUMNS.some(([n]) => new RegExp(`\\b${n}\\b`).test(q.sql)));
    expect(readingFacts.length).toBeGreaterThan(5);
    for (const q of readingFacts) {
      const params = Object.entries(PARAMS[q.name] ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
      const [current, before, both] = await Promise.all([
        runCliAsync(['query', '--parquet', out, q.name, ...params, '--format', 'json']),
        runCliAsync(['query', '--parquet', old, q.name, ...params, '--format', 'json']),
        runCliAsync(['query', '--parquet', mixed, q.name, ...params, '--format', 'json']),
      ]);
      expect(before.code, before.stderr).toBe(0);
      expect(both.code, both.stderr).toBe(0);
      expect(JSON.parse(before.stdout), q.name).toEqual(JSON.parse(current.stdout));
      expect(JSON.parse(both.stdout), q.name).toEqual(JSON.parse(current.stdout));
    }
  });

  it('explains a folder with no export and an empty time range', () => {
    const none = runCli(['query', '--parquet', join(tmp.dir, 'nothing'), 'SELECT 1']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--parquet .*nothing: no auditlake export there/);
    for (const other of [['--db', db], ['--server', 'http://127.0.0.1:9']]) {
      const both = runCli(['query', '--parquet', out, ...other, 'SELECT 1']);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain(`queries an export folder: give it without ${other[0]}`);
    }
    // The tables an export does not hold are named as the database's, not left to DuckDB's "did you mean events?".
    for (const q of [...NOT_EXPORTED, 'SELECT * FROM checkpoints']) {
      const missing = runCli(['query', '--parquet', out, q]);
      expect(missing.code, q).toBe(1);
      expect(missing.stderr, q).toMatch(/an export holds only the events: (alerts|rejects|checkpoints) is in the database the export was written from \(query it with --db\)/);
    }
    const typo = runCli(['query', '--parquet', out, 'SELECT * FROM evnts']);
    expect(typo.stderr).toContain('evnts does not exist');
    expect(typo.stderr).not.toContain('an export holds only');
    const backwards = runCli(['export', '--db', db, '--to', join(tmp.dir, 'x'), '--since', '2025-11-15T00:00:00Z', '--until', '2025-11-14T00:00:00Z']);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toMatch(/--until .* must be after --since/);
  });

  it('runs under --memory-limit, and says in its own terms when that is too little', async () => {
    const exportsRecorded = async () => Number((await queryJsonAsync(db, 'SELECT count(*) AS n FROM exports'))[0]!.n);
    const before = await exportsRecorded();
    const bad = runCli(['export', '--db', db, '--to', join(tmp.dir, 'x'), '--memory-limit', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--memory-limit lots: expected a size like 4GB or 512MB');
    // Too little to write a day, then too little to open the file: DuckDB's advice (SQL
    // settings) is replaced by the option's, and running out of memory is no lock conflict.
    for (const limit of ['1MB', '1KB']) {
      const starved = await runCliAsync(['export', '--db', db, '--to', join(tmp.dir, `starved-${limit}`), '--memory-limit', limit]);
      expect(starved.code, starved.stderr).toBe(1);
      expect(starved.stderr).toContain('Out of Memory Error');
      expect(starved.stderr).toContain(`DuckDB had ${limit} of memory: give it more with --memory-limit`);
      expect(starved.stderr).not.toContain('SET memory_limit');
      expect(starved.stderr).not.toContain('another auditlake process holds it');
    }
    expect(await exportsRecorded(), 'a failed export records nothing').toBe(before);
    const roomy = await runCliAsync(['export', '--db', db, '--to', join(tmp.dir, 'roomy'), '--memory-limit', '256MB']);
    expect(roomy.code, roomy.stderr).toBe(0);
    expect(roomy.stdout).toMatch(/Exported 59 events/);
  });
});

describe('auditlake export after retention pruned the days', () => {
  it('leaves out what the folder holds when records are ingested again, exports a record it never had, and a rerun changes nothing', async () => {
    const again = join(tmp.dir, 'again.duckdb');
    const folder = join(tmp.dir, 'again-export');
    await replayAsync(again, FIXTURE_DIRS);
    const config = writeConfig(tmp.dir, { export: { to: folder }, retention: { days: 1 } }, 'again.yaml');
    const pruned = await runCliAsync(['compact', '--db', again, '--config', config, '--no-rewrite']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('Deleted 59 events');
    // The same files replayed (the store has nothing left to dedupe them against), and one
    // record of an exported day the folder never had: a copy with another correlationId.
    const record = (JSON.parse(readFileSync(join(repoRoot, 'fixtures/keyvault/auditevent.json'), 'utf8')) as { records: object[] }).records[0]!;
    const older = join(tmp.dir, 'older-history.json');
    writeFileSync(older, JSON.stringify({ records: [{ ...record, correlationId: 'backfilled-0001' }] }));
    const replayed = await replayAsync(again, [...FIXTURE_DIRS, older]);
    expect(replayed.stored).toBe(60);

    const r = await runCliAsync(['export', '--db', again, '--to', folder]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Exported 1 events');
    expect(r.stdout).toContain(`Left out 59 late events ${folder} already holds (ingested again after retention deleted their day).`);
    const counted = async () => {
      const q = await runCliAsync(['query', '--parquet', folder, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d, count(*) FILTER (correlation_id = \'backfilled-0001\') AS new FROM events', '--format', 'json']);
      expect(q.code, q.stderr).toBe(0);
      return JSON.parse(q.stdout) as unknown;
    };
    expect(await counted()).toEqual([{ n: 60, d: 60, new: 1 }]);

    const snapshot = () => parquetFiles(folder).map((f) => [f, readFileSync(join(folder, f)).toString('base64')]);
    const before = snapshot();
    const rerun = await runCliAsync(['export', '--db', again, '--to', folder]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/^Exported 0 events to .*\.\n$/);
    expect(snapshot()).toEqual(before);
    expect(await counted()).toEqual([{ n: 60, d: 60, new: 1 }]);
  });
});

describe('events_between(since, until)', () => {
  // Three scenario days, so windows cross UTC midnight.
  const daysDb = join(tmp.dir, 'days.duckdb');
  const daysOut = join(tmp.dir, 'days-export');
  const DAYS = ['day-1', 'day-2', 'day-3'].map((d) => `fixtures/scenarios/days/${d}.ndjson`);
  const json = async (args: string[]): Promise<unknown[]> => {
    const r = await runCliAsync([...args, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as unknown[];
  };
  const windowParams = (since: string, until: string) => ['--param', `since=${since}`, '--param', `until=${until}`];

  beforeAll(async () => {
    await replayAsync(daysDb, DAYS);
    const exported = await runCliAsync(['export', '--db', daysDb, '--to', daysOut]);
    expect(exported.code, exported.stderr).toBe(0);
  });

  it.each([
    ['across UTC midnight, ending on one', '2025-11-03T22:30:00Z', '2025-11-05T00:00:00Z'],
    ['with bounds in other UTC offsets', '2025-11-04T03:30:00+05:00', '2025-11-04T23:59:59.999-02:00'],
    ['over all of history', '1970-01-01T00:00:00Z', '2999-01-01T00:00:00Z'],
  ])('gives the events with since <= time < until, %s, over the live database and the export', async (_, since, until) => {
    const ids = 'SELECT event_id FROM events_between($since, $until) ORDER BY event_id';
    const [expected, live, exported, all] = await Promise.all([
      json(['query', '--db', daysDb, 'SELECT event_id FROM events WHERE time >= $since::TIMESTAMPTZ AND time < $until::TIMESTAMPTZ ORDER BY event_id', ...windowParams(since, until)]),
      json(['query', '--db', daysDb, ids, ...windowParams(since, until)]),
      json(['query', '--parquet', daysOut, ids, ...windowParams(since, until)]),
      json(['query', '--db', daysDb, 'SELECT count(*) AS n FROM events']),
    ]);
    expect(expected.length).toBeGreaterThan(0);
    if (!since.startsWith('1970')) expect(expected.length).toBeLessThan((all[0] as { n: number }).n);
    expect(live).toEqual(expected);
    expect(exported).toEqual(expected);
  });

  it('opens only the export\'s files of the window\'s days', async () => {
    // The day after the window made unreadable: a statement that opened it would fail.
    const damaged = join(tmp.dir, 'days-export-damaged');
    const files = parquetFiles(daysOut);
    for (const f of files) {
      mkdirSync(dirname(join(damaged, f)), { recursive: true });
      if (f.includes('/date=2025-11-05/')) writeFileSync(join(damaged, f), 'not parquet');
      else copyFileSync(join(daysOut, f), join(damaged, f));
    }
    expect(files.filter((f) => f.includes('/date=2025-11-05/')).length).toBeGreaterThan(2);
    const count = 'SELECT count(*) AS n FROM events_between($since, $until)';
    const window = windowParams('2025-11-03T00:00:00Z', '2025-11-05T00:00:00Z');
    const [live, exported] = await Promise.all([json(['query', '--db', daysDb, count, ...window]), json(['query', '--parquet', damaged, count, ...window])]);
    expect(exported).toEqual(live);
    const everything = await runCliAsync(['query', '--parquet', damaged, 'SELECT count(*) FROM events']);
    expect(everything.code).not.toBe(0);
    expect(everything.stderr).toMatch(/date=2025-11-05/);
  });
});

describe('auditlake serve --parquet', () => {
  const tokenFile = `${out}.token`;
  let served: Served;
  let token: string;
  const paramsOf = (name: string) => Object.entries(PARAMS[name] ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]);

  beforeAll(async () => {
    if (!existsSync(out)) expect((await runCliAsync(['export', '--db', db, '--to', out])).code).toBe(0);
    served = await startServe(['--parquet', out, '--port', '0']);
    token = readFileSync(tokenFile, 'utf8').trim();
  });
  afterAll(async () => {
    if (served?.child.exitCode !== null) return;
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });

  it('answers every saved query as query --parquet does, through query --server', async () => {
    for (const q of listSavedQueries().filter((s) => !NOT_EXPORTED.has(s.name))) {
      const [direct, remote] = await Promise.all([
        runCliAsync(['query', '--parquet', out, q.name, ...paramsOf(q.name), '--format', 'json']),
        runCliAsync(['query', '--server', served.url, '--token-file', tokenFile, q.name, ...paramsOf(q.name), '--format', 'json']),
      ]);
      expect(direct.code, direct.stderr).toBe(0);
      expect(remote.code, remote.stderr).toBe(0);
      expect(JSON.parse(remote.stdout), q.name).toEqual(JSON.parse(direct.stdout));
    }
  });

  it('keeps its token in <dir>.token, never prints it, and leaves no info file', () => {
    expect(served.stderr()).toContain(`serving ${out} (read-only)`);
    expect(served.stderr()).toContain(tokenFile);
    expect(served.stderr()).not.toContain(token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(existsSync(`${out}.server.json`)).toBe(false);
  });

  it('says an export holds no alerts, and finds a principal in its events', async () => {
    const get = (path: string) => fetch(`${served.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    const alerts = await get('/api/alerts');
    expect(alerts.status).toBe(404);
    expect(await alerts.json()).toEqual({ code: 'not_found', error: expect.stringMatching(/no alerts here: this server reads an export folder/) });
    const principal = await get(`/api/principal?p=${encodeURIComponent(PARAMS['principal-activity']!.principal!)}`);
    expect(principal.status).toBe(200);
    const view = await principal.json() as { principal: { names: string[] }; timeline: { rows: unknown[]; total: number } };
    expect(view.principal.names).toContain(PARAMS['principal-activity']!.principal);
    expect(view.timeline.total).toBeGreaterThan(0);
    expect(view.timeline.rows.length).toBeGreaterThan(0);
  });

  it('reads a folder that mixes files from before the fact columns', async () => {
    const { mixed } = await exportsBeforeFacts();
    const mixedToken = join(tmp.dir, 'mixed.token');
    await withServe(['--parquet', mixed, '--port', '0', '--token-file', mixedToken], async (both) => {
      for (const q of listSavedQueries().filter((s) => !NOT_EXPORTED.has(s.name) && FACT_COLUMNS.some(([n]) => new RegExp(`\\b${n}\\b`).test(s.sql)))) {
        const [current, remote] = await Promise.all([
          runCliAsync(['query', '--parquet', out, q.name, ...paramsOf(q.name), '--format', 'json']),
          runCliAsync(['query', '--server', both.url, '--token-file', mixedToken, q.name, ...paramsOf(q.name), '--format', 'json']),
        ]);
        expect(remote.code, remote.stderr).toBe(0);
        expect(JSON.parse(remote.stdout), q.name).toEqual(JSON.parse(current.stdout));
      }
    });
  });

  it('shows the days and categories exported after it started', async () => {
    // The export without one category; then another day of a category it has, and the category.
    const growing = join(tmp.dir, 'export-growing');
    const [kept, late] = readdirSync(out).filter((c) => c.startsWith('category=')).sort();
    cpSync(out, growing, { recursive: true, filter: (from) => from !== join(out, late!) });
    const token = join(tmp.dir, 'growing.token');
    const count = async (...via: string[]) => {
      const r = await runCliAsync(['query', ...via, 'SELECT count(*) AS n FROM events', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Array<{ n: number }>)[0]!.n;
    };
    await withServe(['--parquet', growing, '--port', '0', '--token-file', token], async (later) => {
      // What the server counts, and what a fresh listing of the folder counts.
      const both = () => Promise.all([count('--server', later.url, '--token-file', token), count('--parquet', growing)]);
      const [before, listedBefore] = await both();
      expect(before).toBe(listedBefore);
      const day = readdirSync(join(growing, kept!))[0]!;
      cpSync(join(growing, kept!, day), join(growing, kept!, 'date=2099-01-01'), { recursive: true });
      const [withDay, listedWithDay] = await both();
      expect(withDay).toBeGreaterThan(before);
      expect(withDay).toBe(listedWithDay);
      cpSync(join(out, late!), join(growing, late!), { recursive: true });
      const [withCategory, listedWithCategory] = await both();
      expect(withCategory).toBeGreaterThan(withDay);
      expect(withCategory).toBe(listedWithCategory);
    });
  });

  it('reads a category linked in from another folder', async () => {
    const linked = join(tmp.dir, 'export-linked');
    const moved = join(tmp.dir, 'elsewhere');
    cpSync(out, linked, { recursive: true });
    const category = readdirSync(linked).find((c) => c.startsWith('category='))!;
    mkdirSync(moved);
    renameSync(join(linked, category), join(moved, category));
    symlinkSync(join(moved, category), join(linked, category));
    // Given with a trailing slash: the token file is still <dir>.token, beside the folder.
    const token = `${linked}.token`;
    await withServe(['--parquet', `${linked}/`, '--port', '0'], async (server) => {
      expect(server.stderr()).toContain(token);
      const sql = 'SELECT category, count(*) AS n FROM events GROUP BY ALL ORDER BY category';
      const [remote, direct] = await Promise.all([
        runCliAsync(['query', '--server', server.url, '--token-file', token, sql, '--format', 'json']),
        runCliAsync(['query', '--parquet', out, sql, '--format', 'json']),
      ]);
      expect(remote.code, remote.stderr).toBe(0);
      expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(direct.stdout));
    });
  });

  it('refuses --db beside --parquet, and a folder with no export', () => {
    const twice = runCli(['serve', '--parquet', out, '--db', db, '--port', '0']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`--parquet ${out} serves an export folder: give it without --db`);
    const none = runCli(['serve', '--parquet', join(tmp.dir, 'nothing'), '--port', '0']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--parquet .*nothing: no auditlake export there/);
  });
});
