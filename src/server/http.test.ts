import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../store/duckdb.js';
import type { SqlReader } from '../store/reader.js';
import { startServer, type Logger, type RunningServer } from './http.js';
import { Metrics } from './metrics.js';

const TOKEN = 'a'.repeat(24) + 'f00d5eed';
const LIMITS = { queryTimeoutMs: 1_000, maxRows: 100 };

let dir: string;
let store: Store;
let reader: SqlReader;
let metrics: Metrics;
let server: RunningServer;
let ready = false;
const logged: Array<{ level: string; obj: object; msg: string }> = [];
const log: Logger = {
  info: (obj, msg) => logged.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auditlake-http-'));
  store = await Store.open(join(dir, 'http.duckdb'));
  await store.execute(`INSERT INTO rejects (received_at, source, reason, raw) SELECT to_timestamp(1700000000 + range), 'test', 'reason ' || (range % 3), '{}' FROM range(250)`);
  reader = await store.reader();
  metrics = new Metrics();
  server = await startServer({ token: TOKEN, reader, metrics, isReady: () => ready, limits: LIMITS, log, maxConcurrentQueries: 1, maxBodyBytes: 64 * 1024 });
});

afterAll(async () => {
  await server.close();
  reader.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = (token = TOKEN) => ({ Authorization: `Bearer ${token}` });

function sql(body: unknown, headers: Record<string, string> = auth()): Promise<Response> {
  return fetch(`${server.url}/sql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('the HTTP server', () => {
  it('listens on loopback on an ephemeral port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /healthz without a token', async () => {
    const r = await fetch(`${server.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it.each([
    ['no token', {}],
    ['a wrong token', auth('b'.repeat(32))],
    ['a token that only starts right', auth(TOKEN.slice(0, 10))],
    ['the token not as a bearer', { Authorization: `Basic ${TOKEN}` }],
  ])('refuses /sql, /metrics and /readyz with %s (401)', async (_, headers: Record<string, string>) => {
    const s = await sql({ sql: 'SELECT 1' }, headers);
    expect(s.status).toBe(401);
    expect(s.headers.get('www-authenticate')).toBe('Bearer');
    expect(await s.json()).toMatchObject({ code: 'unauthorized' });
    expect((await fetch(`${server.url}/metrics`, { headers })).status).toBe(401);
    expect((await fetch(`${server.url}/readyz`, { headers })).status).toBe(401);
  });

  it('says ready only when the service is', async () => {
    ready = false;
    expect((await fetch(`${server.url}/readyz`, { headers: auth() })).status).toBe(503);
    ready = true;
    expect((await fetch(`${server.url}/readyz`, { headers: auth() })).status).toBe(200);
  });

  it('answers a SELECT with columns, rows and bound parameters', async () => {
    const r = await sql({ sql: 'SELECT reason, count(*) AS n, min(received_at) AS first FROM rejects WHERE source = $source GROUP BY reason ORDER BY reason', params: { source: 'test' } });
    expect(r.status).toBe(200);
    const body = await r.json() as { columns: unknown; rows: unknown[][]; truncated: boolean };
    expect(body.columns).toEqual([
      { name: 'reason', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }, { name: 'first', type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
    expect(body.rows).toEqual([
      ['reason 0', 84, '2023-11-14T22:13:20.000Z'], ['reason 1', 83, '2023-11-14T22:13:21.000Z'], ['reason 2', 83, '2023-11-14T22:13:22.000Z'],
    ]);
    expect(body.truncated).toBe(false);
  });

  it('cuts a result at the row limit and says so; a client may ask for fewer', async () => {
    const r = await (await sql({ sql: 'SELECT * FROM rejects' })).json() as { rows: unknown[]; truncated: boolean };
    expect(r.rows).toHaveLength(100);
    expect(r.truncated).toBe(true);
    const few = await (await sql({ sql: 'SELECT * FROM range(1000)', maxRows: 7 })).json() as { rows: unknown[]; truncated: boolean };
    expect(few.rows).toHaveLength(7);
    expect(few.truncated).toBe(true);
    const more = await (await sql({ sql: 'SELECT * FROM range(1000)', maxRows: 5000 })).json() as { rows: unknown[] };
    expect(more.rows).toHaveLength(100);
  });

  it('interrupts a statement that runs past the time limit and says so', async () => {
    const started = Date.now();
    const r = await sql({ sql: 'SELECT count(*) FROM range(1000000000) a, range(1000000000) b' });
    expect(Date.now() - started).toBeLessThan(LIMITS.queryTimeoutMs + 1_000);
    expect(r.status).toBe(408);
    expect(await r.json()).toEqual({ code: 'timeout', error: 'the query ran past the time limit of 1 s and was interrupted' });
  });

  it('refuses a statement that is not a plain SELECT (403), saying why', async () => {
    const r = await sql({ sql: 'DELETE FROM rejects' });
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({ code: 'refused', error: 'only SELECT statements are allowed (got DELETE)' });
    const f = await sql({ sql: "SELECT * FROM read_csv('/etc/passwd')" });
    expect(f.status).toBe(403);
    expect(((await f.json()) as { error: string }).error).toContain('table function read_csv is not allowed');
    const count = await (await sql({ sql: 'SELECT count(*) AS n FROM rejects' })).json() as { rows: unknown[][] };
    expect(count.rows).toEqual([[250]]);
  });

  it('answers SQL errors with DuckDB\'s message (400)', async () => {
    const r = await sql({ sql: 'SELECT no_such_column FROM rejects' });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ code: 'query_failed', error: expect.stringContaining('no_such_column') });
    const syntax = await sql({ sql: 'SELEC 1' });
    expect(syntax.status).toBe(400);
  });

  it('refuses malformed requests', async () => {
    const notJson = await fetch(`${server.url}/sql`, { method: 'POST', headers: auth(), body: 'SELECT 1' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'bad_request', error: expect.stringContaining('not JSON') });
    const noSql = await sql({ query: 'SELECT 1' });
    expect(noSql.status).toBe(400);
    const badParam = await sql({ sql: 'SELECT $x', params: { 'x; DROP': 1 } });
    expect(badParam.status).toBe(400);
    const big = await sql({ sql: `SELECT '${'x'.repeat(70 * 1024)}'` });
    expect(big.status).toBe(413);
    expect((await fetch(`${server.url}/sql`, { headers: auth() })).status).toBe(405);
    expect((await fetch(`${server.url}/nope`, { headers: auth() })).status).toBe(404);
  });

  it('answers 429 while the allowed number of statements is running', async () => {
    const slow = sql({ sql: 'SELECT count(*) FROM range(1000000000) a, range(1000000000) b' });
    await new Promise((r) => setTimeout(r, 200));
    const busy = await sql({ sql: 'SELECT 1' });
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect((await slow).status).toBe(408);
    expect((await sql({ sql: 'SELECT 1' })).status).toBe(200);
  });

  it('streams a large answer as it is read; a client that leaves mid-answer frees its statement slot', async () => {
    // A server of its own, with room for a large answer, and still one statement at a time.
    const roomy = await startServer({ token: TOKEN, reader, metrics, isReady: () => true, limits: { queryTimeoutMs: 10_000, maxRows: 1_000_000 }, log, maxConcurrentQueries: 1 });
    try {
      const big = { sql: "SELECT i, repeat('x', 200) AS pad FROM range(200000) t(i) ORDER BY i" };
      const whole = await fetch(`${roomy.url}/sql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth() }, body: JSON.stringify(big) });
      expect(whole.headers.get('transfer-encoding')).toBe('chunked');
      const text = await whole.text();
      // One JSON document, a row per line between the head and the tail (what queryServer reads as it arrives).
      const lines = text.split('\n');
      expect(lines).toHaveLength(200002);
      expect(lines[0]).toBe('{"columns":[{"name":"i","type":"BIGINT"},{"name":"pad","type":"VARCHAR"}],"rows":[');
      expect(lines[1]).toBe(`[0,"${'x'.repeat(200)}"]`);
      expect(lines[2]).toBe(`,[1,"${'x'.repeat(200)}"]`);
      expect(lines.at(-1)).toBe('],"truncated":false}');
      const body = JSON.parse(text) as { columns: unknown; rows: unknown[][]; truncated: boolean };
      expect(body.columns).toEqual([{ name: 'i', type: 'BIGINT' }, { name: 'pad', type: 'VARCHAR' }]);
      expect(body.rows.map((r) => r[0])).toEqual([...Array(200000).keys()]);
      expect(body.truncated).toBe(false);

      // Read the first bytes of the same answer (~45 MB), then hang up.
      await new Promise<void>((resolve, reject) => {
        const req = request(`${roomy.url}/sql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth() } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end(JSON.stringify(big));
      });
      // The slot comes free: the next statement is answered, not refused as busy (429).
      let status = 0;
      for (const deadline = Date.now() + 5_000; Date.now() < deadline && status !== 200; await new Promise((r) => setTimeout(r, 50))) {
        status = (await fetch(`${roomy.url}/sql`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...auth() }, body: JSON.stringify({ sql: 'SELECT 1' }) })).status;
      }
      expect(status).toBe(200);
      expect(logged.some((l) => l.msg === 'Answer cut short.')).toBe(true);
    } finally {
      await roomy.close();
    }
  });

  it('serves valid Prometheus text with the pipeline\'s metrics', async () => {
    metrics.recordCommit({ records: 10, stored: 7, duplicates: 2, rejected: 1, latencyMs: 350 });
    metrics.alertRaised('high');
    metrics.alertRaised('low', 2);
    metrics.alertSuppressed('high', 3);
    metrics.setLag('eventhubs.audit', '3', 42);
    const r = await fetch(`${server.url}/metrics`, { headers: auth() });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await r.text();
    expectValidPrometheusText(text);
    const sample = (line: string) => expect(text.split('\n')).toContain(line);
    sample('auditlake_records_in_total 10');
    sample('auditlake_records_stored_total 7');
    sample('auditlake_duplicates_total 2');
    sample('auditlake_records_rejected_total 1');
    sample('auditlake_alerts_total{severity="high"} 1');
    sample('auditlake_alerts_total{severity="low"} 2');
    sample('auditlake_alerts_suppressed_total{severity="high"} 3');
    sample('auditlake_partition_lag{source="eventhubs.audit",partition="3"} 42');
    sample('auditlake_batch_latency_seconds_bucket{le="0.5"} 1');
    sample('auditlake_batch_latency_seconds_count 1');
    expect(text).toMatch(/^auditlake_last_commit_timestamp_seconds \d{10}(\.\d+)?$/m);
    expect(text).toMatch(/^auditlake_sql_queries_total\{outcome="refused"\} [1-9]/m);
    expect(text).toMatch(/^auditlake_sql_queries_total\{outcome="timeout"\} [1-9]/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('never logs the token or parameter values, and logs statements by length only', async () => {
    // The whole answer: the statement is logged once its rows are written.
    await (await sql({ sql: 'SELECT $secret AS s', params: { secret: 'hunter2-param-value' } })).text();
    const all = JSON.stringify(logged);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('hunter2-param-value');
    expect(all).not.toContain('SELECT $secret');
    expect(logged.filter((l) => l.msg === 'SQL answered.').at(-1)?.obj).toMatchObject({ sqlChars: 19, params: 1, rows: 1 });
    expect(logged.some((l) => l.msg === 'Request without a valid token refused.')).toBe(true);
  });
});

/** Prometheus text exposition 0.0.4: HELP/TYPE comments, then `name{labels} value` samples. */
function expectValidPrometheusText(text: string): void {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      if (comment[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(comment[3]);
        types.set(comment[2]!, comment[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)( \d+)?$/.exec(line);
    expect(m, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const name = m![1]!;
    const family = [...types.keys()].find((t) => name === t || name.startsWith(`${t}_`));
    expect(family, `sample ${name} without a # TYPE`).toBeDefined();
  }
}
