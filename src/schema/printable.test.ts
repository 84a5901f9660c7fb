import { describe, expect, it } from 'vitest';
import { splitRecords } from '../decode/json-splitter.js';
import { decodeUnit, DEFAULT_LIMITS, emptyDecoded } from '../decode/unit.js';
import { normalizeRecord } from './normalize.js';
import { nameInReason, printable, printableJson, printableLines } from './printable.js';

// Found by test/ingest-fuzz.test.ts: a record's category went into its reject's reason as it
// came, newline, control characters and 100 KB included, and V8's JSON.parse messages quote
// raw input: a reason could break replay's summary lines or write escape sequences to a terminal.
describe('printable', () => {
  it('escapes controls, DEL, C1, separators and bidi overrides, and leaves the rest', () => {
    expect(printable('a\u001b[2Jb\nc\u007f\u009b\u2028\u202e')).toBe('a\\u001b[2Jb\\u000ac\\u007f\\u009b\\u2028\\u202e');
    expect(printable('invalid AuditEvent record: time: missing é 😀')).toBe('invalid AuditEvent record: time: missing é 😀');
  });

  it('printableLines keeps line breaks; printableJson keeps the values JSON text holds', () => {
    expect(printableLines('a\u001b[2J\nb\u009b')).toBe('a\\u001b[2J\nb\\u009b');
    const value = { s: 'x\u007f\u009b\u2028\u202e\\\u009by\u001b', n: [1, '\u2066'] };
    const json = printableJson(JSON.stringify(value, null, 2));
    expect(json).not.toMatch(/[\x7f-\x9f\u2028\u202e\u2066]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('quotes a name only when it does not read as one', () => {
    expect(nameInReason('AuditEvent')).toBe('AuditEvent');
    expect(nameInReason('MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE')).toBe('MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE');
    expect(nameInReason('')).toBe('""');
    expect(nameInReason('\nAudit\u0001')).toBe('"\\nAudit\\u0001"');
    expect(nameInReason('x'.repeat(100_000))).toBe(`"${'x'.repeat(60)}…"`);
  });
});

describe('reasons made from the input', () => {
  const reasonOf = (text: string) => {
    const out = emptyDecoded();
    decodeUnit({ text, source: 'file:/in/x.ndjson', where: 'line 3' }, DEFAULT_LIMITS, out);
    return out.rejects.map((r) => r.reason);
  };

  it('name an odd category quoted and cut, and still name the field', () => {
    const n = normalizeRecord({ category: '\u001b[31mAuditEvent\n', operationName: 'x' });
    expect(n).toEqual({ ok: false, reason: 'invalid "\\u001b[31mAuditEvent\\n" record: time: missing; expected an ISO-8601 or US-style date-time' });
    expect(reasonOf(JSON.stringify({ category: 'x'.repeat(100_000) }))).toEqual([
      `line 3: invalid "${'x'.repeat(60)}…" record: time: missing; expected an ISO-8601 or US-style date-time`,
    ]);
    expect(reasonOf(JSON.stringify({ category: 'AuditEvent' }))).toEqual(['line 3: invalid AuditEvent record: time: missing; expected an ISO-8601 or US-style date-time']);
  });

  it('hold no raw control character from a parser message or a stray line', () => {
    expect(reasonOf('[{"a":\u0007}]')).toEqual([`line 3: invalid JSON: Unexpected token '\\u0007', "{"a":\\u0007}" is not valid JSON`]);
    expect(splitRecords('\u001b[2J').elements[0]!.error).toBe("line 1: expected a JSON object or array, found '\\u001b'");
  });
});
