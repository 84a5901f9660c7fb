import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeUnit, DEFAULT_LIMITS, emptyDecoded } from '../decode/unit.js';
import { unitsFromMessages } from './message.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('unitsFromMessages', () => {
  it('reads bytes and text; refuses an empty body and one that is not UTF-8', () => {
    const { units, rejects } = unitsFromMessages([
      { body: Buffer.from('{"records":[]}'), where: 'sequence 1' },
      { body: '{"records":[]}', where: 'sequence 2' },
      { body: new Uint8Array(0), where: 'sequence 3' },
      { body: Buffer.from([0xff, 0xfe]), where: 'sequence 4' },
    ], 'eventhubs:ns/hub/0');
    expect(units.map((u) => u.where)).toEqual(['sequence 1', 'sequence 2']);
    expect(rejects.map((r) => r.reason)).toEqual(['sequence 3: empty message body', 'sequence 4: not valid UTF-8']);
  });

  it('refuses what an AMQP value or sequence section held, naming where, instead of throwing (which re-reads the batch for ever)', () => {
    const { units, rejects } = unitsFromMessages([
      { body: { records: [{ uri: 'https://a/c?sig=SECRET' }] }, where: 'sequence 5' },
      { body: [Buffer.from('x')], where: 'sequence 6' },
      { body: 42, where: 'sequence 7' },
      { body: true, where: 'sequence 8' },
      { body: 10n, where: 'sequence 9' },
      { body: Buffer.from('{}'), where: 'sequence 10' },
    ], 'eventhubs:ns/hub/0');
    expect(units.map((u) => u.where)).toEqual(['sequence 10']);
    expect(rejects.map((r) => r.reason.split(':')[0])).toEqual(['sequence 5', 'sequence 6', 'sequence 7', 'sequence 8', 'sequence 9']);
    expect(rejects[0]!.reason).toMatch(/not a byte or text body/);
    expect(rejects[0]!.raw).toContain('"records"');
    expect(rejects[0]!.raw).not.toContain('SECRET');
    expect(rejects.slice(2).map((r) => r.raw)).toEqual(['42', 'true', '"10"']);
  });

  it('drops a UTF-8 byte order mark at the start of a body (bytes or text), so the record is stored, not rejected', () => {
    const body = readFileSync(new URL('../../fixtures/keyvault/auditevent.json', import.meta.url), 'utf8');
    const { units, rejects } = unitsFromMessages([
      { body: Buffer.concat([BOM, Buffer.from(body)]), where: 'sequence 1' },
      { body: `\uFEFF${body}`, where: 'sequence 2' },
      // A Uint8Array view into a larger buffer (as the AMQP decoder hands them over).
      { body: new Uint8Array(Buffer.concat([Buffer.from('xx'), BOM, Buffer.from(body)])).subarray(2), where: 'sequence 3' },
    ], 'eventhubs:ns/hub/0');
    expect(rejects).toEqual([]);
    expect(units.map((u) => u.text)).toEqual([body, body, body]);
    // Through the decoder: accepted as the same body without a mark is.
    const withMark = emptyDecoded();
    for (const u of units) decodeUnit(u, DEFAULT_LIMITS, withMark);
    const plain = emptyDecoded();
    decodeUnit({ text: body, source: 'eventhubs:ns/hub/0', where: 'sequence 0' }, DEFAULT_LIMITS, plain);
    expect(withMark.rejects).toEqual([]);
    expect(plain.rows.length).toBeGreaterThan(0);
    expect(withMark.rows.map((r) => r.event_id)).toEqual([...plain.rows, ...plain.rows, ...plain.rows].map((r) => r.event_id));
  });

  it('keeps a byte order mark that is not at the start, and refuses a body that is only one (empty) or not UTF-8 after it', () => {
    const { units, rejects } = unitsFromMessages([
      { body: Buffer.concat([Buffer.from('{"records":[]}'), BOM]), where: 'sequence 1' },
      { body: BOM, where: 'sequence 2' },
      { body: '\uFEFF', where: 'sequence 3' },
      { body: Buffer.concat([BOM, Buffer.from([0xff, 0xfe])]), where: 'sequence 4' },
    ], 'kafka:topic/0');
    expect(units.map((u) => u.text)).toEqual(['{"records":[]}\uFEFF']);
    expect(rejects.map((r) => r.reason)).toEqual(['sequence 2: empty message body', 'sequence 3: empty message body', 'sequence 4: not valid UTF-8']);
  });
});
