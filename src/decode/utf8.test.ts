import { describe, expect, it } from 'vitest';
import { Utf8Stream, type InvalidByte } from './utf8.js';

/** Feeds `bytes` in pieces of `size` and gathers the text and the invalid positions. */
function decodeIn(bytes: Buffer, size: number): { text: string; invalid: InvalidByte[] } {
  const s = new Utf8Stream();
  let text = '';
  const invalid: InvalidByte[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const p = s.write(bytes.subarray(i, i + size));
    text += p.text;
    invalid.push(...p.invalid);
  }
  const p = s.end();
  return { text: text + p.text, invalid: [...invalid, ...p.invalid] };
}

describe('Utf8Stream', () => {
  it('decodes valid text identically however it is cut, multi-byte characters included', () => {
    const text = '{"objectKey":"/acct/c/café-日本-😀.txt"}\n'.repeat(20);
    for (const size of [1, 2, 3, 5, 64]) expect(decodeIn(Buffer.from(text), size), `size ${size}`).toEqual({ text, invalid: [] });
  });

  it('drops a leading byte-order mark, and only a leading one', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    for (const size of [1, 2, 100]) expect(decodeIn(Buffer.concat([bom, Buffer.from('{"a":1}')]), size).text).toBe('{"a":1}');
    expect(decodeIn(Buffer.concat([Buffer.from('x'), bom]), 100).text).toBe('x\uFEFF');
  });

  it('says where bytes were not UTF-8: the character standing for each and its byte offset', () => {
    const bytes = Buffer.concat([Buffer.from('{"k":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"k":"ok é"}\n{"k":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    for (const size of [1, 4, 1000]) {
      const { text, invalid } = decodeIn(bytes, size);
      expect(invalid.map((b) => b.byte), `size ${size}`).toEqual([9, 33]);
      expect(invalid.map((b) => text[b.char])).toEqual(['\uFFFD', '\uFFFD']);
      expect(text).toContain('ok é');
    }
  });

  it('treats a sequence cut off by the end of the input as invalid, and a literal U+FFFD as valid', () => {
    expect(decodeIn(Buffer.from([0x61, 0xe6, 0x97]), 10).invalid).toHaveLength(2);
    expect(decodeIn(Buffer.from('a\uFFFDb'), 1)).toEqual({ text: 'a\uFFFDb', invalid: [] });
  });
});
