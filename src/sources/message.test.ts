import { describe, expect, it } from 'vitest';
import { unitsFromMessages } from './message.js';

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
});
