/**
 * `backfill()` with a stand-in LogsQueryClient: what a refused row leaves in `rejects`.
 */
import { LogsQueryResultStatus, type LogsQueryClient, type LogsTable } from '@azure/monitor-query-logs';
import { describe, expect, it } from 'vitest';
import type { RejectRow } from '../../schema/event.js';
import { backfill } from './source.js';

function client(columns: string[], rows: unknown[][]): LogsQueryClient {
  const table = { name: 'PrimaryResult', columnDescriptors: columns.map((name) => ({ name, type: 'string' })), rows } as unknown as LogsTable;
  return { queryWorkspace: async () => ({ status: LogsQueryResultStatus.Success, tables: [table] }) } as unknown as LogsQueryClient;
}

async function rejectsOf(columns: string[], rows: unknown[][]): Promise<RejectRow[]> {
  const out: RejectRow[] = [];
  for await (const b of backfill({ client: client(columns, rows), workspace: 'w', tables: ['SigninLogs'], sinceMs: 0, untilMs: 86_400_000,
    sliceMs: 86_400_000, minSliceMs: 60_000, maxRows: 100, settledBeforeMs: 0, checkpoints: [] })) out.push(...b.rejects);
  return out;
}

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
});
