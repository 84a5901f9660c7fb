/**
 * `backfill()` with a stand-in LogsQueryClient: what a refused row leaves in `rejects`.
 */
import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from '@azure/monitor-query-logs';
import { describe, expect, it } from 'vitest';
import type { Unit } from '../../decode/unit.js';
import type { RejectRow } from '../../schema/event.js';
import { backfill } from './source.js';

function client(columns: string[], rows: unknown[][]): LogsQueryClient {
  const table = { name: 'PrimaryResult', columnDescriptors: columns.map((name) => ({ name, type: 'string' })), rows } as unknown as LogsTable;
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
});
