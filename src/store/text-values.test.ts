/**
 * textValues must give what @duckdb/node-api's own reading gives, value for value, whether a
 * chunk's long strings lie one after another (computed text) or apart (text read from a table),
 * and copy a run of abutting strings out of DuckDB in one call.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textValues } from './text-values.js';
import { resultChunks } from '../../test/support/result-chunks.js';

let conn: DuckDBConnection;

beforeAll(async () => {
  conn = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
  await conn.run(`CREATE TABLE t AS
    SELECT i,
           CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'short ' || (i % 100) WHEN 3 THEN 'exactly12byt'
                      WHEN 4 THEN 'thirteen byte' WHEN 5 THEN '雪 ❄️ 𝄞 across a multi-byte run ' || i
                      WHEN 6 THEN repeat('long ', 300) || i ELSE 'row ' || i || ' with a tail past twelve bytes' END AS text
    FROM range(10000) r(i)`);
});
afterAll(() => conn.closeSync());

const chunksOf = (sql: string) => resultChunks(conn, sql);

/** Each chunk read both ways: ours, then node-api's (which caches, so it goes second). */
async function bothWays(sql: string, column = 0): Promise<{ ours: (string | null)[]; theirs: unknown[] }> {
  const chunks = await chunksOf(sql);
  const ours = chunks.flatMap((chunk) => textValues(chunk, column));
  const theirs = chunks.flatMap((chunk) => chunk.getColumnValues(column));
  return { ours, theirs };
}

describe('textValues', () => {
  it('reads computed text, whose long strings abut, as node-api does: NULLs, empty, 12 and 13 bytes, multi-byte, 1.5 KB', async () => {
    const { ours, theirs } = await bothWays("SELECT text || '' AS text, i FROM t ORDER BY i DESC");
    expect(ours).toHaveLength(10000);
    expect(ours).toEqual(theirs);
    expect(ours.filter((v) => v === null)).toHaveLength(1112);
  });

  it('reads text as stored, whose strings lie apart, and a column other than the first', async () => {
    const { ours, theirs } = await bothWays('SELECT i, text FROM t WHERE i % 3 <> 1', 1);
    expect(ours).toHaveLength(6667);
    expect(ours).toEqual(theirs);
  });

  it('copies a run of abutting strings out of DuckDB in one call', async () => {
    const copies = { count: 0 };
    const chunks = await chunksOf("SELECT 'row ' || i || ' with a tail past twelve bytes' AS text FROM range(5000) r(i) ORDER BY i");
    const values = chunks.flatMap((chunk) => textValues(chunk, 0, copies));
    expect(values[4999]).toBe('row 4999 with a tail past twelve bytes');
    // 5,000 long strings, which node-api copies one call each.
    expect(copies.count).toBeGreaterThan(0);
    expect(copies.count).toBeLessThan(500);
  });
});
