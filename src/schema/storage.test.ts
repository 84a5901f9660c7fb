import { describe, expect, it } from 'vitest';
import { normalizeRecord } from './normalize.js';
import { fieldsOf, fixtureRecords } from './test-support.js';

const records = fixtureRecords('storage', 'blob.ndjson');

/** The fixture record whose correlationId ends in `nn`. */
const rec = (nn: string) => records.find((r) => String(r.correlationId).endsWith(`0000${nn}`))!;

const ACCOUNT = '/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourcegroups/rg-fabrikam-ml/providers/microsoft.storage/storageaccounts/stfabrikamml01';
const BLOB = `${ACCOUNT}/blobservices/default`;
const USER = '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e';
const SP = '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968';
const SP_APP = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

describe('storage StorageRead/Write/Delete', () => {
  it('maps a large OAuth GetBlob from an IPv6 caller', () => {
    expect(fieldsOf(rec('00'))).toEqual({
      time: Date.UTC(2025, 10, 14, 5, 0, 1, 987),
      category: 'StorageRead',
      operation: 'GetBlob',
      result: 'success',
      status_code: '200',
      principal_id: USER,
      principal_name: 'ada.park@fabrikam-demo.example',
      app_id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      principal_type: 'user',
      auth_type: 'oauth',
      caller_ip: '2001:db8:4f2a::17',
      resource_id: BLOB,
      target: '/stfabrikamml01/training-data/2025/corpus-full.parquet',
      role_definition_id: null,
      bytes_out: 5368709120,
      bytes_in: null,
      user_agent: 'azsdk-python-storage-blob/12.19.0 Python/3.11.6 (Linux-6.5.0-x86_64)',
      tls_version: 'TLS 1.3',
      correlation_id: '1c2d3e4f-5001-0042-7a3b-5d8f6e000000',
      details: {
        service_type: 'blob',
        account_name: 'stfabrikamml01',
        container: 'training-data',
        auth_detail: 'OAuth',
        token_hash: '7A1F3C9E2B4D6F80A1C3E5B7D9F1A3C5E7B9D1F3A5C7E9B1D3F5A7C9E1B3D5F7',
        status_text: 'Success',
        metric_response_type: 'Success',
        request_path: 'stfabrikamml01.blob.core.windows.net/training-data/2025/corpus-full.parquet',
        has_sas_signature: false,
        sas_permissions: null,
        sas_expiry: null,
        copy_source: null,
        requester_tenant_id: '0f4e2c1a-7b6d-4c3e-8a9f-5d2b1e0c9a87',
        delegated_resource_id: null,
        delegated_object_id: null,
        authorization_action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
        authorization_role_definition_id: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
        authorization_role_assignment_id: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
        client_request_id: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
        duration_ms: 48211,
        server_latency_ms: 9,
        protocol: 'HTTPS',
      },
    });
  });

  it('reads a service principal ListBlobs with a string statusCode', () => {
    expect(fieldsOf(rec('01'))).toMatchObject({
      operation: 'ListBlobs', status_code: '200', result: 'success',
      principal_id: SP, principal_name: null, app_id: SP_APP, principal_type: 'servicePrincipal',
      caller_ip: '198.51.100.77', target: '/stfabrikamml01/training-data', bytes_out: 18231,
    });
  });

  it('keeps a SAS signature out of every field and notes the SAS facts', () => {
    const f = fieldsOf(rec('02'));
    expect(f).toMatchObject({ auth_type: 'sas', caller_ip: null, principal_type: 'unknown', principal_id: null, bytes_out: 73400320 });
    expect(f.details).toMatchObject({ auth_detail: 'SAS', has_sas_signature: true, sas_permissions: 'rl', sas_expiry: '2026-12-31T00:00:00Z', status_text: 'SASSuccess' });
    const text = JSON.stringify(f);
    expect(text).not.toMatch(/sig=/i);
    expect(text).not.toContain('FAKEsignature');
  });

  it('reads the `SAS Key` and `Account Key` spellings; properties may be a single-quoted JSON string', () => {
    expect(fieldsOf(rec('03')).auth_type).toBe('sas');
    const put = fieldsOf(rec('05'));
    expect(put).toMatchObject({
      category: 'StorageWrite', operation: 'PutBlob', auth_type: 'accountkey', status_code: '201', result: 'success',
      caller_ip: '10.50.0.204', bytes_in: 1048576, bytes_out: 0, target: '/stfabrikamml01/checkpoints/epoch-07.pt', tls_version: 'TLS 1.2',
    });
    expect(put.details).toMatchObject({ auth_detail: 'Account Key', container: 'checkpoints' });
  });

  it('records the delegated resource of trusted-service access', () => {
    const f = fieldsOf(rec('04'));
    expect(f).toMatchObject({ principal_type: 'servicePrincipal', principal_id: 'd4c3b2a1-0f9e-4d8c-b7a6-95f4e3d2c1b0', status_code: '206', result: 'success' });
    expect(f.details.delegated_resource_id).toBe('/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourcegroups/rg-fabrikam-ml/providers/microsoft.machinelearningservices/workspaces/mlw-fabrikam');
  });

  it('keeps the copy source of CopyBlob without its SAS', () => {
    const f = fieldsOf(rec('06'));
    expect(f).toMatchObject({ operation: 'CopyBlob', status_code: '202', target: '/stfabrikamml01/exports/corpus-copy.parquet' });
    expect(f.details.copy_source).toBe('stexternal99.blob.core.windows.net/drop/corpus.parquet');
    expect(JSON.stringify(f)).not.toContain('FAKEsource');
  });

  it('maps an anonymous read', () => {
    expect(fieldsOf(rec('07'))).toMatchObject({
      auth_type: 'anonymous', principal_type: 'unknown', principal_id: null, result: 'success', status_code: '200',
      user_agent: 'curl/8.5.0', caller_ip: '192.0.2.200', target: '/stfabrikamml01/public/readme.txt',
    });
  });

  it('maps a denied delete with a US-style time', () => {
    const f = fieldsOf(rec('08'));
    expect(f).toMatchObject({ time: Date.UTC(2025, 10, 14, 5, 7, 9), category: 'StorageDelete', operation: 'DeleteBlob', result: 'failure', status_code: '403' });
    expect(f.details.status_text).toBe('AuthorizationPermissionMismatch');
  });

  it('maps Kerberos on Azure Files with null TLS and user agent', () => {
    const f = fieldsOf(rec('09'));
    expect(f).toMatchObject({ auth_type: 'kerberos', principal_type: 'user', tls_version: null, user_agent: null, resource_id: `${ACCOUNT}/fileservices/default` });
    expect(f.details.service_type).toBe('file');
  });

  it('rejects a record without a time and accepts a sparse one', () => {
    const { time: _t, ...noTime } = rec('00');
    const n = normalizeRecord(noTime);
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.reason).toMatch(/StorageRead.*\btime\b/);
    expect(fieldsOf({ time: '2025-11-14T05:00:00', category: 'StorageRead', surprise: true })).toMatchObject({
      time: Date.UTC(2025, 10, 14, 5), operation: 'unknown', result: 'unknown', status_code: null, auth_type: null, target: null, bytes_out: null,
    });
  });
});
