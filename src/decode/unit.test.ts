import { describe, expect, it } from 'vitest';
import { decodeUnit, DEFAULT_LIMITS, emptyDecoded, MAX_NESTING } from './unit.js';

const record = (x: string) => `{"time":"2025-11-14T05:00:00Z","category":"AuditEvent","properties":{"x":${x}}}`;
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

function decode(text: string, limits = DEFAULT_LIMITS) {
  const out = emptyDecoded();
  decodeUnit({ text, source: 'file:/in/x.ndjson', where: 'line 2' }, limits, out);
  return { stored: out.rows.length, reasons: out.rejects.map((r) => r.reason) };
}

describe('decodeUnit: how deeply a record may nest', () => {
  // Found by test/ingest-fuzz.test.ts: a pretty-printed record thousands of levels deep was
  // compacted with JSON.stringify, which overflowed the stack on the main thread (~4,000 levels)
  // but not in a decode worker (~16,000): the same file stored it with workers and refused it
  // with `--workers 0`. The limit is now read from the text, the same on every thread.
  it(`refuses a record nested more than ${MAX_NESTING} levels, compact or pretty-printed, naming the field`, () => {
    for (const text of [record(nested(MAX_NESTING)), record(nested(2000)).replace(/,/g, ', ')]) {
      expect(decode(text)).toEqual({ stored: 0, reasons: ['line 2: record: properties.x: nested too deeply to read'] });
    }
  });

  it('stores one at the limit, pretty-printed or not', () => {
    expect(decode(record(nested(MAX_NESTING - 2)))).toEqual({ stored: 1, reasons: [] });
    expect(decode(record(nested(MAX_NESTING - 2)).replace(/,/g, ', '))).toEqual({ stored: 1, reasons: [] });
  });

  it('counts from each record of a body, not from the body', () => {
    const body = `{"records":[${record(nested(MAX_NESTING - 2))},${record(nested(MAX_NESTING))}]}`;
    expect(decode(body)).toEqual({ stored: 1, reasons: ['line 2 record 2: record: properties.x: nested too deeply to read'] });
  });
});

describe('decodeUnit: the record size limit', () => {
  // Found by test/ingest-fuzz.test.ts: the limit was compared with the text's length in UTF-16
  // units, so 1.2 MB of 'é' (600,000 characters) passed the 1 MiB limit.
  it('counts UTF-8 bytes, not characters', () => {
    expect(decode(record(JSON.stringify('é'.repeat(600_000))))).toEqual({ stored: 0, reasons: ['line 2: record of 1.1 MiB exceeds the 1.0 MiB limit'] });
    expect(decode(record(JSON.stringify('é'.repeat(500_000))))).toEqual({ stored: 1, reasons: [] });
    const small = { maxRecordBytes: 1000 };
    expect(decode(record(JSON.stringify('😀'.repeat(240))), small)).toEqual({ stored: 0, reasons: ['line 2: record of 1.0 KiB exceeds the 1000 B limit'] });
    // Just past the limit, rounded sizes would read alike ("1.0 MiB exceeds the 1.0 MiB limit").
    expect(decode(record(JSON.stringify('a'.repeat(1 << 20))))).toEqual({ stored: 0, reasons: ['line 2: record of 1,048,653 bytes exceeds the 1,048,576-byte limit'] });
    expect(decode(record(JSON.stringify('x'.repeat(900))), small)).toEqual({ stored: 1, reasons: [] });
  });
});
