/**
 * Numbers in JSON cells that a double cannot hold as written: kept as their text from the cell
 * to the record text, as a streamed record's text keeps them.
 */
import { describe, expect, it } from 'vitest';
import { atRisk, changedByParse, findNumber, isKeptNumber, nonFinite, parseJson, recordText } from './numbers.js';

describe('numbers a double cannot hold', () => {
  it('knows which numbers JSON.parse then JSON.stringify would write otherwise', () => {
    for (const n of ['1e400', '-1e400', '1e-400', '9007199254740993', '12345678901234567890', '0.1000000000000000055511151231257827', '12345.678901234567891',
      `1${'0'.repeat(400)}`, `0.${'0'.repeat(400)}1`]) {
      expect(changedByParse(n), n).toBe(true);
      expect(atRisk(`{"x":${n}}`), n).toBe(true); // the gate before the scan lets every one through
    }
    expect(changedByParse('-0')).toBe(true);
    expect(atRisk('{"oid":"3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e","t":"2025-11-14T05:00:00.1234567Z","ip":"255.255.255.255"}')).toBe(false);
    for (const n of ['0', '1', '-5', '0.5', '1e21', '1E+21', '1.50', '100', '9007199254740992', '1.7976931348623157e308', '5e-324', '2.5e-7', '123456789012345']) {
      expect(changedByParse(n), n).toBe(false);
    }
  });

  it('parseJson keeps them, recordText writes them back as written; everything else is JSON.parse and JSON.stringify', () => {
    const text = '{"a":1e400,"b":[-1e400,1e-400,2],"c":9007199254740993,"d":"1e400 and 9007199254740993","e":{"f":0.5},"1e400":true}';
    const value = parseJson(text) as Record<string, unknown>;
    expect(isKeptNumber(value.a)).toBe(true);
    expect(value.d).toBe('1e400 and 9007199254740993');
    expect((value.e as Record<string, unknown>).f).toBe(0.5);
    expect(recordText(value)).toBe(text);
    expect(recordText({ cell: value })).toBe(`{"cell":${text}}`);
    // Strings with escaped quotes around digits are strings.
    expect(recordText(parseJson('["\\"1e400\\"",1e400]'))).toBe('["\\"1e400\\"",1e400]');
    // Text that is not JSON throws as JSON.parse does, even where a number would have been kept.
    expect(() => parseJson('{1e400:1}')).toThrow(SyntaxError);
    expect(() => parseJson('[1e400,')).toThrow(SyntaxError);
    // Nothing at risk: JSON.parse's own value.
    expect(parseJson('{"x":[1,2.5,"a"]}')).toEqual({ x: [1, 2.5, 'a'] });
  });

  it('finds Infinity in a value parsed elsewhere, with its path', () => {
    expect(nonFinite({ a: [1, { b: Infinity }] })).toEqual({ path: 'a[1].b', value: Infinity });
    expect(nonFinite(-Infinity)).toEqual({ path: '', value: -Infinity });
    expect(nonFinite({ a: [1, 'Infinity', null] })).toBeNull();
    // Arrays in arrays, keys in keys, and another test (an integer past 2^53).
    expect(findNumber({ x: { y: [[1, 2 ** 60]] } }, (n) => n > Number.MAX_SAFE_INTEGER)).toEqual({ path: 'x.y[0][1]', value: 2 ** 60 });
  });
});
