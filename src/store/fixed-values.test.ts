/**
 * Fixed-width columns read from their bytes must be the values node-api's converter gives, for
 * every edge a type has, over several chunks; what a JS Date cannot hold is left to node-api.
 */
import { DuckDBInstance, DuckDBTypeId, JSDuckDBValueConverter, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedValues } from './fixed-values.js';
import { resultChunks } from '../../test/support/result-chunks.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await DuckDBInstance.create(':memory:')).connect();
  await conn.run("SET TimeZone = 'UTC'");
});
afterAll(() => conn.closeSync());

const chunksOf = (sql: string) => resultChunks(conn, sql);

/** Each column of `sql`'s result read both ways; returns how many values were compared. */
async function compare(sql: string): Promise<number> {
  let compared = 0;
  for (const chunk of await chunksOf(sql)) {
    for (let k = 0; k < chunk.columnCount; k++) {
      const typeId = chunk.getColumnVector(k).type.typeId;
      const direct = fixedValues(chunk, k, typeId, DuckDBTypeId);
      expect(direct, `column ${k} (type ${typeId}) is read directly`).toBeDefined();
      expect(direct).toEqual(chunk.convertColumnValues(k, JSDuckDBValueConverter));
      compared += direct!.length;
    }
  }
  return compared;
}

describe('fixedValues', () => {
  it('gives node-api\'s values at every edge: NULLs, signs, extremes, times before 1970 and past 2255, sub-millisecond times', async () => {
    const edges = await compare(`SELECT * FROM (VALUES
      (true, 0, 0::BIGINT, 0.0::DOUBLE, TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '1970-01-01 00:00:00.000999+00'),
      (false, -1, -1::BIGINT, -0.0::DOUBLE, TIMESTAMP '1969-12-31 23:59:59.999999', TIMESTAMPTZ '1969-12-31 23:59:59.9995+00'),
      (NULL, NULL, NULL, NULL, NULL, NULL),
      (true, 2147483647, 9223372036854775807, 'NaN'::DOUBLE, TIMESTAMP '2026-12-07 08:00:00.123456', TIMESTAMPTZ '2026-12-07 08:00:00.123456+00'),
      (false, -2147483648, -9223372036854775808, '-Infinity'::DOUBLE, TIMESTAMP '2999-01-01 00:00:00', TIMESTAMPTZ '2999-01-01 00:00:00+00'),
      (true, 7, 9007199254740993, 1e308, TIMESTAMP '0001-01-01 00:00:00.000001', TIMESTAMPTZ '9999-12-31 23:59:59.999999+00'),
      (NULL, 3, NULL, 2.5, TIMESTAMP '275760-09-13 00:00:00', NULL)
    ) t(b, i, n, d, ts, tz)`);
    expect(edges).toBe(42);
  });

  it('keeps rows and NULLs in place over several chunks', async () => {
    const rows = 5000;
    const compared = await compare(`SELECT CASE WHEN i % 67 = 0 THEN NULL ELSE i % 2 = 0 END AS b, CASE WHEN i % 65 = 0 THEN NULL ELSE i::INTEGER END AS i,
      i * 1000003 AS n, i / 7.0 AS d, CASE WHEN i % 63 = 0 THEN NULL ELSE to_timestamp(1700000000 + i * 0.000777) END AS tz
      FROM range(${rows}) r(i) ORDER BY i`);
    expect(compared).toBe(rows * 5);
  });

  it('leaves to node-api a time a JS Date cannot hold, and the types it does not read', async () => {
    const [chunk] = await chunksOf("SELECT 'infinity'::TIMESTAMPTZ AS far, TIMESTAMP '290000-01-01' AS later, 1.5::DECIMAL(4, 1) AS dec, [1] AS list");
    for (let k = 0; k < chunk!.columnCount; k++) expect(fixedValues(chunk!, k, chunk!.getColumnVector(k).type.typeId, DuckDBTypeId)).toBeUndefined();
    expect(() => chunk!.convertColumnValues(0, JSDuckDBValueConverter)).toThrow(/out of range for JS Date/);
  });
});
