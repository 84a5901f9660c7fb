import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import type { AlertRow } from './alert.js';
import { compileExceptions, exceptionFor, markSuppressed, type ExceptionEntry } from './exceptions.js';

const IDS = ['keyvault.mass-secret-retrieval', 'keyvault.list-then-get', 'storage.listkeys-then-key-read'];
const VAULT = '/subscriptions/s1/resourcegroups/rg-ml/providers/microsoft.keyvault/vaults/kv-apps';

function alert(over: Partial<AlertRow> = {}): AlertRow {
  return {
    alert_id: 'a1', detector_id: 'keyvault.mass-secret-retrieval', title: 't', severity: 'high', tactics: [], techniques: [],
    time_generated: Date.UTC(2026, 0, 1), first_event_time: Date.UTC(2025, 10, 14, 2), last_event_time: Date.UTC(2025, 10, 14, 3),
    principal_id: '7f9b1d3f-5a7c-4e9b-8d1f-3b5d7f9b1c22', principal_name: 'Deploy@Contoso.example', app_id: '57edf5a7-9cbe-4bd0-8f5c-7e9abc3f5b10',
    caller_ip: '10.40.0.4', resource_id: VAULT, event_count: 42, evidence: {}, description: 'd', remediation: 'r', ...over,
  };
}

const reasonFor = (entry: Omit<ExceptionEntry, 'reason'>, a: AlertRow) => compileExceptions([{ reason: 'expected', ...entry }], IDS)(a);

describe('detector exceptions', () => {
  it('match a principal by object id, name or app id in any case, and only for the detectors they name', () => {
    for (const principal of ['7F9B1D3F-5A7C-4E9B-8D1F-3B5D7F9B1C22', 'deploy@contoso.example', '57edf5a7-9cbe-4bd0-8f5c-7e9abc3f5b10']) {
      expect(reasonFor({ detector: 'keyvault.mass-secret-retrieval', principal }, alert())).toBe('expected');
    }
    expect(reasonFor({ detector: 'keyvault', principal: 'deploy@contoso.example' }, alert())).toBe('expected');
    expect(reasonFor({ detector: 'keyvault.list-then-get', principal: 'deploy@contoso.example' }, alert())).toBeUndefined();
    expect(reasonFor({ detector: 'keyvault.', principal: 'someone@contoso.example' }, alert())).toBeUndefined();
  });

  it('match a resource or a scope above it, on whole path segments', () => {
    expect(reasonFor({ detector: 'keyvault.', resource: VAULT.toUpperCase() }, alert())).toBe('expected');
    expect(reasonFor({ detector: 'keyvault.', resource: '/subscriptions/s1/resourceGroups/RG-ML/' }, alert())).toBe('expected');
    expect(reasonFor({ detector: 'keyvault.', resource: '/subscriptions/s1/resourcegroups/rg-m' }, alert())).toBeUndefined();
    expect(reasonFor({ detector: 'keyvault.', resource: VAULT }, alert({ resource_id: null }))).toBeUndefined();
  });

  it('match an address or a CIDR range, IPv4 and IPv6', () => {
    expect(reasonFor({ detector: 'keyvault.', callerIp: '10.40.0.0/16' }, alert())).toBe('expected');
    expect(reasonFor({ detector: 'keyvault.', callerIp: '10.40.0.4' }, alert())).toBe('expected');
    expect(reasonFor({ detector: 'keyvault.', callerIp: '10.41.0.0/16' }, alert())).toBeUndefined();
    expect(reasonFor({ detector: 'keyvault.', callerIp: '2001:db8::/32' }, alert({ caller_ip: '2001:db8::7' }))).toBe('expected');
    expect(reasonFor({ detector: 'keyvault.', callerIp: '2001:db8::/32' }, alert({ caller_ip: null }))).toBeUndefined();
  });

  it('need every field given to match, and stop matching activity after they expire', () => {
    expect(reasonFor({ detector: 'keyvault.', principal: 'deploy@contoso.example', callerIp: '10.99.0.0/16' }, alert())).toBeUndefined();
    // A date runs through its end (UTC); the alert's last event decides.
    expect(reasonFor({ detector: 'keyvault.', callerIp: '10.40.0.4', expires: '2025-11-14' }, alert())).toBe('expected');
    expect(reasonFor({ detector: 'keyvault.', callerIp: '10.40.0.4', expires: '2025-11-14T03:00:00Z' }, alert())).toBeUndefined();
  });

  it('mark the alerts they suppress with the first matching entry\'s reason, and leave the others as they are', () => {
    const matcher = compileExceptions([
      { detector: 'storage.', principal: 'deploy@contoso.example', reason: 'not this one' },
      { detector: 'keyvault.', principal: 'deploy@contoso.example', reason: 'nightly pipeline (CHG-1234)' },
      { detector: 'keyvault.', callerIp: '10.40.0.0/16', reason: 'second' },
    ], IDS);
    const other = alert({ alert_id: 'a2', principal_id: null, principal_name: 'eve@contoso.example', caller_ip: '203.0.113.9' });
    const [quieted, raised] = markSuppressed([alert(), other], matcher);
    expect(quieted!.suppressed_by).toBe('nightly pipeline (CHG-1234)');
    expect(raised).toBe(other);
  });

  it('refuse an entry that could never match, naming it and the field', () => {
    const refused = (entry: Partial<ExceptionEntry>) => {
      try {
        compileExceptions([{ detector: 'keyvault.', principal: 'x', reason: 'r', ...entry } as ExceptionEntry], IDS, 'auditlake.yaml');
        return 'accepted';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(refused({ detector: 'keyvault.mass-secret-retreival' })).toMatch(/^auditlake\.yaml: detectors\.exceptions\[0\]\.detector: 'keyvault\.mass-secret-retreival' matches no detector/);
    expect(refused({ principal: undefined })).toMatch(/detectors\.exceptions\[0\]: give principal, resource or callerIp .*detectors\.disabled/);
    for (const callerIp of ['10.0.0.0/33', '10.0.0/8', 'vpn', '10.0.0.0/8/1', '2001:db8::/129', '10.0.0.0/']) {
      expect(refused({ callerIp })).toMatch(/detectors\.exceptions\[0\]\.callerIp: '.*' is not an address or a CIDR range/);
    }
    expect(refused({ expires: '90d' })).toMatch(/expires: '90d' is a duration/);
    expect(refused({ expires: '2026-02-30' })).toMatch(/detectors\.exceptions\[0\]\.expires 2026-02-30: not a date in the calendar/);
  });

  it('are read from auditlake.yaml, a reason required and unknown keys refused', () => {
    const config = parseConfig('detectors:\n  exceptions:\n    - { detector: keyvault., principal: deploy@contoso.example, reason: nightly pipeline }\n', 'auditlake.yaml');
    expect(config.detectors.exceptions).toEqual([{ detector: 'keyvault.', principal: 'deploy@contoso.example', reason: 'nightly pipeline' }]);
    expect(() => parseConfig('detectors:\n  exceptions:\n    - { detector: keyvault., principal: x }\n', 'auditlake.yaml')).toThrow(/detectors\.exceptions\.0\.reason/);
    expect(() => parseConfig('detectors:\n  exceptions:\n    - { detector: keyvault., principal: x, reason: r, ip: 10.0.0.1 }\n', 'auditlake.yaml')).toThrow(/ip/);
  });

  it('are written for an alert as narrow as it (principal by object id, else name or address, and resource), and read back to match it', () => {
    const byName = alert({ principal_id: null, principal_name: 'odd: "name" # here', resource_id: null });
    const byAddress = alert({ principal_id: null, principal_name: null, caller_ip: '203.0.113.9' });
    for (const [a, name] of [[alert(), 'Deploy'], [byName, undefined], [byAddress, undefined]] as const) {
      const yaml = exceptionFor(a, name).replace(/"TODO[^"]*"/, 'reviewed');
      const indented = yaml.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');
      const { exceptions } = parseConfig(`detectors:\n  exceptions:\n${indented}`, 'auditlake.yaml').detectors;
      expect(compileExceptions(exceptions, IDS)(a)).toBe('reviewed');
      expect(compileExceptions(exceptions, IDS)(alert({ alert_id: 'other', principal_id: 'someone-else', principal_name: 'x', caller_ip: '198.51.100.1', resource_id: '/elsewhere' }))).toBeUndefined();
    }
    expect(exceptionFor(alert(), 'Deploy')).toContain('principal: "7f9b1d3f-5a7c-4e9b-8d1f-3b5d7f9b1c22"   # Deploy\n');
    expect(exceptionFor(byAddress)).toContain('callerIp: "203.0.113.9"');
  });
});
