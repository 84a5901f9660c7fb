import { describe, expect, it } from 'vitest';
import { familyOf, normalizeRecord } from './normalize.js';
import { fieldsOf, fixtureRecords, type Rec } from './test-support.js';

const load = (name: string): Rec[] => fixtureRecords('activity', name);


const SUB = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const RG = `/subscriptions/${SUB}/resourcegroups/rg-ml-prod`;
const VAULT = `${RG}/providers/microsoft.keyvault/vaults/kv-ml-prod`;
const ACCOUNT = `${RG}/providers/microsoft.storage/storageaccounts/stmlprodtraining`;
const ALICE = 'a1c3e5f7-0b2d-4f6a-8c1e-3a5b7c9d1e2f';
const MALLORY = 'b2d4f6a8-1c3e-4a5b-9d7f-0e2a4c6e8a0b';
const BOB = 'c3e5a7b9-2d4f-4b6c-8e0a-1f3b5d7f9a1c';
const DEPLOY_SP = 'e5a7c9d1-4f6b-4d8e-8a2c-3b5d7f9b1c3e';
const PORTAL = 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c';
const OWNER = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635';

const owner = load('role-assignment-owner.json');
const rbac = load('rbac-and-governance.ndjson');
const settings = load('resource-settings.json');
const rest = load('portal-export.json');
const byOp = (records: Rec[], op: string, i = 0) => records.filter((r) => r.operationName === op)[i]!;

describe('activity: role assignments (Event Hubs shape)', () => {
  it('maps the Success record of an Owner grant at subscription scope, field by field', () => {
    expect(fieldsOf(owner[1])).toEqual({
      time: Date.UTC(2025, 10, 14, 9, 12, 3, 640),
      category: 'Administrative',
      operation: 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE',
      result: 'success',
      status_code: 'Created',
      principal_id: ALICE,
      principal_name: 'alice.admin@contoso-ml.example',
      app_id: PORTAL,
      principal_type: 'user',
      auth_type: 'oauth',
      caller_ip: '203.0.113.10',
      resource_id: `/subscriptions/${SUB}/providers/microsoft.authorization/roleassignments/7b1e2c3d-4f5a-4b6c-9d7e-8f9a0b1c2d3e`,
      target: BOB,
      role_definition_id: OWNER,
      bytes_out: null,
      bytes_in: null,
      user_agent: null,
      tls_version: null,
      correlation_id: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
      details: {
        grantee_type: 'user',
        scope: `/subscriptions/${SUB}`,
        scope_type: 'subscription',
        role_name: 'Owner',
        self_assignment: false,
        caller_role: 'User Access Administrator',
      },
    });
  });

  it('reads the Start record from its PascalCase requestbody and shares the correlationId', () => {
    const start = fieldsOf(owner[0]);
    const success = fieldsOf(owner[1]);
    expect(start.result).toBe('start');
    expect(start.status_code).toBe('Started.');
    expect(start.correlation_id).toBe(success.correlation_id);
    expect(start.target).toBe(BOB);
    expect(start.role_definition_id).toBe(OWNER);
    expect(start.details).toEqual(success.details);
  });

  it('never takes the role from identity.authorization.evidence (that is the caller\'s role)', () => {
    const r = structuredClone(owner[1]!);
    delete (r.properties as Rec).responseBody;
    const f = fieldsOf(r);
    expect(f.role_definition_id).toBeNull();
    expect(f.target).toBeNull();
    // The scope still comes from the assignment's own id.
    expect(f.details.scope).toBe(`/subscriptions/${SUB}`);
  });

  it('flags a self-assignment read from a single-quoted requestbody, with short claim keys', () => {
    const f = fieldsOf(rbac[0]);
    expect(f.principal_id).toBe(MALLORY);
    expect(f.principal_name).toBe('mallory@contoso-ml.example');
    expect(f.target).toBe(MALLORY);
    expect(f.role_definition_id).toBe('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9');
    expect(f.details).toEqual({
      grantee_type: 'user',
      scope: RG,
      scope_type: 'resourceGroup',
      role_name: 'User Access Administrator',
      self_assignment: true,
      caller_role: 'Owner',
    });
  });

  it('maps Key Vault Administrator at vault scope from a responseBody, with a US-style time and `Succeeded`', () => {
    const f = fieldsOf(rbac[1]);
    expect(f.time).toBe(Date.UTC(2025, 10, 14, 1, 48, 53));
    expect(f.result).toBe('success');
    expect(f.target).toBe(DEPLOY_SP);
    expect(f.role_definition_id).toBe('00482a5a-887f-4fb3-b363-3b7fe8e74483');
    expect(f.resource_id).toBe(`${VAULT}/providers/microsoft.authorization/roleassignments/3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a`);
    expect(f.details).toMatchObject({ grantee_type: 'servicePrincipal', scope: VAULT, scope_type: 'resource', role_name: 'Key Vault Administrator' });
  });
});

describe('activity: other privileged operations', () => {
  it('keeps elevateAccess as Azure spells it', () => {
    const f = fieldsOf(byOp(rbac, 'MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION'));
    expect(f.operation).toBe('MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION');
    expect(f.resource_id).toBe('/providers/microsoft.authorization');
    expect(f.principal_id).toBe(MALLORY);
    expect(f.result).toBe('success');
    expect(f.role_definition_id).toBeNull();
  });

  it('lists a custom role\'s actions and flags the `*` wildcard', () => {
    const f = fieldsOf(byOp(rbac, 'MICROSOFT.AUTHORIZATION/ROLEDEFINITIONS/WRITE'));
    expect(f.role_definition_id).toBe('4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b');
    expect(f.details).toEqual({
      role_name: 'ml-ops-breakglass',
      role_type: 'CustomRole',
      actions: '*',
      data_actions: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
      wildcard: true,
      assignable_scopes: `/subscriptions/${SUB}`,
      caller_role: 'Owner',
    });
  });

  it('names the monitored resource of a deleted diagnostic setting and the scope of a deleted policy assignment', () => {
    const diag = fieldsOf(byOp(rbac, 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE'));
    expect(diag.details.scope).toBe(VAULT);
    expect(diag.resource_id).toBe(`${VAULT}/providers/microsoft.insights/diagnosticsettings/to-sentinel`);
    const policy = fieldsOf(byOp(rbac, 'MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/DELETE'));
    expect(policy.details.scope).toBe(`/subscriptions/${SUB}`);
    expect(policy.operation).toBe('MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/DELETE');
  });
});

describe('activity: resource settings', () => {
  it('reads the storage shape (`category: Write`, lower-case operation) and publicNetworkAccess', () => {
    const f = fieldsOf(settings[0]);
    expect(f.category).toBe('Write');
    expect(f.operation).toBe('microsoft.storage/storageaccounts/write');
    expect(f.resource_id).toBe(ACCOUNT);
    expect(f.details).toEqual({ public_network_access: 'Enabled', network_default_action: 'Allow', caller_role: 'Contributor' });
  });

  it('reads PascalCase settings: minimumTlsVersion TLS1_0', () => {
    expect(fieldsOf(settings[1]).details).toEqual({
      minimum_tls_version: 'TLS1_0', allow_blob_public_access: true, https_only: false, caller_role: 'Contributor',
    });
  });

  it('repairs `properties` sent as a single-quoted string (listKeys by a service principal)', () => {
    expect(typeof settings[2]!.properties).toBe('string');
    const f = fieldsOf(settings[2]);
    expect(f).toMatchObject({
      category: 'Administrative',
      operation: 'MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION',
      status_code: 'OK',
      principal_id: DEPLOY_SP,
      principal_name: null,
      app_id: 'd4f6b8c0-3e5a-4c7d-9f1b-2a4c6e8a0b2d',
      principal_type: 'servicePrincipal',
      caller_ip: '192.0.2.44',
      resource_id: ACCOUNT,
    });
  });

  it('reads Key Vault purge protection and network settings', () => {
    expect(fieldsOf(settings[3]).details).toEqual({
      public_network_access: 'Disabled',
      enable_purge_protection: true,
      enable_soft_delete: true,
      enable_rbac_authorization: true,
      network_default_action: 'Deny',
      caller_role: 'Owner',
    });
  });
});

describe('activity: REST / portal-export shape', () => {
  it('maps eventTimestamp, {value, localizedValue} objects, caller, claims and httpRequest, field by field', () => {
    expect(fieldsOf(rest[0])).toEqual({
      time: Date.UTC(2025, 10, 14, 12, 40, 18, 228),
      category: 'Administrative',
      operation: 'Microsoft.Authorization/roleAssignments/write',
      result: 'success',
      status_code: 'Created',
      principal_id: ALICE,
      principal_name: 'alice.admin@contoso-ml.example',
      app_id: PORTAL,
      principal_type: 'user',
      auth_type: 'oauth',
      caller_ip: '203.0.113.10',
      resource_id: `${RG}/providers/microsoft.authorization/roleassignments/5f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c`,
      target: DEPLOY_SP,
      role_definition_id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
      bytes_out: null,
      bytes_in: null,
      user_agent: null,
      tls_version: null,
      correlation_id: '1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b',
      details: {
        grantee_type: 'servicePrincipal',
        scope: RG,
        scope_type: 'resourceGroup',
        role_name: 'Storage Blob Data Owner',
        self_assignment: false,
      },
    });
  });

  it('claims a REST record without a category by its shape', () => {
    const r = rest[1]!;
    expect(r.category).toBeUndefined();
    expect(familyOf(r).name).toBe('activity');
    const f = fieldsOf(r);
    expect(f.category).toBe('activity'); // the family's name: saved queries look for it too
    expect(f.operation).toBe('Microsoft.Storage/storageAccounts/listKeys/action');
    expect(f.principal_id).toBe(MALLORY);
    expect(f.caller_ip).toBe('198.51.100.23');
    expect(f.status_code).toBe('OK');
    expect(f.resource_id).toBe(ACCOUNT);
  });

  it('spells a category as the Activity log documents it, whatever case the record used', () => {
    const withCategory = (category: unknown): Rec => {
      const r = structuredClone(rest[0]!);
      delete (r.properties as Rec).eventCategory;
      return { ...r, category };
    };
    expect(fieldsOf(withCategory({ value: 'administrative', localizedValue: 'administrative' })).category).toBe('Administrative');
    expect(fieldsOf(withCategory('WRITE')).category).toBe('Write');
    expect(fieldsOf(withCategory({ value: 'SomethingNew', localizedValue: 'Something new' })).category).toBe('SomethingNew');
  });

  it('falls back to `caller` for the name and the claims\' ipaddr for the address', () => {
    const r = structuredClone(rest[0]!);
    r.claims = { oid: ALICE, appid: PORTAL, ipaddr: '2001:db8::7' };
    delete r.httpRequest;
    const f = fieldsOf(r);
    expect(f.principal_name).toBe('alice.admin@contoso-ml.example');
    expect(f.caller_ip).toBe('2001:db8::7');
  });

  it('does not claim records of other shapes', () => {
    expect(familyOf({ time: '2025-11-14T00:00:00Z', operationName: 'Something' }).name).toBe('generic');
    expect(familyOf({ time: '2025-11-14T00:00:00Z', category: 'StorageRead', operationName: 'GetBlob' }).name).not.toBe('activity');
  });
});

describe('activity: rejections', () => {
  it('rejects a record without time, naming the field', () => {
    const r = structuredClone(owner[1]!);
    delete r.time;
    const n = normalizeRecord(r);
    expect(n).toEqual({ ok: false, reason: expect.stringMatching(/^invalid Administrative record: time: missing/) });
  });

  it('rejects a REST record whose eventTimestamp cannot be read', () => {
    const r = { ...rest[0]!, eventTimestamp: 'yesterday' };
    const n = normalizeRecord(r);
    expect(n.ok).toBe(false);
    if (!n.ok) expect(n.reason).toMatch(/time: expected an ISO-8601 or US-style date-time, got "yesterday"/);
  });
});
