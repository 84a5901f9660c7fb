/**
 * Reading cells as `LogsQueryClient` hands them over: `datetime` cells are `new Date(text)`,
 * so text the SDK cannot read arrives as an Invalid Date.
 */
import { describe, expect, it } from 'vitest';
import { CellError, rowObject, text, timeOf } from './columns.js';
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

  it('reads TimeGenerated text as a record\'s time is read: days that do not exist and loose text are refused, no zone is UTC', () => {
    const t = (v: unknown) => timeOf({ TimeGenerated: v });
    expect(t('2025-11-14T05:00:00.1234567Z')).toBe('2025-11-14T05:00:00.123Z');
    expect(t('2025-11-14 05:00:00')).toBe('2025-11-14T05:00:00.000Z'); // not the machine's time zone
    expect(t('2025-11-14T05:00:00+01:00')).toBe('2025-11-14T04:00:00.000Z');
    expect(t(new Date('2025-11-14T05:00:00Z'))).toBe('2025-11-14T05:00:00.000Z');
    // new Date() made these 2025-03-02, 2001-01-01 and 2001-01-01.
    for (const odd of ['2025-02-30T00:00:00Z', 'x 1', '1', '2025-11-14T05:00:00Z\u0000', 'Fri, 14 Nov 2025 05:00:00 GMT', 1700000000, bad]) {
      expect(() => t(odd), String(odd)).toThrow(/column TimeGenerated: expected a datetime/);
    }
    expect(() => t('')).toThrow(/column TimeGenerated: missing/);
  });

  it('a TimeGenerated named in another case is not read as the time, and the reason names what the row has instead', () => {
    // Before: 'missing; every row needs its time', as if the row had no time at all.
    const time = '2025-11-14T05:00:00Z';
    expect(() => timeOf({ timegenerated: time })).toThrow(/column TimeGenerated: missing, no column of that name; found "timegenerated"/);
    expect(() => timeOf({ TIMEGENERATED: time, TimeGenerated_s: 'x' })).toThrow(/column TimeGenerated: missing, no column of that name; found "TIMEGENERATED"/);
    expect(() => timeOf({ 'TimeGenerated ': time })).toThrow(/column TimeGenerated: missing, no column of that name; found "TimeGenerated "/);
    expect(() => timeOf({ OperationName: 'x' })).toThrow(/column TimeGenerated: missing, no column of that name; every row needs its time/);
    // The column there with no cell is what it was.
    expect(() => timeOf({ TimeGenerated: null, timegenerated: time })).toThrow(/column TimeGenerated: missing; every row needs its time/);
    for (const table of Object.keys(tables) as (keyof typeof tables)[]) {
      expect(() => tables[table]({ timegenerated: time, OperationName: 'SecretGet', Category: 'AuditEvent' }), table).toThrow(/found "timegenerated"/);
    }
  });
});

describe('cells of another type than their column\'s', () => {
  it('a number or true/false column holding something else keeps it, as it is, in the record (every table reading one)', () => {
    // Before: absent from the record, so from the stored row's raw and details too.
    const TimeGenerated = '2025-11-14T05:00:00Z';
    const kv = tables.AZKVAuditLogs({ TimeGenerated, DurationMs: 'abc', HttpStatusCode: 'n/a', IsRbacAuthorized: 'yes', IsAccessPolicyMatch: 1, SoftDeleteRetentionInDays: { d: 7 }, EnableSoftDelete: 'TRUE' });
    expect(kv).toMatchObject({ durationMs: 'abc', properties: { httpStatusCode: 'n/a', isRbacAuthorized: 'yes', isAccessPolicyMatch: 1, softDeleteRetentionInDays: { d: 7 }, enableSoftDelete: true } });
    expect(tables.AzureDiagnostics({ TimeGenerated, Category: 'AuditEvent', DurationMs: [5] })).toMatchObject({ durationMs: [5] });
    expect(tables.StorageBlobLogs({ TimeGenerated, DurationMs: true, StatusCode: '200', RequestHeaderSize: [298], ResponseBodySize: false }))
      .toMatchObject({ durationMs: true, statusCode: 200, properties: { requestHeaderSize: [298], responseBodySize: false } });
    expect(tables.AuditLogs({ TimeGenerated, DurationMs: 'x', Level: '4' })).toMatchObject({ durationMs: 'x', Level: 4 });
    expect(tables.SigninLogs({ TimeGenerated, IsInteractive: 'no', IsRisky: 0 })).toMatchObject({ properties: { isInteractive: 'no', isRisky: 0 } });
    // What they read stays read: numbers, numeric text, true/false in any case; empty and null are absent.
    expect(tables.AZKVAuditLogs({ TimeGenerated, DurationMs: ' 12 ', HttpStatusCode: 200, IsRbacAuthorized: 'False', IsAddressAuthorized: '', IsAccessPolicyMatch: null }))
      .toEqual(expect.objectContaining({ durationMs: 12, properties: { httpStatusCode: 200, isRbacAuthorized: false } }));
  });
});

describe('column and key names that are Object.prototype\'s', () => {
  it('a __proto__ column is a column: its cell is kept and its keys are not read as other columns', () => {
    const row = rowObject([{ name: 'TimeGenerated' }, { name: 'Category' }, { name: '__proto__' }], ['2025-11-14T05:00:00Z', 'Other', { OperationName: 'Injected' }]);
    expect(Object.keys(row)).toEqual(['TimeGenerated', 'Category', '__proto__']);
    expect(row.OperationName).toBeUndefined();
    const record = tables.AzureDiagnostics(row);
    expect(record.operationName).toBeUndefined();
    expect(JSON.parse(JSON.stringify(record.properties))).toEqual(JSON.parse('{"__proto__":{"OperationName":"Injected"}}'));
  });

  it('AzureDiagnostics keeps __proto__ claims, properties and AdditionalFields keys as keys', () => {
    const base = { TimeGenerated: '2025-11-14T05:00:00Z', OperationName: 'SecretGet' };
    for (const Category of ['Other', 'AuditEvent']) {
      const record = tables.AzureDiagnostics({ ...base, Category, identity_claim___proto___s: 'c', __proto___s: 'p', AdditionalFields: '{"__proto__":{"x":1},"y":2}' });
      expect(JSON.parse(JSON.stringify(record)), Category).toMatchObject(JSON.parse('{"identity":{"claim":{"__proto__":"c"}},"properties":{"__proto__":"p","y":2}}'));
      expect(Object.getPrototypeOf(record.properties)).toBe(Object.prototype);
    }
    const nested = tables.AzureDiagnostics({ ...base, Category: 'AuditEvent', networkAcls_s: '{"__proto__":{"x":1}}', AdditionalFields: '{"networkAcls":{"a":1}}' });
    expect(JSON.parse(JSON.stringify(nested.properties))).toEqual(JSON.parse('{"networkAcls":{"a":1,"__proto__":{"x":1}}}'));
  });

  it('AZKVAuditLogs keeps a __proto__ key of Properties', () => {
    const record = tables.AZKVAuditLogs({ TimeGenerated: '2025-11-14T05:00:00Z', Properties: '{"__proto__":{"x":1},"sku":"standard"}' });
    expect(JSON.parse(JSON.stringify(record.properties))).toEqual(JSON.parse('{"__proto__":{"x":1},"sku":"standard"}'));
  });
});
