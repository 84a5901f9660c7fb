/**
 * Rows DuckDB writes as JSON must parse to exactly what the JS path sends (each value through
 * `plain`), for every type it takes on; other types fall back to the JS path.
 */
import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plain } from '../cli/output.js';
import { rowJson } from '../server/statements.js';
import { jsonRowsSql } from './json-rows.js';
import type { QueryResult } from './duckdb.js';
import { openReader, type ReadLimits, type SqlParams, type SqlReader } from './reader.js';

let instance: DuckDBInstance;
let reader: SqlReader;
const limits = { timeoutMs: 30_000, maxRows: 1_000_000 };

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE t AS
    SELECT i,
      CASE i % 6 WHEN 0 THEN 'quote " and \\ backslash' WHEN 1 THEN 'line' || chr(10) || chr(1) || chr(9) || chr(8232)
                 WHEN 2 THEN '雪 ❄️ 𝄞' WHEN 3 THEN '' WHEN 4 THEN NULL ELSE '{"a": [1, 2]}' END AS text,
      ('{"k": ' || i || ', "s": "x\\"y"}')::JSON AS doc,
      i % 3 = 0 AS flag,
      (i % 256 - 128)::TINYINT AS tiny, i::INTEGER AS int32, (i * 1000003 % 4294967296)::UINTEGER AS uint32,
      [0::BIGINT, 9007199254740991, 9007199254740992, -9223372036854775808, 42][1 + i % 5] AS big,
      (i % 7)::HUGEINT * 17014118346046923173168730371588410 AS huge,
      [1 / 3, 0.1, 1e300, 5e-324, -0.0, 'nan'::DOUBLE, 'inf'::DOUBLE, '-inf'::DOUBLE, 123456.789][1 + i % 9] AS dbl,
      (i / 7)::FLOAT AS flt,
      (i * 1.001)::DECIMAL(12, 3) AS dec,
      DATE '1969-12-25' + i::INTEGER AS day,
      TIMESTAMPTZ '1969-12-31 23:59:59.9995+00' + to_microseconds(i * 1234567) AS at_tz,
      TIMESTAMP '2025-11-14 09:12:03.640187' + to_seconds(i) AS at,
      (TIMESTAMP '2025-11-14 09:12:03' + to_seconds(i))::TIMESTAMP_MS AS at_ms,
      ['a', NULL, 'c "q"'][1:1 + i % 3] AS list,
      'sad'::ENUM ('sad', 'ok') AS mood,
      '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e'::UUID AS id
    FROM range(4100) r(i)
    UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`);
  conn.closeSync();
  reader = await openReader(instance, { restrictFileAccess: false });
});
afterAll(() => {
  reader?.close();
  instance.closeSync();
});

/** What the JS path sends: the reader's values through `plain`, then JSON.stringify, as a client parses them. */
async function viaJs(sql: string, params = {}): Promise<unknown[][]> {
  return JSON.parse(JSON.stringify((await reader.select(sql, params, limits)).rows.map((r) => r.map(plain)))) as unknown[][];
}

/** selectJson's answer gathered from its sink, with the size of each hand-over. */
async function selectJson(sql: string, params: SqlParams, readLimits: ReadLimits, toJson: (row: unknown[]) => string) {
  let columns: QueryResult['columns'] | undefined;
  const jsonRows: string[] = [];
  const handed: number[] = [];
  const { truncated } = await reader.selectJson(sql, params, readLimits, toJson, {
    begin: (c) => void (columns = c),
    rows: (texts) => {
      if (columns === undefined) throw new Error('rows before columns');
      handed.push(texts.length);
      jsonRows.push(...texts);
    },
  });
  return { columns: columns!, jsonRows, truncated, handed };
}

describe('rows DuckDB writes as JSON', () => {
  it('parse to what the JS path sends, for every type they take, NULLs included, over several chunks', async () => {
    const sql = "SELECT *, text AS text FROM t WHERE coalesce(text, '') <> $p ORDER BY i NULLS LAST";
    const written = await selectJson(sql, { p: 'absent' }, limits, () => 'not written by DuckDB');
    const rows = JSON.parse(`[${written.jsonRows.join(',')}]`) as unknown[][];
    expect(rows).toHaveLength(4101);
    // Handed over a DuckDB chunk at a time (2,048 rows), as the server writes them.
    expect(written.handed).toEqual([2048, 2048, 5]);
    expect(rows).toEqual(await viaJs(sql, { p: 'absent' }));
    expect(written.columns).toEqual((await reader.select(sql, { p: 'absent' }, limits)).columns);
    // The cases that differ from DuckDB's own JSON: NaN and infinities, unsafe integers, sub-millisecond times before 1970.
    const at = (name: string) => written.columns.findIndex((c) => c.name === name);
    expect(rows.slice(0, 9).map((r) => r[at('dbl')])).toEqual([1 / 3, 0.1, 1e300, 5e-324, 0, null, null, null, 123456.789]);
    expect(rows.slice(0, 5).map((r) => r[at('big')])).toEqual([0, 9007199254740991, '9007199254740992', '-9223372036854775808', 42]);
    expect(rows[0]![at('at_tz')]).toBe('1970-01-01T00:00:00.000Z');
    expect(rows[0]![at('doc')]).toBe('{"k": 0, "s": "x\\"y"}');
  });

  it('stop at the row limit and say so', async () => {
    const written = await selectJson('SELECT i, text FROM t ORDER BY i', {}, { ...limits, maxRows: 2500 }, () => 'not written by DuckDB');
    expect(written.jsonRows).toHaveLength(2500);
    expect(written.truncated).toBe(true);
    expect(written.jsonRows.map((r) => (JSON.parse(r) as unknown[])[0])).toEqual([...Array(2500).keys()]);
    expect(JSON.parse(written.jsonRows[2499]!)).toEqual([2499, (await viaJs('SELECT text FROM t WHERE i = 2499'))[0]![0]]);
  });

  it('leave types it does not write to the JS path, in the same statement', async () => {
    const conn = await instance.connect();
    const prepare = (sql: string) => conn.prepare(sql);
    expect(jsonRowsSql('SELECT $p AS typed_when_bound', await prepare('SELECT $p AS typed_when_bound'), DuckDBTypeId)).toBeUndefined();
    for (const sql of ["SELECT INTERVAL '1 day' AS d", "SELECT {'a': 1} AS s", 'SELECT [[1]] AS nested', 'SELECT [1, 2] AS ints', "SELECT '\\x00'::BLOB AS b"]) {
      expect(jsonRowsSql(sql, await prepare(sql), DuckDBTypeId), sql).toBeUndefined();
      const written = await selectJson(sql, {}, limits, rowJson);
      expect(written.jsonRows, sql).toEqual((await reader.select(sql, {}, limits)).rows.map(rowJson));
    }
    conn.closeSync();
  });
});
