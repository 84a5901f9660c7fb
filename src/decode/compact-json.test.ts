import { describe, expect, it } from 'vitest';
import { compactJsonText } from './compact-json.js';

describe('compactJsonText', () => {
  it('drops the whitespace between tokens and keeps strings, numbers, escapes and key order as written', () => {
    const pretty = '{\r\n  "b" : [ 1e400 ,\t9007199254740993, 1.50, -0 ],\n  "10": "a  b\\" }\\\\ \\u0027 ",\n  "a": { }\n}\n';
    const compact = '{"b":[1e400,9007199254740993,1.50,-0],"10":"a  b\\" }\\\\ \\u0027 ","a":{}}';
    expect(compactJsonText(pretty)).toBe(compact);
    // JSON.stringify of the parsed value is what it replaces: it differs in all of these.
    expect(JSON.stringify(JSON.parse(pretty))).not.toBe(compact);
    expect(JSON.parse(compactJsonText(pretty))).toEqual(JSON.parse(pretty));
  });

  it('returns compact text as it is, and agrees with JSON.stringify on plain records', () => {
    const record = { time: '2025-11-14T05:00:00Z', category: 'StorageRead', properties: { tags: ['x y', 'z'], n: 12, ok: true, none: null } };
    const compact = JSON.stringify(record);
    expect(compactJsonText(compact)).toBe(compact);
    for (const indent of [1, 2, 4, '\t']) expect(compactJsonText(JSON.stringify(record, null, indent))).toBe(compact);
  });
});
