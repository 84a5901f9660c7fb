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

  it('refuses a row without its time, or with JSON that does not parse, naming the column', () => {
    expect(() => tables.AZKVAuditLogs({ OperationName: 'SecretGet' })).toThrow(CellError);
    expect(() => tables.AZKVAuditLogs({ OperationName: 'SecretGet' })).toThrow(/column TimeGenerated: missing/);
    expect(() => tables.SigninLogs({ TimeGenerated: '2025-11-14T00:00:00Z', AuthenticationDetails: '[{"broken' })).toThrow(/column AuthenticationDetails: expected JSON/);
  });
});
