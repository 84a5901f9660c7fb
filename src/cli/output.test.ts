/** What `auditlake query` prints: a table an analyst can read, and CSV/NDJSON other tools can. */
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkOutPath, renderText, uniqueNames } from './output.js';
import type { QueryResult } from '../store/duckdb.js';

const result: QueryResult = {
  columns: [{ name: 'time', type: 'TIMESTAMP WITH TIME ZONE' }, { name: 'n', type: 'BIGINT' }, { name: 'text', type: 'VARCHAR' }, { name: 'doc', type: 'JSON' }],
  rows: [
    [new Date('2025-11-14T10:00:00.250Z'), 9007199254740993n, 'tab\there,\nnew  line\u00a0nbsp', '{"a": [1, 2]}'],
    [null, 7, 'x'.repeat(70), null],
  ],
};

describe('renderText', () => {
  it('table: one line per row, whitespace folded to one space, long cells clipped, NULL empty', () => {
    expect(renderText(result, 'table').split('\n')).toEqual([
      `time                      n                 text${' '.repeat(56)}  doc`,
      `------------------------  ----------------  ${'-'.repeat(60)}  -------------`,
      `2025-11-14T10:00:00.250Z  9007199254740993  tab here, new line nbsp${' '.repeat(37)}  {"a": [1, 2]}`,
      `                          7                 ${'x'.repeat(59)}…`,
      '(2 rows; values longer than 60 characters are cut (…): --format json shows them whole)',
      '',
    ]);
  });

  it('table: says nothing of cutting when no value was cut, even one ending in … at the width', () => {
    const whole: QueryResult = { columns: [{ name: 'text', type: 'VARCHAR' }], rows: [['x'.repeat(60)], [`${'y'.repeat(59)}…`]] };
    expect(renderText(whole, 'table').split('\n').at(-2)).toBe('(2 rows)');
  });

  it('table: 200,000 rows, more than a spread of one column into Math.max survives', () => {
    const many: QueryResult = { columns: [{ name: 'n', type: 'INTEGER' }], rows: Array.from({ length: 200_000 }, (_, i) => [i]) };
    const lines = renderText(many, 'table').split('\n');
    expect(lines[1]).toBe('------');
    expect(lines[200_001]).toBe('199999');
    expect(lines[200_002]).toBe('(200000 rows)');
  });

  it('json: the document JSON.stringify lays out, byte for byte, though written a piece at a time', () => {
    const objects = (r: QueryResult) => r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => {
      const v = row[i];
      return [c.name, c.type === 'JSON' && typeof v === 'string' ? JSON.parse(v) : v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v];
    })));
    const many: QueryResult = { columns: result.columns, rows: Array.from({ length: 2500 }, (_, i) => result.rows[i % 2]!) };
    for (const r of [result, many, { columns: result.columns, rows: [] }]) {
      expect(renderText(r, 'json')).toBe(`${JSON.stringify(objects(r), null, 2)}\n`);
    }
  });

  it('csv quotes what needs it; ndjson nests JSON columns and keeps exact integers as text', () => {
    expect(renderText(result, 'csv').split('\r\n')[1]).toBe('2025-11-14T10:00:00.250Z,9007199254740993,"tab\there,\nnew  line\u00a0nbsp","{""a"": [1, 2]}"');
    expect(JSON.parse(renderText(result, 'ndjson').split('\n')[0]!)).toEqual({
      time: '2025-11-14T10:00:00.250Z', n: '9007199254740993', text: 'tab\there,\nnew  line\u00a0nbsp', doc: { a: [1, 2] },
    });
  });

  it('json and ndjson keep every column of a repeated name: a, a_2, … (past names already taken); csv and table keep the header as is', () => {
    const dup: QueryResult = {
      columns: ['a', 'a', 'a_2', 'b', 'a'].map((name) => ({ name, type: 'INTEGER' })),
      rows: [[1, 2, 3, 4, 5]],
    };
    expect(renderText(dup, 'ndjson')).toBe('{"a":1,"a_3":2,"a_2":3,"b":4,"a_4":5}\n');
    expect(JSON.parse(renderText(dup, 'json'))).toEqual([{ a: 1, a_3: 2, a_2: 3, b: 4, a_4: 5 }]);
    expect(renderText(dup, 'csv').split('\r\n')[0]).toBe('a,a,a_2,b,a');
  });
});

describe('uniqueNames', () => {
  it('is deterministic and leaves distinct names alone', () => {
    expect(uniqueNames(['event_id', 'time', 'event_id', 'time', 'event_id'])).toEqual(['event_id', 'time', 'event_id_2', 'time_2', 'event_id_3']);
    expect(uniqueNames(['x', 'y'])).toEqual(['x', 'y']);
  });
});

describe('checkOutPath', () => {
  it('refuses a folder, and a file in a folder that does not exist, naming --out', () => {
    expect(() => checkOutPath(tmpdir())).toThrow(expect.objectContaining({ code: 'bad_argument', message: `--out ${tmpdir()}: is a folder; expected a file path` }));
    const missing = join(tmpdir(), 'auditlake-no-such-folder', 'x.csv');
    expect(() => checkOutPath(missing)).toThrow(`--out ${missing}: no folder ${dirname(missing)}`);
    expect(() => checkOutPath(join(tmpdir(), 'auditlake-out.csv'))).not.toThrow();
  });
});
