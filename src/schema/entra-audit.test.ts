import { describe, expect, it } from 'vitest';
import { unquote } from './entra-audit.js';
import { normalizeRecord } from './normalize.js';
import { fieldsOf, fixtureRecords, type Rec } from './test-support.js';


const [core, pim] = fixtureRecords('entra', 'role-membership.ndjson');
const setting = fixtureRecords('entra', 'pim-settings.json')[0]!;
const TENANT_RESOURCE = '/tenants/3f2b8c1e-6d4a-4b7e-9a21-5c0e7d9f1a42/providers/microsoft.aadiam';
const ALICE = 'a1c3e5f7-0b2d-4f6a-8c1e-3a5b7c9d1e2f';
const GA = '62e90394-69f5-4237-9190-012177145e10';

describe('entra AuditLogs', () => {
  it('maps Core Directory "Add member to role" (Global Administrator), field by field', () => {
    expect(fieldsOf(core)).toEqual({
      time: Date.UTC(2025, 10, 14, 8, 15, 42, 118),
      category: 'AuditLogs',
      operation: 'Add member to role',
      result: 'success',
      status_code: null,
      principal_id: ALICE,
      principal_name: 'alice.admin@contoso-ml.example',
      app_id: null,
      principal_type: 'user',
      auth_type: null,
      caller_ip: '203.0.113.10',
      resource_id: TENANT_RESOURCE,
      target: 'bob@contoso-ml.example',
      role_definition_id: GA,
      bytes_out: null,
      bytes_in: null,
      user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      tls_version: null,
      correlation_id: '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b',
      details: {
        logged_by_service: 'Core Directory',
        audit_category: 'RoleManagement',
        operation_type: 'Assign',
        role_name: 'Global Administrator',
        role_template_id: GA,
        target_id: 'c3e5a7b9-2d4f-4b6c-8e0a-1f3b5d7f9a1c',
        target_type: 'User',
        modified_properties: 'Role.ObjectID,Role.DisplayName,Role.TemplateId,Role.WellKnownObjectName',
      },
    });
  });

  it('maps a PIM assignment: the role from the Role target, the member as target', () => {
    const f = fieldsOf(pim);
    expect(f.operation).toBe('Add member to role in PIM completed (permanent)');
    expect(f.target).toBe('carol.ops@contoso-ml.example');
    expect(f.role_definition_id).toBe(GA);
    expect(f.details).toEqual({
      logged_by_service: 'PIM',
      audit_category: 'RoleManagement',
      operation_type: 'Add',
      result_reason: 'Onboarding new operations lead',
      role_name: 'Global Administrator',
      role_template_id: GA,
      target_id: 'd6e8f0a2-3b5c-4d7e-9f1a-2b4c6d8e0f1a',
      target_type: 'User',
      target_name: 'Carol Ops',
    });
  });

  it('maps a PIM role setting update', () => {
    const f = fieldsOf(setting);
    expect(f.operation).toBe('Update role setting in PIM');
    expect(f.target).toBe('Global Administrator');
    expect(f.details).toMatchObject({
      logged_by_service: 'PIM',
      operation_type: 'Update',
      role_name: 'Global Administrator',
      target_type: 'Role',
      modified_properties: 'Enablement_EndUser_Assignment,Expiration_EndUser_Assignment',
    });
  });

  it('reads an app initiator and tolerates `properties` as a string and a `Failure` result', () => {
    const r = structuredClone(core!);
    const p = r.properties as Rec;
    p.initiatedBy = { app: { appId: '01FC33A7-78BA-4D2F-A4B7-768E336E890E', displayName: 'MS-PIM', servicePrincipalId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d', servicePrincipalName: null } };
    p.result = 'Failure';
    r.properties = JSON.stringify(p);
    const f = fieldsOf(r);
    expect(f).toMatchObject({
      principal_id: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
      principal_name: 'MS-PIM',
      app_id: '01fc33a7-78ba-4d2f-a4b7-768e336e890e',
      principal_type: 'servicePrincipal',
      caller_ip: '203.0.113.10',
      result: 'failure',
    });
  });

  it('unquotes JSON-quoted modified property values', () => {
    expect(unquote('"Global Administrator"')).toBe('Global Administrator');
    expect(unquote('plain')).toBe('plain');
    expect(unquote(null)).toBeNull();
  });

  it('rejects a record without any time, naming the field', () => {
    const r = structuredClone(core!);
    delete r.time;
    delete (r.properties as Rec).activityDateTime;
    expect(normalizeRecord(r)).toEqual({ ok: false, reason: expect.stringMatching(/^invalid AuditLogs record: time: missing/) });
  });

  it('falls back to activityDateTime when the envelope time is missing', () => {
    const r = structuredClone(core!);
    delete r.time;
    expect(fieldsOf(r).time).toBe(Date.UTC(2025, 10, 14, 8, 15, 42, 118));
  });
});
