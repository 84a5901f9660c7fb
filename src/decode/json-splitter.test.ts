import { describe, expect, it } from 'vitest';
import { JsonRecordSplitter, splitRecords, type SplitElement } from './json-splitter.js';

const rec = (i: number) => ({ time: `2025-01-01T00:00:0${i}Z`, category: 'AuditEvent', note: `a "quoted" \\ value ${i}`, nested: { a: [1, { b: '}]' }] } });

describe('splitRecords', () => {
  it('returns each record of an Event Hubs body as its own text', () => {
    const body = JSON.stringify({ records: [rec(1), rec(2), rec(3)] });
    const { elements, envelope } = splitRecords(body);
    expect(envelope).toBe(true);
    expect(elements.map((e) => JSON.parse(e.text))).toEqual([rec(1), rec(2), rec(3)]);
    expect(elements.every((e) => !e.spaced)).toBe(true);
  });

  it('reads a top-level array and a single record, and flags pretty-printed text', () => {
    expect(splitRecords(JSON.stringify([rec(1), rec(2)])).elements).toHaveLength(2);
    const one = splitRecords(JSON.stringify(rec(4), null, 2));
    expect(one.envelope).toBe(false);
    expect(one.elements).toHaveLength(1);
    expect(one.elements[0]!.spaced).toBe(true);
    expect(JSON.parse(one.elements[0]!.text)).toEqual(rec(4));
  });

  it('finds records after other keys, and ignores a records key that is not an array', () => {
    const body = `{"meta":{"records":1},"records":[${JSON.stringify(rec(1))}],"tail":"x"}`;
    expect(splitRecords(body).elements.map((e) => JSON.parse(e.text))).toEqual([rec(1)]);
    const notArray = splitRecords('{"records":"nope","time":"x"}');
    expect(notArray.envelope).toBe(false);
    expect(notArray.elements[0]!.text).toBe('{"records":"nope","time":"x"}');
  });

  it('streams: the same elements whatever the chunking, including splits inside escapes and keys', () => {
    const body = JSON.stringify({ records: [rec(1), rec(2), rec(3), rec(4)] }, null, 1);
    const expected = splitRecords(body).elements.map((e) => e.text);
    for (const size of [1, 2, 3, 7, 64]) {
      const s = new JsonRecordSplitter();
      const got: string[] = [];
      for (let i = 0; i < body.length; i += size) got.push(...s.feed(body.slice(i, i + size)).map((e) => e.text));
      got.push(...s.end().map((e) => e.text));
      expect(got, `chunk size ${size}`).toEqual(expected);
    }
  });

  it('emits a string that ends the array as an element, as it does other scalars, and reads the records around it', () => {
    // Found by test/ingest-fuzz.test.ts: `{"records":[{...},"x"]}` threw "unexpected ']'", so the
    // body's records were refused with it (and in a .json file, every record after it went unread).
    for (const [text, envelope] of [[`{"records":[${JSON.stringify(rec(1))},"x"]}`, true], [`[${JSON.stringify(rec(1))}, "a,]" ]`, false]] as const) {
      const split = splitRecords(text);
      expect(split.envelope).toBe(envelope);
      expect(split.elements.map((e) => e.text)).toEqual([JSON.stringify(rec(1)), text.includes('"x"') ? '"x"' : '"a,]"']);
    }
    expect(splitRecords('["x"]\n["y", 1, "z"]').elements.map((e) => e.text)).toEqual(['"x"', '"y"', '1', '"z"']);
    expect(() => splitRecords('["x"}')).toThrow(/unexpected '}'/);
  });

  it('returns the records before a JSON error, and throws it at the next call', () => {
    // Found by test/ingest-fuzz.test.ts: the error was thrown with the records of the same chunk
    // (up to a MiB of a .json file) never returned, so they were neither stored nor refused, while
    // the file's reject said "the records before it were read".
    const text = `${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2))}\n{"records":[${JSON.stringify(rec(3))}}]}\n${JSON.stringify(rec(4))}\n`;
    const s = new JsonRecordSplitter();
    expect(s.feed(text).map((e) => JSON.parse(e.text))).toEqual([rec(1), rec(2), rec(3)]);
    expect(() => s.end()).toThrow("line 3: unexpected '}'");
    const chunked = new JsonRecordSplitter();
    const cut = text.indexOf('\n{"records"');
    expect(chunked.feed(text.slice(0, cut))).toHaveLength(2);
    expect(chunked.feed(text.slice(cut))).toHaveLength(1);
    expect(() => chunked.feed('{"time":"x"}')).toThrow("line 3: unexpected '}'");
    // A unit of input (a line, a message body) is still refused whole.
    expect(() => splitRecords(text)).toThrow("line 3: unexpected '}'");
    expect(() => new JsonRecordSplitter().feed('[}')).toThrow("line 1: unexpected '}'");
  });

  it('reads every records array of a body that repeats the key', () => {
    // Found by test/ingest-fuzz.test.ts: the second array was skipped, its records neither stored nor refused.
    const text = `{"records":[${JSON.stringify(rec(1))}],"meta":{"records":[9]},"records" : [${JSON.stringify(rec(2))},${JSON.stringify(rec(3))}]}`;
    expect(splitRecords(text).elements.map((e) => JSON.parse(e.text))).toEqual([rec(1), rec(2), rec(3)]);
    for (const size of [1, 9]) {
      const s = new JsonRecordSplitter();
      const got: unknown[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...s.feed(text.slice(i, i + size)).map((e) => JSON.parse(e.text)));
      got.push(...s.end());
      expect(got, `chunk size ${size}`).toEqual([rec(1), rec(2), rec(3)]);
    }
    expect(splitRecords('{"records":[],"records":"x"}').elements).toEqual([]);
  });

  it('says how deeply each element nests, counting brackets outside strings only', () => {
    expect(splitRecords('{"a":[{"b":1}],"c":"[[[{{{"}').elements.map((e) => e.depth)).toEqual([3]);
    expect(splitRecords('{"records":[{"a":{}},1,[[[]]],{}]}').elements.map((e) => e.depth)).toEqual([2, 0, 3, 1]);
    expect(splitRecords(`[${'['.repeat(5000)}${']'.repeat(5000)}]\n{}\nnope`).elements.map((e) => e.depth)).toEqual([5000, 1, 0]);
  });

  it('reports the line where each record starts', () => {
    const text = `[\n${JSON.stringify(rec(1))},\n\n${JSON.stringify(rec(2))}\n]`;
    expect(splitRecords(text).elements.map((e) => e.line)).toEqual([2, 4]);
  });

  it('throws a SyntaxError naming the line on truncated input', () => {
    expect(() => splitRecords('{"records":[{"time":"x"}, {"time":')).toThrow(/unexpected end of JSON input at line 1/);
    expect(() => splitRecords('   ')).toThrow(/empty input/);
    // Pretty-printed, an open object may go on over lines: only the end of the input says it is cut short.
    expect(() => splitRecords('{"time":"x"}\n{\n  "time":"y",\n{"time":"z"}\n')).toThrow(/unclosed object that starts at line 2/);
  });
});

describe('several top-level values (JSON Lines under a .json name, as Azure archives PT1H.json)', () => {
  const lines = [rec(1), rec(2), rec(3), rec(4), rec(5)].map((r) => JSON.stringify(r)).join('\n') + '\n';

  it('reads every value, each a record, body or array as the first would be', () => {
    const { elements } = splitRecords(lines);
    expect(elements.map((e) => JSON.parse(e.text))).toEqual([rec(1), rec(2), rec(3), rec(4), rec(5)]);
    expect(elements.map((e) => e.line)).toEqual([1, 2, 3, 4, 5]);
    const mixed = `${JSON.stringify({ records: [rec(1), rec(2)] })}\n${JSON.stringify([rec(3)])}\n${JSON.stringify(rec(4), null, 2)}`;
    expect(splitRecords(mixed).elements.map((e) => JSON.parse(e.text))).toEqual([rec(1), rec(2), rec(3), rec(4)]);
  });

  it('refuses a line cut short (a partial write, files joined with cat) and reads the lines after it', () => {
    const full = [rec(1), rec(2), rec(3), rec(4)].map((r) => JSON.stringify(r));
    const cuts = [
      full[1]!.slice(0, 30),                 // inside a string: its closing quote would be on the next line
      full[1]!.slice(0, full[1]!.length - 1), // the last brace missing
      full[1]!.slice(0, full[1]!.indexOf(',') + 1),
    ];
    for (const cut of cuts) {
      for (const eol of ['\n', '\r\n']) {
        const text = [full[0], cut, full[2], full[3]].join(eol) + eol;
        // The same whatever the chunking, a character at a time included.
        for (const size of [1, 7, 4096]) {
          const s = new JsonRecordSplitter();
          const elements: SplitElement[] = [];
          for (let i = 0; i < text.length; i += size) elements.push(...s.feed(text.slice(i, i + size)));
          elements.push(...s.end());
          expect(elements.map((e) => e.error ?? JSON.parse(e.text))).toEqual([
            rec(1), 'line 2: the line ends inside an unclosed object (a record cut short)', rec(3), rec(4),
          ]);
          expect(elements[1]!.text).toBe(cut);
          expect(elements.map((e) => e.line)).toEqual([1, 2, 3, 4]);
        }
      }
    }
  });

  /** Every element of `text` fed `size` characters at a time: a record parsed, a refused line as its reason. */
  const read = (text: string, size: number) => {
    const s = new JsonRecordSplitter();
    const elements: SplitElement[] = [];
    for (let i = 0; i < text.length; i += size) elements.push(...s.feed(text.slice(i, i + size)));
    elements.push(...s.end());
    return elements;
  };

  it('refuses a FIRST line cut short, before any line told the text is JSON Lines, and reads the lines after it', () => {
    // Before, the first record had to close on its line before a cut line was refused: a file whose
    // first line was cut short (files joined with cat) lost every line after it, the open record
    // swallowing them, and the whole file became one reject at its end.
    const full = [rec(1), rec(2), rec(3)].map((r) => JSON.stringify(r));
    const cuts = [
      full[0]!.slice(0, 30),                                  // inside a string
      full[0]!.slice(0, full[0]!.length - 1),                 // the last brace missing
      full[0]!.slice(0, full[0]!.indexOf(',') + 1),           // after a comma between keys
      full[0]!.slice(0, full[0]!.indexOf(':') + 1),           // after a colon: a '{' could follow, the line after it says it does not
      full[0]!.slice(0, full[0]!.indexOf('"nested":') + 10),  // after '"nested":{'
      full[0]!.slice(0, full[0]!.indexOf('[') + 1),           // after '[': a '{' could follow
      full[0]!.slice(0, full[0]!.indexOf('[1,') + 3),         // after ',' in an array: a '{' could follow
    ];
    for (const cut of cuts) {
      for (const eol of ['\n', '\r\n']) {
        const text = [cut, full[1], full[2], full[0]].join(eol) + eol;
        for (const size of [1, 7, 4096]) {
          const elements = read(text, size);
          expect(elements.map((e) => e.error ?? JSON.parse(e.text)), `${cut} / ${JSON.stringify(eol)} / ${size}`).toEqual([
            'line 1: the line ends inside an unclosed object (a record cut short)', rec(2), rec(3), rec(1),
          ]);
          expect(elements[0]!.text).toBe(cut);
          expect(elements.map((e) => e.line)).toEqual([1, 2, 3, 4]);
        }
      }
    }
  });

  it('refuses a cut line wherever line mode is not yet known: after a body, an array or a laid-out record', () => {
    const cut = JSON.stringify(rec(2)).slice(0, 40);
    for (const first of [JSON.stringify({ records: [rec(1)] }), JSON.stringify([rec(1)]), JSON.stringify(rec(1), null, 2)]) {
      const text = `${first}\n${cut}\n${JSON.stringify(rec(3))}\n${JSON.stringify(rec(4))}\n`;
      for (const size of [1, 7, 4096]) {
        const elements = read(text, size);
        expect(elements.map((e) => e.error ?? JSON.parse(e.text))).toEqual([
          rec(1), `line ${first.split('\n').length + 1}: the line ends inside an unclosed object (a record cut short)`, rec(3), rec(4),
        ]);
      }
    }
  });

  it('refuses each of two cut lines in a row', () => {
    const full = [rec(1), rec(2), rec(3)].map((r) => JSON.stringify(r));
    const text = `${full[0]!.slice(0, 25)}\n${full[1]!.slice(0, 50)}\n${full[2]}\n`;
    for (const size of [1, 7, 4096]) {
      expect(read(text, size).map((e) => e.error ?? JSON.parse(e.text))).toEqual([
        'line 1: the line ends inside an unclosed object (a record cut short)',
        'line 2: the line ends inside an unclosed object (a record cut short)',
        rec(3),
      ]);
    }
  });

  it('in line mode, refuses a line cut where a \'{\' could go on with it, whatever one whole record follows', () => {
    const full = [rec(1), rec(2), rec(3)].map((r) => JSON.stringify(r));
    for (const cut of [full[1]!.slice(0, full[1]!.indexOf(':') + 1), full[1]!.slice(0, full[1]!.indexOf('[') + 1)]) {
      for (const tail of ['\n', '', '\n\n']) {
        const text = `${full[0]}\n${cut}\n${full[2]}${tail}`;
        for (const size of [1, 7, 4096]) {
          expect(read(text, size).map((e) => e.error ?? JSON.parse(e.text)), `${cut} / ${JSON.stringify(tail)} / ${size}`).toEqual([
            rec(1), 'line 2: the line ends inside an unclosed object (a record cut short)', rec(3),
          ]);
        }
      }
    }
  });

  it('refuses a first line cut at any character but the opening brace, and reads every line after it', () => {
    const full = [rec(1), rec(2), rec(3), rec(4)].map((r) => JSON.stringify(r));
    for (let at = 2; at < full[0]!.length; at++) {
      const cut = full[0]!.slice(0, at);
      const text = `${cut}\n${full[1]}\n${full[2]}\n${full[3]}`; // the last line without a newline
      for (const size of [7, 4096]) {
        expect(read(text, size).map((e) => e.error ?? JSON.parse(e.text)), `${cut} / ${size}`).toEqual([
          'line 1: the line ends inside an unclosed object (a record cut short)', rec(2), rec(3), rec(4),
        ]);
      }
    }
    // A line holding only '{' begins an object laid out over lines: never refused as cut.
    expect(() => read(`{\n${full[1]}\n${full[2]}\n`, 7)).toThrow(/unclosed object that starts at line 1/);
  });

  it('refuses a cut line written with spaces after colons and commas, first or after one-line records', () => {
    // Such lines are not compact, so the cut line was not refused even once line mode was known.
    const spaced = (v: unknown): string => Array.isArray(v) ? `[${v.map(spaced).join(', ')}]`
      : v !== null && typeof v === 'object' ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${spaced(x)}`).join(', ')}}` : JSON.stringify(v);
    const full = [rec(1), rec(2), rec(3), rec(4)].map(spaced);
    expect(JSON.parse(full[0]!)).toEqual(rec(1));
    for (const cut of [full[1]!.slice(0, 40), full[1]!.slice(0, full[1]!.indexOf('"category": ') + 11), full[1]!.slice(0, -1)]) {
      for (const text of [`${cut}\n${full[2]}\n${full[3]}\n`, `${full[0]}\n${cut}\r\n${full[2]}\r\n${full[3]}\n`]) {
        for (const size of [1, 7, 4096]) {
          const elements = read(text, size);
          const at = text.startsWith(cut) ? 1 : 2;
          expect(elements.map((e) => e.error ?? JSON.parse(e.text)), `${JSON.stringify(text.slice(0, 60))} / ${size}`).toEqual([
            ...(at === 2 ? [rec(1)] : []), `line ${at}: the line ends inside an unclosed object (a record cut short)`, rec(3), rec(4),
          ]);
          expect(elements[at - 1]!.text).toBe(cut);
        }
      }
    }
  });

  it('never reads an object nested in a record as a record of its own, its record whole or broken', () => {
    // Valid: a compact first line that a '{' on the next line goes on with (after ':', '[' or ',' in an array).
    const valid = [
      `{"time":"x","properties":\n{"a":1,"b":{"c":2}}}\n`,
      `{"time":"x","items":[\n{"a":1},\n{"b":2}]}\n`,
      `{"time":"x","items":[\n{"a":1}\n,{"b":2}]}\n`,
      `{"time":"x","items":[{"y":1},\n{"a":1}],"z":2}\n`,
      `{"time":"x","properties":\r\n{"a":1}\r\n}\r\n`,
    ];
    for (const text of valid) {
      for (const size of [1, 7, 4096]) {
        const elements = read(text, size);
        expect(elements.map((e) => e.error ?? JSON.parse(e.text)), `${JSON.stringify(text)} / ${size}`).toEqual([JSON.parse(text)]);
        // After a one-line record too (line mode): before, the first line was refused as cut short
        // and a nested object at the next line's start was read as a record.
        const after = read(`${JSON.stringify(rec(1))}\n${text}`, size);
        expect(after.map((e) => e.error ?? JSON.parse(e.text)), `line mode: ${JSON.stringify(text)} / ${size}`).toEqual([rec(1), JSON.parse(text)]);
      }
    }
    // Broken: the end of the input, or a line after that does not begin a record, or objects laid
    // out indented. Here only the objects with a "time" are records: no other is ever read as one.
    const broken = [
      `{"time":"x","properties":\n{"a":1,"b":{"c":2}}\n`,
      `{"time":"x","items":[\n{"a":1}\n`,
      `{"time":"x","properties":\n{"a":1}\n  {"b":2}\n`,
      `{"time":"x","note":"a\n  {"b":2}}\n`,
      `{"time":"x","properties":\n  {"a":1}\n{"b":2}\n`,
      `{"time":"x\n  "a": {\n    "b": 1\n  }\n}\n`,
      `{"time":"x,"items":[\n{"a":1}\n]}\n`,                       // a quote lost: the line seems to end in a string
      `{"time":"x","a":"b\n{"c":1}],"d":2}\n{"time":"y"}\n`,
      `{"time":"x","items":[{"y":1},\n{"a":1}\n]}\n${JSON.stringify(rec(1))}\n`.replace('{"y"', '{y"'),
    ];
    for (const text of broken) {
      for (const size of [1, 7, 4096]) {
        const s = new JsonRecordSplitter();
        const elements: SplitElement[] = [];
        try {
          for (let i = 0; i < text.length; i += size) elements.push(...s.feed(text.slice(i, i + size)));
          elements.push(...s.end());
        } catch (err) {
          expect(err, `${JSON.stringify(text)} / ${size}`).toBeInstanceOf(SyntaxError);
        }
        for (const e of elements.filter((x) => x.error === undefined)) {
          let value: unknown;
          try { value = JSON.parse(e.text); } catch { continue; } // refused downstream as the text it is
          expect(value, `${JSON.stringify(text)} / ${size}`).toHaveProperty('time');
        }
      }
    }
  });

  it('keeps a record holding a raw newline in a string whole, to be refused as the one record it is', () => {
    const text = `{"time":"x","msg":"line one\nline two"}\n${JSON.stringify(rec(1))}\n`;
    expect(read(text, 7).map((e) => e.text)).toEqual([`{"time":"x","msg":"line one\nline two"}`, JSON.stringify(rec(1))]);
  });

  it('reads objects laid out over lines after one-line records, and refuses none of them', () => {
    const text = `${JSON.stringify(rec(1))}\n${JSON.stringify(rec(2), null, 2)}\n{ "a": {\n  "b": 1 } }\r\n{\r\n"c": 2}\n`;
    expect(splitRecords(text).elements.map((e) => e.error ?? JSON.parse(e.text))).toEqual([rec(1), rec(2), { a: { b: 1 } }, { c: 2 }]);
  });

  it('gives the same elements whatever the chunking, and holds only the value being read', () => {
    const expected = splitRecords(lines).elements.map((e) => e.text);
    for (const size of [1, 5, 64, 1000]) {
      const s = new JsonRecordSplitter();
      const got: string[] = [];
      for (let i = 0; i < lines.length; i += size) got.push(...s.feed(lines.slice(i, i + size)).map((e) => e.text));
      got.push(...s.end().map((e) => e.text));
      expect(got, `chunk size ${size}`).toEqual(expected);
    }
    // Before, everything after the first value piled up in the buffer (a 2 GB archive file in memory).
    const s = new JsonRecordSplitter();
    let count = 0;
    for (let i = 0; i < 2000; i++) count += s.feed(lines).length;
    expect(count).toBe(10_000);
    expect((s as unknown as { buf: string }).buf.length).toBeLessThan(200_000);
  });

  it('reports a stray line as an error element, quoting no more than its first character, and reads on', () => {
    const text = `${JSON.stringify(rec(1))}\nsig=SECRET123 not json\n${JSON.stringify(rec(2))} \n`;
    const { elements } = splitRecords(text);
    expect(elements).toHaveLength(3);
    expect(JSON.parse(elements[0]!.text)).toEqual(rec(1));
    expect(elements[1]).toMatchObject({ line: 2, text: 'sig=SECRET123 not json', error: "line 2: expected a JSON object or array, found 's'" });
    expect(JSON.parse(elements[2]!.text)).toEqual(rec(2));
    expect(splitRecords('nope').elements[0]!.error).toMatch(/expected a JSON object or array/);
  });

  it('gives each element its character offsets in the whole input', () => {
    const text = `  ${JSON.stringify(rec(1))}\n[${JSON.stringify(rec(2))}]`;
    for (const e of splitRecords(text).elements) expect(text.slice(e.start, e.end).trim()).toBe(e.text);
  });
});
