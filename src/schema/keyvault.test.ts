import { describe, expect, it } from 'vitest';
import { parseVaultObjectUri } from './keyvault.js';
import { normalizeRecord } from './normalize.js';
import { fieldsOf, fixtureRecords } from './test-support.js';

const records = fixtureRecords('keyvault', 'auditevent.json');

const nth = (op: string, i = 0) => records.filter((r) => r.operationName === op)[i]!;

const VAULT = '/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourcegroups/rg-fabrikam-ml/providers/microsoft.keyvault/vaults/kv-fabrikam-ml';
const USER = '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const CLI = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

describe('keyvault AuditEvent', () => {
  it('maps SecretList with short claim keys, a string durationMs and an upper-case resourceId', () => {
    expect(fieldsOf(nth('SecretList'))).toEqual({
      time: Date.UTC(2025, 10, 14, 1, 40, 2, 123),
      category: 'AuditEvent',
      operation: 'SecretList',
      result: 'success',
      status_code: '200',
      principal_id: USER,
      principal_name: 'ada.park@fabrikam-demo.example',
      app_id: CLI,
      principal_type: 'user',
      auth_type: 'oauth',
      caller_ip: '203.0.113.24',
      resource_id: VAULT,
      target: null,
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: 'azsdk-python-keyvault-secrets/4.8.0 Python/3.11.6 (Linux-6.5.0-x86_64)',
      tls_version: 'TLS1_2',
      correlation_id: '6f1d2c3b-0a9e-4d8c-b7a6-5e4f3d2c1b0a',
      details: {
        object_kind: 'secrets',
        object_version: null,
        request_path: '/secrets',
        result_type: 'Success',
        result_signature: 'OK',
        duration_ms: 41,
        tenant_id: '0f4e2c1a-7b6d-4c3e-8a9f-5d2b1e0c9a87',
        managed_identity_resource_id: null,
        is_access_policy_match: true,
        is_rbac_authorized: false,
        is_address_authorized: null,
        trusted_service: null,
        applied_assignment_id: null,
      },
    });
  });

  it('reads URI claim keys, a US-style time and the secret name and version from properties.id', () => {
    const f = fieldsOf(nth('SecretGet', 0));
    expect(f.time).toBe(Date.UTC(2025, 10, 14, 1, 48, 53));
    expect(f.principal_id).toBe(USER);
    expect(f.principal_name).toBe('ada.park@fabrikam-demo.example');
    expect(f.app_id).toBe(CLI);
    expect(f.principal_type).toBe('user');
    expect(f.target).toBe('db-password');
    expect(f.details.object_kind).toBe('secrets');
    expect(f.details.object_version).toBe('4f2a9c0e8b7d4e1fa3c5b6d7e8f90123');
    expect(f.details.duration_ms).toBe(12);
  });

  it('treats a 403 as a failure even though resultType says Success', () => {
    const f = fieldsOf(nth('SecretGet', 1));
    expect(f).toMatchObject({
      result: 'failure',
      status_code: '403',
      principal_id: '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968',
      principal_name: null,
      app_id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      principal_type: 'servicePrincipal',
      caller_ip: '198.51.100.77',
      target: 'storage-conn',
      user_agent: 'python-requests/2.31.0',
      correlation_id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    });
    expect(f.details).toMatchObject({ result_type: 'Success', result_signature: 'Forbidden', is_access_policy_match: false, is_rbac_authorized: false });
  });

  it('recognises a managed identity by xms_mirid and reads a numeric durationMs', () => {
    const f = fieldsOf(nth('KeyGet'));
    expect(f).toMatchObject({ principal_type: 'managedIdentity', principal_id: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e', target: 'cmk-training', tls_version: 'TLS1_3', caller_ip: '10.20.1.15' });
    expect(f.details).toMatchObject({
      object_kind: 'keys',
      object_version: '9a8b7c6d5e4f40312a1b0c9d8e7f6a5b',
      duration_ms: 7,
      is_rbac_authorized: true,
      managed_identity_resource_id: '/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourcegroups/rg-fabrikam-ml/providers/microsoft.managedidentity/userassignedidentities/id-trainer',
    });
  });

  it('accepts `Succeeded` and a string httpStatusCode; names deleted and backed-up objects', () => {
    const del = fieldsOf(nth('SecretDelete'));
    expect([del.result, del.status_code, del.target, del.details.result_type]).toEqual(['success', '200', 'old-api-key', 'Succeeded']);
    const purge = fieldsOf(nth('SecretPurge'));
    expect([purge.status_code, purge.target, purge.details.object_kind]).toEqual(['204', 'old-api-key', 'deletedsecrets']);
    const backup = fieldsOf(nth('KeyBackup'));
    expect([backup.target, backup.details.object_kind, backup.details.object_version, backup.details.request_path])
      .toEqual(['cmk-training', 'keys', null, '/keys/cmk-training/backup']);
  });

  it('reads firewall changes from properties sent as a single-quoted JSON string', () => {
    const f = fieldsOf(nth('VaultPatch'));
    expect(f).toMatchObject({ operation: 'VaultPatch', result: 'success', target: null, user_agent: 'azure-resource-manager/2.0', resource_id: VAULT });
    expect(f.details).toMatchObject({
      is_network_rule_change: true,
      network_default_action: 'Allow',
      network_bypass: 'AzureServices',
      network_ip_rule_count: 0,
      public_network_access: 'Enabled',
      object_kind: null,
    });
  });

  it('reads access-policy grants from VaultPut', () => {
    const f = fieldsOf(nth('VaultPut'));
    expect(f.details).toMatchObject({
      is_access_policy_change: true,
      added_access_policy_object_id: '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968',
      added_access_policy_permissions: 'secrets:get,list',
      enable_rbac_authorization: false,
      enable_soft_delete: true,
      enable_purge_protection: false,
    });
  });

  it('lists only the names among access-policy permissions', () => {
    // Found by test/ingest-fuzz.test.ts: String() of {"toString":1} threw, and the record was
    // refused as "record could not be read: Cannot convert object to primitive value", naming no field.
    const put = nth('VaultPut');
    const policy = (put.properties as { addedAccessPolicy: Record<string, unknown> }).addedAccessPolicy;
    const odd = JSON.parse(JSON.stringify({ ...put, properties: { ...(put.properties as object), addedAccessPolicy: {
      ...policy, Permissions: { secrets: [{ toString: 1 }, 'Get', null, ' '], keys: [{}], certificates: 'all', storage: [7] },
    } } }));
    expect(fieldsOf(odd).details).toMatchObject({ added_access_policy_permissions: 'secrets:get;storage:7' });
  });

  it('keeps a notification without a caller', () => {
    const f = fieldsOf(nth('VaultAccessPolicyChangedEventGridNotification'));
    expect(f).toMatchObject({ principal_id: null, principal_type: 'unknown', auth_type: null, caller_ip: null, user_agent: null, status_code: '200' });
  });

  it('rejects a record without a usable time, naming the field', () => {
    const { time: _t, ...noTime } = nth('SecretList');
    const missing = normalizeRecord(noTime);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toMatch(/AuditEvent.*\btime\b/);
    const bad = normalizeRecord({ ...nth('SecretList'), time: 'yesterday' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toContain('time');
  });

  it('tolerates missing optional fields, extra fields and unparseable properties', () => {
    const f = fieldsOf({ time: '2025-11-14T00:00:00Z', category: 'AuditEvent', extra: { a: 1 }, properties: 'not json' });
    expect(f).toMatchObject({ operation: 'unknown', result: 'unknown', status_code: null, target: null, resource_id: null, principal_type: 'unknown' });
  });
});

describe('parseVaultObjectUri', () => {
  it('splits object URIs and ignores vault roots and query strings', () => {
    expect(parseVaultObjectUri('https://v.vault.azure.net/certificates/tls-cert/abc?api-version=7.4')).toEqual({ kind: 'certificates', name: 'tls-cert', version: 'abc' });
    expect(parseVaultObjectUri('https://v.vault.azure.net/')).toEqual({ kind: null, name: null, version: null });
    expect(parseVaultObjectUri('not a uri')).toEqual({ kind: null, name: null, version: null });
  });
});
