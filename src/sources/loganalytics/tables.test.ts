/**
 * Column mapping, table by table: each recorded-shape row (fixtures/loganalytics/<Table>.json,
 * written from the Event Hubs fixtures the way Azure Monitor lays records out in its tables)
 * rebuilds into a record that normalizes to the same `events` columns — and the same event_id —
 * as the Event Hubs record it came from.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../../schema/normalize.js';
import { toEventRow } from '../../schema/row.js';
import type { EventRow } from '../../schema/event.js';
import { fixtureRecords } from '../../schema/test-support.js';
import { CellError, rowObject, type Row } from './columns.js';
import { TABLE_NAMES, tables, type TableName } from './tables.js';

interface Recorded { tables: { columns: { name: string; type: string }[]; rows: unknown[][] }[] }

export function recordedRows(table: TableName): Row[] {
  const body = JSON.parse(readFileSync(new URL(`../../../fixtures/loganalytics/${table}.json`, import.meta.url), 'utf8')) as Recorded;
  const t = body.tables[0]!;
  return t.rows.map((cells) => rowObject(t.columns, cells));
}

function row(record: Record<string, unknown>, source: string): EventRow {
  const n = normalizeRecord(record);
  if (!n.ok) throw new Error(n.reason);
  return toEventRow(n.fields, '', source, n.nativeId);
}

const streamed = new Map<string, EventRow>();
for (const [folder, file] of [['keyvault', 'auditevent.json'], ['storage', 'blob.ndjson'], ['activity', 'role-assignment-owner.json'],
  ['activity', 'rbac-and-governance.ndjson'], ['entra', 'role-membership.ndjson'], ['entra', 'pim-settings.json'], ['signin', 'signins.json'],
  ['signin', 'managed-identity-and-noninteractive.ndjson']] as const) {
  for (const r of fixtureRecords(folder, file)) {
    const e = row(r, 'eventhubs');
    streamed.set(e.event_id, e);
  }
}

const COLUMNS = ['time', 'category', 'operation', 'result', 'status_code', 'principal_id', 'principal_name', 'app_id', 'principal_type', 'auth_type',
  'caller_ip', 'resource_id', 'subscription_id', 'resource_name', 'target', 'role_definition_id', 'bytes_out', 'correlation_id'] as const;

/** `details` keys a table has no column for: StorageBlobLogs keeps no `identity.delegatedResource`. */
const NOT_IN_TABLE: Partial<Record<TableName, string[]>> = { StorageBlobLogs: ['delegated_resource_id', 'delegated_object_id'] };
const without = (details: Record<string, unknown>, keys: string[] = []) => Object.fromEntries(Object.entries(details).filter(([k]) => !keys.includes(k)));

describe('Log Analytics rows → events', () => {
  for (const table of TABLE_NAMES) {
    it(`${table}: every recorded row maps to the columns (and id) of its Event Hubs twin`, () => {
      const rows = recordedRows(table);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        const e = row(tables[table](r), `loganalytics:w/${table}`);
        const twin = streamed.get(e.event_id);
        expect(twin, `${table} ${String(r.TimeGenerated)} ${String(r.OperationName ?? r.OperationNameValue)}: no streamed record with its event_id`).toBeDefined();
        for (const c of COLUMNS) {
          // Event Hubs spells an Activity record's status as `Started.` / `Succeeded.Created`; the table keeps only
          // the sub-status (`Created`), so without properties.statusCode the two status_code texts differ.
          if (c === 'status_code' && table === 'AzureActivity') continue;
          expect([c, e[c]]).toEqual([c, twin![c]]);
        }
        // The facts too (access policies, firewall, settings): the first copy of an event is the one kept.
        expect([String(r.OperationName ?? r.OperationNameValue), without(e.details, NOT_IN_TABLE[table])])
          .toEqual([String(r.OperationName ?? r.OperationNameValue), without(twin!.details, NOT_IN_TABLE[table])]);
      }
    });
  }

  it('reads cells as the SDK hands them over (Dates, parsed dynamics) like the wire text', () => {
    const wire = recordedRows('AzureActivity')[0]!;
    const sdk: Row = { ...wire, TimeGenerated: new Date(String(wire.TimeGenerated)), Claims_d: JSON.parse(String(wire.Claims_d)),
      Authorization_d: JSON.parse(String(wire.Authorization_d)), Properties_d: JSON.parse(String(wire.Properties_d)) };
    expect(row(tables.AzureActivity(sdk), 's').event_id).toBe(row(tables.AzureActivity(wire), 's').event_id);
  });

  it('maps AzureDiagnostics claim columns back to the claim URIs the principal readers know', () => {
    const record = tables.AzureDiagnostics({
      TimeGenerated: '2025-11-14T03:00:00.0000000Z', Category: 'AuditEvent', OperationName: 'SecretGet', ResultSignature: 'OK',
      ResourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1', CallerIPAddress: '198.51.100.7',
      identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g: '11111111-2222-4333-8444-555555555555',
      identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s: 'eve@contoso.example',
      id_s: 'https://kv1.vault.azure.net/secrets/db-password/abc', httpStatusCode_d: 200, TenantId: 'workspace', Type: 'AzureDiagnostics',
    });
    const e = row(record, 's');
    expect(e).toMatchObject({ principal_id: '11111111-2222-4333-8444-555555555555', principal_name: 'eve@contoso.example', principal_type: 'user',
      target: 'db-password', status_code: '200', result: 'success', caller_ip: '198.51.100.7', resource_name: 'kv1' });
    expect(record).not.toHaveProperty('TenantId');
  });

  it('rebuilds the Key Vault properties AzureDiagnostics flattened (access policies, firewall) into the facts of the streamed record', () => {
    const envelope = { time: '2025-11-14T06:00:00.0000000Z', resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1',
      operationName: 'VaultPatch', category: 'AuditEvent', resultType: 'Success', resultSignature: 'OK', callerIpAddress: '198.51.100.7' };
    const streamedRecord = { ...envelope, identity: { claim: { oid: '11111111-2222-4333-8444-555555555555' } }, properties: {
      id: 'https://kv1.vault.azure.net/', httpStatusCode: 200,
      removedAccessPolicy: { ObjectId: 'AAAAAAAA-0000-4000-8000-000000000001', Permissions: { keys: ['Get', 'UnwrapKey'], secrets: [] } },
      updatedAccessPolicy: { ObjectId: 'bbbbbbbb-0000-4000-8000-000000000002', Permissions: { secrets: ['Get', 'List', 'Set'] } },
      networkAcls: { bypass: 'None', defaultAction: 'Deny', ipRules: [{ value: '203.0.113.0/24' }, { value: '198.51.100.7/32' }], virtualNetworkRules: [] },
      enableRbacAuthorization: true, publicNetworkAccess: 'Disabled' } };
    const record = tables.AzureDiagnostics({
      TimeGenerated: envelope.time, ResourceId: envelope.resourceId, OperationName: 'VaultPatch', Category: 'AuditEvent', ResultType: 'Success',
      ResultSignature: 'OK', CallerIPAddress: '198.51.100.7', identity_claim_oid_g: '11111111-2222-4333-8444-555555555555',
      id_s: 'https://kv1.vault.azure.net/', httpStatusCode_d: 200,
      removedAccessPolicy_ObjectId_g: 'AAAAAAAA-0000-4000-8000-000000000001', removedAccessPolicy_Permissions_keys_s: '["Get", "UnwrapKey"]',
      removedAccessPolicy_Permissions_secrets_s: '[]', updatedAccessPolicy_ObjectId_g: 'bbbbbbbb-0000-4000-8000-000000000002',
      updatedAccessPolicy_Permissions_secrets_s: '["Get","List","Set"]',
      // Some workspaces hold the ARM body's own path (`properties_…`); what did not fit in the columns is in AdditionalFields.
      properties_networkAcls_bypass_s: 'None', properties_networkAcls_defaultAction_s: 'Deny',
      networkAcls_ipRules_s: '[{"value":"203.0.113.0/24"},{"value":"198.51.100.7/32"}]',
      AdditionalFields: JSON.stringify({ networkAcls: { virtualNetworkRules: [] }, publicNetworkAccess: 'Disabled' }),
      enableRbacAuthorization_b: true, TenantId: 'workspace', Type: 'AzureDiagnostics',
    });
    expect(record.properties).toMatchObject({ networkAcls: streamedRecord.properties.networkAcls, removedAccessPolicy: streamedRecord.properties.removedAccessPolicy });
    const e = row(record, 's');
    const twin = row(streamedRecord, 'eventhubs');
    expect(e.event_id).toBe(twin.event_id);
    expect(e.details).toEqual(twin.details);
    expect(e.details).toMatchObject({ removed_access_policy_object_id: 'aaaaaaaa-0000-4000-8000-000000000001', removed_access_policy_permissions: 'keys:get,unwrapkey',
      updated_access_policy_permissions: 'secrets:get,list,set', is_access_policy_change: true, is_network_rule_change: true,
      network_default_action: 'Deny', network_bypass: 'None', network_ip_rule_count: 2, enable_rbac_authorization: true, public_network_access: 'Disabled' });
  });

  it('keeps the flattened paths of other AzureDiagnostics categories as they are', () => {
    const record = tables.AzureDiagnostics({
      TimeGenerated: '2025-11-14T06:00:00Z', Category: 'SQLSecurityAuditEvents', OperationName: 'AuditEvent',
      server_principal_name_s: 'sqladmin', additional_information_s: '<batch_information/>', client_ip_s: '198.51.100.7', affected_rows_d: 3,
    });
    expect(record.properties).toEqual({ server_principal_name: 'sqladmin', additional_information: '<batch_information/>', client_ip: '198.51.100.7', affected_rows: 3 });
  });

  it('refuses a row without its time, or with JSON that does not parse, naming the column', () => {
    expect(() => tables.AZKVAuditLogs({ OperationName: 'SecretGet' })).toThrow(CellError);
    expect(() => tables.AZKVAuditLogs({ OperationName: 'SecretGet' })).toThrow(/column TimeGenerated: missing/);
    expect(() => tables.SigninLogs({ TimeGenerated: '2025-11-14T00:00:00Z', AuthenticationDetails: '[{"broken' })).toThrow(/column AuthenticationDetails: expected JSON/);
  });
});
