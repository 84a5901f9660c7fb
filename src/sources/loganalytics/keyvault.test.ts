/**
 * Dynamic cells whose keys a mapper spreads into the record (AZKVAuditLogs' `Properties` and
 * `VaultProperties`, AzureDiagnostics' `AdditionalFields`) holding JSON that is not an object.
 */
import { describe, expect, it } from 'vitest';
import { tables } from './tables.js';

const time = '2025-11-14T05:00:00Z';

describe('spread dynamic cells of the wrong JSON type', () => {
  it('AZKVAuditLogs refuses Properties or VaultProperties that are not an object, naming the column, rather than dropping them', () => {
    expect(() => tables.AZKVAuditLogs({ TimeGenerated: time, Properties: '[{"sku":"standard"}]' })).toThrow(/column Properties: expected a JSON object, got an array/);
    expect(() => tables.AZKVAuditLogs({ TimeGenerated: time, VaultProperties: 7 })).toThrow(/column VaultProperties: expected a JSON object, got a number/);
    expect(() => tables.AZKVAuditLogs({ TimeGenerated: time, Properties: 'standard' })).toThrow(/column Properties: expected a JSON object, got text/);
    expect(tables.AZKVAuditLogs({ TimeGenerated: time, Properties: '', VaultProperties: null }).properties).toEqual({});
    expect(tables.AZKVAuditLogs({ TimeGenerated: time, Properties: '{"sku":"standard"}' }).properties).toEqual({ sku: 'standard' });
  });

  it('AZKVAuditLogs keeps an Identity that is not an object as it is, as a streamed record would hold it', () => {
    expect(tables.AZKVAuditLogs({ TimeGenerated: time, Identity: '[{"oid":"x"}]' }).identity).toEqual([{ oid: 'x' }]);
    expect(tables.AZKVAuditLogs({ TimeGenerated: time, Identity: 'Bob Builder' }).identity).toBe('Bob Builder');
    expect(tables.AZKVAuditLogs({ TimeGenerated: time, Identity: '{"oid":"x"}' }).identity).toEqual({ claim: { oid: 'x' } });
    expect(tables.AZKVAuditLogs({ TimeGenerated: time, Identity: '' })).not.toHaveProperty('identity');
  });

  it('AzureDiagnostics refuses AdditionalFields that are not an object, naming the column', () => {
    expect(() => tables.AzureDiagnostics({ TimeGenerated: time, Category: 'AuditEvent', AdditionalFields: '[1,2]' })).toThrow(/column AdditionalFields: expected a JSON object, got an array/);
    expect(() => tables.AzureDiagnostics({ TimeGenerated: time, Category: 'Other', AdditionalFields: true })).toThrow(/column AdditionalFields: expected a JSON object, got a boolean/);
    expect(tables.AzureDiagnostics({ TimeGenerated: time, Category: 'Other', AdditionalFields: '{"a":1}' }).properties).toEqual({ a: 1 });
  });
});
