/**
 * Packed rows must be the rows DuckDB's own conversion gives, value for value and in order,
 * whatever the text holds; statements that cannot be packed are left alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTypeId, JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from './duckdb.js';
import { preparePacked, unpackChunk } from './packed-rows.js';

let conn: DuckDBConnection;

beforeAll(async () => {
  conn = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
  await conn.run(`CREATE TABLE t AS
    SELECT i, 'row ' || i AS name, ['a', NULL, 'c'][1 + i % 3] AS maybe, to_timestamp(1700000000 + i) AS seen_at, [i, i + 1] AS pair,
           CASE i % 7 WHEN 0 THEN 'quote " and \\ backslash' WHEN 1 THEN 'line' || chr(10) || 'break' || chr(1) || chr(9) WHEN 2 THEN '雪 ❄️ 𝄞'
                      WHEN 3 THEN '' WHEN 4 THEN repeat('long ', 500) WHEN 5 THEN '{"a": [1, 2]}' ELSE 'null' END AS tricky,
           ('{"k": ' || i || '}')::JSON AS doc
    FROM range(10000) r(i)`);
});
afterAll(() => conn.closeSync());

/** The packed path as Store.query and the reader take it. */
async function packed(sql: string, params: Record<string, string> = {}): Promise<unknown[][] | undefined> {
  const packed = await preparePacked(conn, sql, await conn.prepare(sql), params, DuckDBTypeId);
  if (!packed) return undefined;
  const result = await packed.statement.run();
  const rows: unknown[][] = [];
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) rows.push(...unpackChunk(chunk, packed.plan, JSDuckDBValueConverter));
  return rows;
}

const plain = async (sql: string, params: Record<string, string> = {}) => (await conn.runAndReadAll(sql, params)).getRowsJS();

describe('packed rows', () => {
  it('equal the plain conversion over many chunks: NULLs, quotes, control characters, non-BMP text, JSON, repeated names', async () => {
    const sql = `SELECT maybe, i, name, seen_at, tricky, pair, doc, name AS name, tricky || '✓' AS tricky2
      FROM t WHERE i >= $from::INTEGER AND name <> $skip ORDER BY tricky, i DESC -- a trailing comment`;
    const params = { skip: 'row 5', from: '3' };
    const got = await packed(sql, params);
    expect(got).toBeDefined();
    expect(got!.length).toBe(9996);
    expect(got).toEqual(await plain(sql, params));
  });

  it('leaves alone what it cannot pack: fewer than two text columns, a parameter-typed column, a trailing semicolon is fine', async () => {
    expect(await packed('SELECT i, name FROM t')).toBeUndefined();
    expect(await packed('SELECT $p AS p, name, tricky FROM t', { p: 'x' })).toBeUndefined();
    expect(await packed('SELECT name, tricky FROM t ORDER BY i LIMIT 3;')).toEqual(await plain('SELECT name, tricky FROM t ORDER BY i LIMIT 3'));
  });

  it('serves Store.query, which also still runs what is not a SELECT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlake-packed-'));
    try {
      const store = await Store.open(join(dir, 'p.duckdb'));
      const r = await store.query("SELECT 'a' AS x, NULL::VARCHAR AS y, 1 AS n, '{\"j\": 1}'::JSON AS j UNION ALL SELECT 'b', 'c', 2, NULL ORDER BY n");
      expect(r.columns).toEqual([{ name: 'x', type: 'VARCHAR' }, { name: 'y', type: 'VARCHAR' }, { name: 'n', type: 'INTEGER' }, { name: 'j', type: 'JSON' }]);
      expect(r.rows).toEqual([['a', null, 1, '{"j": 1}'], ['b', 'c', 2, null]]);
      expect((await store.query('PRAGMA version')).rows.length).toBe(1);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
