/** What `auditlake query` prints: a table an analyst can read, and CSV/NDJSON other tools can. */
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkOutPath, renderText, textPieces, uniqueNames } from './output.js';
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

describe('logged text that a terminal would act on', () => {
  // Escape sequences (retitle, clear, recolour), a C1 CSI, DEL, a line separator and a bidi override,
  // as an attacker can put them in a user name or an app's display name.
  const evil = 'app\u001b]0;pwned\u0007\u001b[2J\u009b31m\u007f\u2028\u202eexe.txt';
  const hostile: QueryResult = {
    columns: [{ name: 'name\u001b[8m', type: 'VARCHAR' }, { name: 'doc', type: 'JSON' }],
    rows: [[evil, JSON.stringify({ ua: evil })]],
  };
  const unsafe = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

  it('table: escaped in cells and headers, the widths those of the escaped text', () => {
    const lines = renderText(hostile, 'table').split('\n');
    expect(lines.join('\n')).not.toMatch(unsafe);
    expect(lines[0]).toMatch(/^name\\u001b\[8m {2}/);
    // (U+2028 is whitespace, folded to a space as a newline is; the cell is cut at 60 characters.)
    expect(lines[2]).toMatch(/^app\\u001b\]0;pwned\\u0007\\u001b\[2J\\u009b31m\\u007f \\u202eexe\.t/);
    expect(lines[0]!.indexOf('doc')).toBe(lines[2]!.indexOf('{"ua"')); // the columns still line up
  });

  it('json and ndjson: escaped as JSON escapes, the same values once parsed', () => {
    for (const format of ['json', 'ndjson'] as const) {
      const text = renderText(hostile, format);
      expect(text.replace(/\n/g, '')).not.toMatch(unsafe);
      const row = format === 'json' ? (JSON.parse(text) as Array<Record<string, unknown>>)[0] : JSON.parse(text) as Record<string, unknown>;
      expect(row).toEqual({ 'name\u001b[8m': evil, doc: { ua: evil } });
    }
  });

  it('csv: exact for a file or a pipe, escaped for a terminal', () => {
    expect(renderText(hostile, 'csv')).toContain(evil);
    const shown = [...textPieces(hostile, 'csv', { terminal: true })].join('');
    expect(shown.replace(/\r\n/g, '')).not.toMatch(unsafe);
    expect(shown.split('\r\n')[0]).toBe('name\\u001b[8m,doc');
  });
});

describe('csv for a spreadsheet', () => {
  it('gives a text cell that would start a formula a leading quote, and leaves numbers and other text alone', () => {
    const cells: QueryResult = {
      columns: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((name) => ({ name, type: 'VARCHAR' })),
      rows: [['=1+1', '+SUM(A1)', '-2', '@cmd', '\tx', 'alice', -3]],
    };
    expect(renderText(cells, 'csv', { spreadsheet: true }).split('\r\n')[1]).toBe("'=1+1,'+SUM(A1),'-2,'@cmd,'\tx,alice,-3");
    expect(renderText(cells, 'csv').split('\r\n')[1]).toBe('=1+1,+SUM(A1),-2,@cmd,\tx,alice,-3');
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
