import { describe, expect, it } from 'vitest';
import { answerReviver } from './answer-values.js';

const columns = [
  { name: 'time', type: 'TIMESTAMP WITH TIME ZONE' },
  { name: 'operation', type: 'VARCHAR' },
  { name: 'event_id', type: 'VARCHAR' },
  { name: 'bytes_out', type: 'BIGINT' },
  { name: 'target', type: 'VARCHAR' },
  { name: 'flag', type: 'BOOLEAN' },
  { name: 'resource', type: 'VARCHAR' },
];

/** Rows as the server writes them: two columns that repeat, one that never does, one that repeats only after the sample. */
function answerRows(n: number): unknown[][] {
  return Array.from({ length: n }, (_, i) => [
    new Date(Date.UTC(2025, 10, 14) + i * 1000).toISOString(),
    i % 7 === 0 ? null : ['SecretGet', 'GetBlob', 'KeyDecrypt'][i % 3],
    `event-${i}`,
    i % 5 === 0 ? '9007199254740993' : i,
    i < 300 ? `blob-${i}` : `blob-${i % 4}`,
    i % 2 === 0,
    `vault-${i % 5}`,
  ]);
}

describe('answerReviver', () => {
  it('gives back every row as sent, times as Dates and large integers as BigInts, over the sample and past it', () => {
    const sent = answerRows(2000);
    const revive = answerReviver(columns);
    const revived = (JSON.parse(JSON.stringify(sent)) as unknown[][]).map(revive);
    expect(revived).toEqual(sent.map(([time, operation, id, bytes, target, flag, resource]) => [
      new Date(time as string), operation, id, typeof bytes === 'string' ? BigInt(bytes) : bytes, target, flag, resource,
    ]));
  });

  it('leaves what is not its type as it came', () => {
    const revive = answerReviver(columns);
    expect(revive(['not a time', 42, null, '12x', 'x', null, 7])).toEqual(['not a time', 42, null, '12x', 'x', null, 7]);
  });
});
