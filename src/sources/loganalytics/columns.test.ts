/**
 * Reading cells as `LogsQueryClient` hands them over: `datetime` cells are `new Date(text)`,
 * so text the SDK cannot read arrives as an Invalid Date.
 */
import { describe, expect, it } from 'vitest';
import { CellError, text } from './columns.js';
import { tables } from './tables.js';

const bad = new Date('not a time');

describe('Log Analytics cells', () => {
  it('refuses an Invalid Date in a datetime column other than TimeGenerated, naming the column, rather than throwing a RangeError', () => {
    expect(() => text({ LastModifiedTime: bad }, 'LastModifiedTime')).toThrow(CellError);
    expect(() => text({ LastModifiedTime: bad }, 'LastModifiedTime')).toThrow(/column LastModifiedTime: expected a datetime/);
    expect(text({ LastModifiedTime: new Date('2025-11-14T05:00:00Z') }, 'LastModifiedTime')).toBe('2025-11-14T05:00:00.000Z');
    const time = new Date('2025-11-14T05:00:00Z');
    expect(() => tables.StorageBlobLogs({ TimeGenerated: time, LastModifiedTime: bad })).toThrow(/column LastModifiedTime: expected a datetime/);
    expect(() => tables.AuditLogs({ TimeGenerated: time, ActivityDateTime: bad })).toThrow(/column ActivityDateTime: expected a datetime/);
    expect(() => tables.SigninLogs({ TimeGenerated: time, CreatedDateTime: bad })).toThrow(/column CreatedDateTime: expected a datetime/);
    // AzureDiagnostics reads every column it does not know into properties, Dates included.
    expect(() => tables.AzureDiagnostics({ TimeGenerated: time, Category: 'AuditEvent', when_t: bad })).toThrow(/column when_t: expected a datetime/);
    expect(() => tables.AzureDiagnostics({ TimeGenerated: time, Category: 'Other', when_t: bad })).toThrow(CellError);
  });
});
