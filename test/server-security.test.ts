/**
 * What a security review of the server found, each against the real thing: a DuckDB file opened
 * read-only as `serve --db` opens it, with the server in this process on 127.0.0.1, and `serve
 * --parquet` as a subprocess over a real export.
 *
 * - SQL text inside a statement (`json_serialize_plan`) is refused, and the read-only server's
 *   DuckDB configuration is locked, so nothing that slipped through could change a setting.
 * - `serve --parquet`'s DuckDB has the database server's memory cap, and every reader a cap on
 *   what it spills to disk.
 * - The scripts' API takes the bearer token only; console sessions are server-side, expire and
 *   end at sign-out, and the console's API answers its own page only.
 * - An answer gathered in memory stops at a byte budget with 413, and the server lives on.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/server/http.js';
import { Metrics } from '../src/server/metrics.js';
import { Store } from '../src/store/duckdb.js';
import type { SqlReader } from '../src/store/reader.js';
import { tempDir } from './support/db.js';
import { withServe } from './support/serve.js';

const TOKEN = 'sec'.repeat(8) + '0123456789abcdef';
const BUDGET = 8 * 1024 * 1024;
const SESSION_MS = 2_000;
/** The settings a statement that reaches DuckDB's configuration would read. */
const PLAN_LEAK = "SELECT json_serialize_plan('SELECT current_setting(''allowed_directories'') a, current_setting(''temp_directory'') b', optimize := true) AS p";

const tmp = tempDir('auditlake-security-');
const db = join(tmp.dir, 'sec.duckdb');
const exported = join(tmp.dir, 'archive');
let store: Store;
let reader: SqlReader;
let server: RunningServer;

beforeAll(async () => {
  const writer = await Store.open(db);
  try {
    await writer.execute(`INSERT INTO events (event_id, time, ingested_at, source, category, operation, result, principal_type, principal_name)
      SELECT 'e' || range, TIMESTAMPTZ '2025-11-14 10:00:00+00' + to_minutes(range::INTEGER), now(), 'test', 'AuditEvent', 'SecretGet', 'success', 'user', 'p' || (range % 7)
      FROM range(300)`);
    await writer.exportParquet(exported, Date.parse('2025-11-14T00:00:00Z'), Date.parse('2025-11-15T00:00:00Z'));
  } finally {
    writer.close();
  }
  // As `serve --db` opens it.
  store = await Store.open(db, { readOnly: true });
  reader = await store.reader();
  server = await startServer({
    token: TOKEN, reader, metrics: new Metrics(), sessionTtlMs: SESSION_MS,
    limits: { queryTimeoutMs: 20_000, maxRows: 100_000, maxAnswerBytes: BUDGET },
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  reader?.close();
  store?.close();
  tmp.cleanup();
});

const bearer = { Authorization: `Bearer ${TOKEN}` };

function post(path: string, body: unknown, headers: Record<string, string> = bearer): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Settings of the reader's DuckDB, read past the guard (the reader alone does not refuse current_setting). */
async function settings(r: SqlReader, names: string[]): Promise<Record<string, unknown>> {
  const sql = `SELECT ${names.map((n) => `current_setting('${n}') AS "${n}"`).join(', ')}`;
  const { rows } = await r.select(sql, {}, { timeoutMs: 5_000, maxRows: 1 });
  return Object.fromEntries(names.map((n, i) => [n, rows[0]![i]]));
}

describe('SQL text inside a statement', () => {
  it('refuses json_serialize_plan, which folded the server\'s settings into its answer', async () => {
    for (const path of ['/sql', '/api/sql']) {
      const r = await post(path, { sql: PLAN_LEAK });
      const body = await r.text();
      expect(r.status, path).toBe(403);
      expect(body).toContain('function json_serialize_plan is not allowed');
      expect(body).not.toContain(tmp.dir);
    }
    // The file-existence oracle: a path inside the allowed folders was opened and sniffed.
    const r = await post('/sql', { sql: `SELECT json_serialize_plan('SELECT * FROM read_csv(''${db}'')')` });
    expect(r.status).toBe(403);
  });

  it('locks the read-only server\'s DuckDB configuration, while statements still run in UTC', async () => {
    await expect(store.execute("SET GLOBAL memory_limit = '16GB'")).rejects.toThrow(/configuration has been locked/);
    await expect(store.execute('SET threads = 64')).rejects.toThrow(/configuration has been locked/);
    await expect(store.execute("SET GLOBAL enable_external_access = true")).rejects.toThrow(/locked|Cannot change/);
    const r = await post('/sql', { sql: "SELECT TIMESTAMPTZ '2025-11-14 12:00:00+02' AS t, count(*) AS n FROM events" });
    expect(r.status).toBe(200);
    expect((await r.json() as { rows: unknown[][] }).rows).toEqual([['2025-11-14T10:00:00.000Z', 300]]);
    expect(await settings(reader, ['memory_limit', 'TimeZone'])).toEqual({ memory_limit: '488.2 MiB', TimeZone: 'UTC' });
  });
});

describe('run\'s server', () => {
  it('locks the configuration of a writable store too, which still delivers and exports on connections opened after', async () => {
    const path = join(tmp.dir, 'run.duckdb');
    const writable = await Store.open(path);
    try {
      await writable.reader();
      await expect(writable.execute('SET threads = 64')).rejects.toThrow(/configuration has been locked/);
      // The outbox's and an export's connections are opened later, and set nothing of their own.
      const outbox = await writable.outbox();
      expect(await outbox.pending(['pager'])).toEqual([]);
      outbox.close();
      const archive = await writable.archive();
      archive.close();
      expect((await writable.query("SELECT current_setting('TimeZone') AS tz")).rows).toEqual([['UTC']]);
    } finally {
      writable.close();
    }
  });
});

describe('DuckDB\'s memory and disk', () => {
  it('caps what a read-only database\'s reader spills, beside the database', async () => {
    expect(await settings(reader, ['max_temp_directory_size', 'temp_directory'])).toEqual({ max_temp_directory_size: '3.7 GiB', temp_directory: `${db}.tmp` });
  });

  it('gives serve --parquet\'s DuckDB the database server\'s memory cap, a spill folder of its own with the same cap, and a locked configuration', async () => {
    const parquet = await Store.overParquet(exported, { longLived: true });
    const r = await parquet.reader();
    try {
      const s = await settings(r, ['memory_limit', 'max_temp_directory_size', 'temp_directory']);
      expect(s).toMatchObject({ memory_limit: '488.2 MiB', max_temp_directory_size: '3.7 GiB' });
      expect(String(s.temp_directory)).toMatch(new RegExp(`^${tmpdir()}/auditlake-spill-${process.pid}-[0-9a-f]{8}$`));
      await expect(parquet.execute("SET GLOBAL memory_limit = '16GB'")).rejects.toThrow(/configuration has been locked/);
      // The export's file list is a session variable each statement's connection is given: still set under the lock.
      expect((await r.select('SELECT count(*)::INTEGER FROM events', {}, { timeoutMs: 5_000, maxRows: 1 })).rows).toEqual([[300]]);
    } finally {
      r.close();
      parquet.close();
    }
  });

  it('serve --parquet refuses json_serialize_plan too', async () => {
    await withServe(['--parquet', exported, '--port', '0'], async ({ url }) => {
      const token = readFileSync(`${exported}.token`, 'utf8').trim();
      const ask = (sql: string) => fetch(`${url}/sql`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ sql }) });
      const leak = await ask("SELECT json_serialize_plan('SELECT getvariable(''auditlake_export_files'') f', optimize := true) AS p");
      expect(leak.status).toBe(403);
      expect(await leak.text()).not.toContain('.parquet');
      const count = await ask('SELECT count(*) AS n FROM events');
      expect((await count.json() as { rows: unknown[][] }).rows).toEqual([[300]]);
    });
  }, 60_000);
});

describe('console sessions', () => {
  async function signIn(): Promise<string> {
    const r = await fetch(`${server.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    expect(r.status).toBe(303);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`; Max-Age=${SESSION_MS / 1000}(;|$)`));
    return cookie.split(';')[0]!;
  }
  const ownPage = { 'Sec-Fetch-Site': 'same-origin' };
  const queries = (headers: Record<string, string>) => fetch(`${server.url}/api/queries`, { headers });

  it('are random ids: each sign-in its own, none of them the token\'s', async () => {
    const [a, b] = [await signIn(), await signIn()];
    expect(a).not.toBe(b);
    expect(a.split('=')[0]).toBe(b.split('=')[0]);
    expect((await queries({ Cookie: a, ...ownPage })).status).toBe(200);
    expect((await queries({ Cookie: b, ...ownPage })).status).toBe(200);
  });

  it('do not open the scripts\' API: /sql, /metrics and /readyz take the bearer token only', async () => {
    const cookie = await signIn();
    for (const type of ['application/json', 'text/plain']) {
      const r = await post('/sql', { sql: 'SELECT 1' }, { Cookie: cookie, ...ownPage, 'Content-Type': type });
      expect(r.status, type).toBe(401);
      expect(await r.text()).toContain('does not take the console\'s session cookie');
    }
    expect((await fetch(`${server.url}/metrics`, { headers: { Cookie: cookie, ...ownPage } })).status).toBe(401);
    expect((await fetch(`${server.url}/readyz`, { headers: { Cookie: cookie, ...ownPage } })).status).toBe(401);
    expect((await post('/sql', { sql: 'SELECT 1' })).status).toBe(200);
  });

  it('answer the console\'s own page only, not a page on another local port', async () => {
    const cookie = await signIn();
    const port = new URL(server.url).port;
    const otherPort = `http://127.0.0.1:${Number(port) + 1}`;
    // What a browser sends for a page on another port of 127.0.0.1: the same site, another origin.
    const fromOther = { Cookie: cookie, 'Sec-Fetch-Site': 'same-site', Origin: otherPort };
    const blind = await post('/api/sql', { sql: 'SELECT count(*) FROM range(10)' }, { ...fromOther, 'Content-Type': 'application/json' });
    expect(blind.status).toBe(403);
    expect(await blind.json()).toMatchObject({ code: 'forbidden' });
    expect((await queries(fromOther)).status).toBe(403);
    // A browser without Sec-Fetch-Site: its Origin decides.
    expect((await post('/api/sql', { sql: 'SELECT 1' }, { Cookie: cookie, Origin: otherPort })).status).toBe(403);
    expect((await post('/api/sql', { sql: 'SELECT 1' }, { Cookie: cookie, Origin: server.url })).status).toBe(200);
    expect((await post('/api/sql', { sql: 'SELECT 1' }, { Cookie: cookie, ...ownPage })).status).toBe(200);
    // Sign-out from another page is refused too; the session still works.
    expect((await post('/logout', {}, fromOther)).status).toBe(403);
    expect((await queries({ Cookie: cookie, ...ownPage })).status).toBe(200);
  });

  it('end at sign-out: the cookie no longer works, other sessions do', async () => {
    const [ending, other] = [await signIn(), await signIn()];
    const out = await post('/logout', {}, { Cookie: ending, ...ownPage });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await queries({ Cookie: ending, ...ownPage })).status).toBe(401);
    expect((await queries({ Cookie: other, ...ownPage })).status).toBe(200);
  });

  it('expire: a session is refused once its time is up', async () => {
    const cookie = await signIn();
    expect((await queries({ Cookie: cookie, ...ownPage })).status).toBe(200);
    await new Promise((r) => setTimeout(r, SESSION_MS + 200));
    expect((await queries({ Cookie: cookie, ...ownPage })).status).toBe(401);
  });
});

describe('answers held in the server\'s memory', () => {
  const tooLarge = async (r: Response) => {
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ code: 'too_large', error: expect.stringContaining('the answer is larger than 8 MB') });
  };

  it.each([
    ['a STRUCT (POST /sql gathers what DuckDB cannot write as JSON)', '/sql', "SELECT {'a': repeat('x', 1000000)} AS s FROM range(100)", 'json'],
    ['a BLOB', '/sql', "SELECT repeat('x', 1000000)::BLOB AS b FROM range(100)", 'json'],
    ['long text, streamed (each chunk must fit)', '/sql', "SELECT repeat('x', 3000000) AS t FROM range(5)", 'json'],
    ['the console\'s CSV', '/api/sql', "SELECT repeat('x', 100000) AS t FROM range(5000)", 'csv'],
    ['the console\'s packed text columns', '/api/sql', "SELECT repeat('x', 200000) AS a, 'b' AS b, range AS i FROM range(100)", 'json'],
    ['text beside a LIST', '/api/sql', "SELECT [repeat('x', 1000000)] AS l, 'a' AS a, 'b' AS b FROM range(100)", 'json'],
  ])('stops %s at the budget with 413', async (_, path, sql, format) => {
    await tooLarge(await post(path, path === '/sql' ? { sql } : { sql, format }));
  });

  it('still streams an answer larger than the budget a chunk at a time, and answers after stopping one', async () => {
    await tooLarge(await post('/sql', { sql: "SELECT {'a': repeat('x', 1000000)} AS s FROM range(100)" }));
    const r = await post('/sql', { sql: "SELECT repeat('x', 1000) AS t FROM range(20000)" });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { rows: unknown[][]; truncated: boolean };
    expect(body.rows).toHaveLength(20000);
    expect(body.truncated).toBe(false);
  });
});
