/**
 * `backfill()` with a stand-in LogsQueryClient: what a refused row leaves in `rejects`.
 */
import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from '@azure/monitor-query-logs';
import { describe, expect, it } from 'vitest';
import { decodeUnit, DEFAULT_LIMITS, emptyDecoded, type Unit } from '../../decode/unit.js';
import type { RejectRow } from '../../schema/event.js';
import { backfill } from './source.js';

/** Columns typed `string` unless given as `name:type`. */
function client(columns: string[], rows: unknown[][]): LogsQueryClient {
  const columnDescriptors = columns.map((c) => ({ name: c.replace(/:\w+$/, ''), type: /:(\w+)$/.exec(c)?.[1] ?? 'string' }));
  const table = { name: 'PrimaryResult', columnDescriptors, rows } as unknown as LogsTable;
  return { queryWorkspace: async () => ({ status: LogsQueryResultStatus.Success, tables: [table] }) } as unknown as LogsQueryClient;
}

async function outcomeOf(columns: string[], rows: unknown[][]): Promise<{ units: Unit[]; rejects: RejectRow[] }> {
  const out = { units: [] as Unit[], rejects: [] as RejectRow[] };
  for await (const b of backfill({ client: client(columns, rows), workspace: 'w', tables: ['SigninLogs'], sinceMs: 0, untilMs: 86_400_000,
    sliceMs: 86_400_000, minSliceMs: 60_000, maxRows: 100, settledBeforeMs: 0, checkpoints: [] })) {
    out.units.push(...b.units);
    out.rejects.push(...b.rejects);
  }
  return out;
}

const rejectsOf = async (columns: string[], rows: unknown[][]) => (await outcomeOf(columns, rows)).rejects;

describe('backfill rejects', () => {
  it('a reason quoting the cell (V8\'s JSON.parse message, the time given) holds no control characters and no secrets', async () => {
    const rejects = await rejectsOf(['TimeGenerated', 'AuthenticationDetails'], [
      ['2025-11-14T05:00:00Z', '[password=hunter2 \u001b[2J]'], // V8: Unexpected token 'p', "[password=hunter2 \u001b[2J]" is not valid JSON
      ['\u007f2025-11-14\u2028', ''],
    ]);
    expect(rejects).toHaveLength(2);
    expect(rejects[0]!.reason).toMatch(/^SigninLogs \S+ row 1: SigninLogs column AuthenticationDetails: expected JSON/);
    expect(rejects[1]!.reason).toMatch(/^SigninLogs \S+ row 2: SigninLogs column TimeGenerated: expected a datetime/);
    for (const r of rejects) {
      expect(r.reason).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
      expect(r.reason).not.toContain('hunter2');
      expect(r.raw).not.toContain('hunter2');
    }
  });

  it('an answer whose time column is named in another case: every row refused, the reason saying what was found', async () => {
    // Before: 'missing; every row needs its time', or (AuthenticationDetails read first) a reason about another cell.
    const rejects = await rejectsOf(['timegenerated', 'AuthenticationDetails'], [
      ['2025-11-14T05:00:00Z', '[]'],
      ['2025-11-14T05:00:00Z', '{not json'],
    ]);
    expect(rejects.map((r) => r.reason.replace(/^\S+ \S+ row \d+: /, ''))).toEqual(Array(2).fill(
      'SigninLogs column TimeGenerated: missing, no column of that name; found "timegenerated" (column names are case-sensitive; a column named otherwise is not read as the time)'));
    expect(JSON.parse(rejects[0]!.raw)).toEqual({ timegenerated: '2025-11-14T05:00:00Z', AuthenticationDetails: '[]' });
  });

  it('an answer naming a column twice: every row refused naming the column, both cells kept in rejects.raw', async () => {
    // Before: the last cell silently won ('Bob' stored, 'Mallory' gone), or TimeGenerated's did.
    for (const [columns, rows, twice] of [
      [['TimeGenerated', 'UserPrincipalName', 'Id', 'UserPrincipalName'], [['2025-11-14T05:00:00Z', 'mallory@contoso.example', 'i1', 'bob@contoso.example']], 'UserPrincipalName'],
      [['TimeGenerated', 'Id', 'TimeGenerated'], [['2025-11-14T05:00:00Z', 'i1', '2025-11-14T06:00:00Z'], ['2025-11-14T05:00:00Z', 'i2', null]], 'TimeGenerated'],
    ] as const) {
      const { units, rejects } = await outcomeOf([...columns], rows.map((r) => [...r]));
      expect(units).toEqual([]);
      expect(rejects).toHaveLength(rows.length);
      const at = columns.flatMap((c, i) => (c === twice ? [i + 1] : []));
      for (const [i, r] of rejects.entries()) {
        expect(r.reason).toMatch(/^SigninLogs \S+ row \d+: /);
        expect(r.reason.replace(/^\S+ \S+ row \d+: /, '')).toBe(`SigninLogs column ${twice}: named twice in the answer (columns ${at.join(' and ')}); no cell of it is chosen over the other`);
        // Every cell, in column order, under its name.
        expect(JSON.parse(r.raw)).toEqual(columns.map((c, k) => [c, rows[i]![k]]));
      }
    }
  });

  it('a number a double cannot hold (1e400) in JSON text reaches the record as written, and is stored as the same record from Event Hubs is', async () => {
    // Before: JSON.parse made 1e400 Infinity and JSON.stringify wrote null: the stored record said null, with no reject.
    const status = '{"errorCode":0,"weird":1e400,"n":[-1e400,1e-400],"big":9007199254740993,"small":0.5,"s":"1e400"}';
    const { units, rejects } = await outcomeOf(['TimeGenerated', 'Id', 'OperationName', 'Status'], [['2025-11-14T05:00:00Z', 'i1', 'Sign-in activity', status]]);
    expect(rejects).toEqual([]);
    expect(units).toHaveLength(1);
    expect(units[0]!.text).toContain(`"status":${status}`);
    const backfilled = emptyDecoded();
    decodeUnit(units[0]!, DEFAULT_LIMITS, backfilled);
    // The record as Event Hubs would deliver it: the decoder keeps its text in raw, and reads the fields as JSON.parse does.
    const streamed = emptyDecoded();
    decodeUnit({ text: units[0]!.text, source: 'eventhubs:h/0', where: 'offset 1' }, DEFAULT_LIMITS, streamed);
    expect(backfilled.rows).toHaveLength(1);
    expect(backfilled.rows[0]!.raw).toContain('"weird":1e400');
    expect(backfilled.rows[0]!.raw).toContain('"big":9007199254740993');
    expect({ ...backfilled.rows[0]!, source: '', ingested_at: 0 }).toEqual({ ...streamed.rows[0]!, source: '', ingested_at: 0 });
  });

  it('a dynamic cell the SDK already parsed, holding Infinity (its text gone): the row is refused naming the column and where in it', async () => {
    // Before: stored with null in its place and no reject.
    const { units, rejects } = await outcomeOf(['TimeGenerated', 'Id', 'Status:dynamic', 'LocationDetails:dynamic'], [
      ['2025-11-14T05:00:00Z', 'i1', { errorCode: 0, additionalDetails: [1, Infinity] }, { city: 'x' }],
      ['2025-11-14T05:00:00Z', 'i2', { errorCode: 0 }, -Infinity],
      ['2025-11-14T05:00:00Z', 'i3', { errorCode: 0 }, { city: 'x' }],
    ]);
    expect(units).toHaveLength(1);
    expect(rejects.map((r) => r.reason.replace(/^\S+ \S+ row \d+: /, ''))).toEqual([
      'SigninLogs column Status: additionalDetails[1]: a number JSON cannot hold (Infinity: beyond a double\'s range, its digits gone before auditlake read the cell)',
      'SigninLogs column LocationDetails: a number JSON cannot hold (-Infinity: beyond a double\'s range, its digits gone before auditlake read the cell)',
    ]);
  });

  it('a cell of the wrong type in a number or true/false column stays in the record, as a streamed record keeps it in raw', async () => {
    // Before: number() and bool() made 'abc' and 'yes' absent: the stored row had no trace of them (raw nor details).
    const { units, rejects } = await outcomeOf(['TimeGenerated', 'Id', 'OperationName', 'DurationMs', 'IsInteractive', 'IsRisky', 'FlaggedForReview'],
      [['2025-11-14T05:00:00Z', 'i1', 'Sign-in activity', 'abc', 'yes', '7', 'FALSE']]);
    expect(rejects).toEqual([]);
    const record = JSON.parse(units[0]!.text) as { durationMs: unknown; properties: Record<string, unknown> };
    expect(record.durationMs).toBe('abc');
    expect(record.properties).toMatchObject({ isInteractive: 'yes', isRisky: '7', flaggedForReview: false });
    // Stored as the same record from Event Hubs is: the values in raw, the fields that cannot read them null.
    const backfilled = emptyDecoded();
    decodeUnit(units[0]!, DEFAULT_LIMITS, backfilled);
    const streamed = emptyDecoded();
    decodeUnit({ text: units[0]!.text, source: 'eventhubs:h/0', where: 'offset 1' }, DEFAULT_LIMITS, streamed);
    expect(backfilled.rows[0]!.raw).toContain('"durationMs":"abc"');
    expect({ ...backfilled.rows[0]!, source: '', ingested_at: 0 }).toEqual({ ...streamed.rows[0]!, source: '', ingested_at: 0 });
  });

  it('a row with more cells than the answer has columns is refused, every cell kept in rejects.raw', async () => {
    // Before: stored without the cells past the last column, with no reject.
    const { units, rejects } = await outcomeOf(['TimeGenerated', 'Id'], [['2025-11-14T05:00:00Z', 'i1', 'surplus', 1], ['2025-11-14T05:00:00Z', 'i2']]);
    expect(units).toHaveLength(1);
    expect(rejects.map((r) => r.reason.replace(/^\S+ \S+ row \d+: /, ''))).toEqual([
      'SigninLogs column #3: a cell past the answer\'s 2 columns (the row has 4); refused rather than dropped',
    ]);
    expect(JSON.parse(rejects[0]!.raw)).toEqual([['TimeGenerated', '2025-11-14T05:00:00Z'], ['Id', 'i1'], [null, 'surplus'], [null, 1]]);
  });
});
