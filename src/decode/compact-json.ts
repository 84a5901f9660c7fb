/**
 * Pretty-printed JSON made compact by dropping the whitespace between its tokens, the text
 * itself otherwise kept: numbers as written (`1e400`, `9007199254740993`, `1.50`), escapes and
 * key order as they were. Re-serializing the parsed value instead (JSON.stringify) wrote `1e400`
 * as null, rounded integers past 2^53 and reordered integer-like keys, so a pretty-printed
 * record's `raw` was not the record, and its id (for categories whose id is the hash of the
 * compact text) differed from the same record sent compact.
 * The text must be valid JSON (it was parsed first).
 */
export function compactJsonText(text: string): string {
  let out = '';
  let from = 0; // start of the text not yet copied
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: skip to its closing quote, past escapes.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (isSpace(c)) {
      out += text.slice(from, i);
      while (i + 1 < text.length && isSpace(text.charCodeAt(i + 1))) i++;
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/** JSON's insignificant whitespace: space, LF, CR, tab. */
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
