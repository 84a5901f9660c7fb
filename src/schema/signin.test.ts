import { describe, expect, it } from 'vitest';
import { normalizeRecord } from './normalize.js';
import { fieldsOf, fixtureRecords, type Rec } from './test-support.js';


const [noMfa, risky, spFailure] = fixtureRecords('signin', 'signins.json');
const [managed, nonInteractive] = fixtureRecords('signin', 'managed-identity-and-noninteractive.ndjson');
const TENANT_RESOURCE = '/tenants/3f2b8c1e-6d4a-4b7e-9a21-5c0e7d9f1a42/providers/microsoft.aadiam';
const ARM = 'Windows Azure Service Management API';

describe('sign-in logs', () => {
  it('maps an interactive single-factor sign-in, field by field', () => {
    expect(fieldsOf(noMfa)).toEqual({
      time: Date.UTC(2025, 10, 14, 7, 58, 10, 441),
      category: 'SignInLogs',
      operation: 'Sign-in activity',
      result: 'success',
      status_code: '0',
      principal_id: 'c3e5a7b9-2d4f-4b6c-8e0a-1f3b5d7f9a1c',
      principal_name: 'bob@contoso-ml.example',
      app_id: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c',
      principal_type: 'user',
      auth_type: null,
      caller_ip: '203.0.113.57',
      resource_id: TENANT_RESOURCE,
      target: ARM,
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      tls_version: null,
      correlation_id: '3b4c5d6e-7f8a-4b9c-8d0e-1f2a3b4c5d6e',
      details: {
        error_code: 0,
        ca_status: 'notApplied',
        auth_requirement: 'singleFactorAuthentication',
        mfa: false,
        auth_methods: 'Password',
        risk_level: 'none',
        risk_level_aggregated: 'none',
        risk_state: 'none',
        risk_detail: 'none',
        app_display_name: 'Azure Portal',
        resource_display_name: ARM,
        resource_app_id: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
        client_app: 'Browser',
        is_interactive: true,
        country: 'NL',
      },
    });
  });

  it('maps a high-risk sign-in that passed MFA', () => {
    const f = fieldsOf(risky);
    expect(f.principal_id).toBe('b2d4f6a8-1c3e-4a5b-9d7f-0e2a4c6e8a0b');
    expect(f.caller_ip).toBe('198.51.100.23');
    expect(f.details).toMatchObject({
      risk_level: 'high', risk_state: 'atRisk', ca_status: 'success', auth_requirement: 'multiFactorAuthentication',
      mfa: true, mfa_method: 'Mobile app notification', auth_methods: 'Password,Mobile app notification',
    });
  });

  it('a sign-in interrupted because MFA was required (50074) did not pass MFA', () => {
    const interrupted = structuredClone(risky) as Rec & { properties: Record<string, unknown> };
    interrupted.properties.status = { errorCode: 50074, failureReason: 'Strong Authentication is required.' };
    delete interrupted.properties.mfaDetail;
    expect(fieldsOf(interrupted)).toMatchObject({ result: 'failure', details: expect.objectContaining({ auth_requirement: 'multiFactorAuthentication', mfa: false }) });
  });

  it('maps a service principal sign-in failure: status_code is the error code', () => {
    expect(fieldsOf(spFailure)).toMatchObject({
      category: 'ServicePrincipalSignInLogs',
      result: 'failure',
      status_code: '7000215',
      principal_id: 'e5a7c9d1-4f6b-4d8e-8a2c-3b5d7f9b1c3e',
      principal_name: 'sp-ml-deploy',
      app_id: 'd4f6b8c0-3e5a-4c7d-9f1b-2a4c6e8a0b2d',
      principal_type: 'servicePrincipal',
      caller_ip: '192.0.2.44',
      details: expect.objectContaining({ error_code: 7000215, mfa: false, is_interactive: false }),
    });
  });

  it('maps a managed identity sign-in (empty ipAddress → null)', () => {
    expect(fieldsOf(managed)).toMatchObject({
      category: 'ManagedIdentitySignInLogs',
      result: 'success',
      principal_id: 'f6b8d0e2-5a7c-4e9f-9b3d-4c6e8a0c2d4f',
      principal_name: 'id-ml-training',
      app_id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      principal_type: 'managedIdentity',
      caller_ip: null,
      target: 'Azure Key Vault',
    });
  });

  it('reads a US-style time on a non-interactive sign-in', () => {
    const f = fieldsOf(nonInteractive);
    expect(f.time).toBe(Date.UTC(2025, 10, 14, 13, 48, 53));
    expect(f.category).toBe('NonInteractiveUserSignInLogs');
    expect(f.principal_type).toBe('user');
    expect(f.details).toMatchObject({ is_interactive: false, app_display_name: 'Microsoft Azure CLI', mfa: false });
  });

  it('takes a string errorCode and falls back to createdDateTime', () => {
    const r = structuredClone(spFailure!);
    delete r.time;
    ((r.properties as Rec).status as Rec).errorCode = '50126';
    const f = fieldsOf(r);
    expect(f.time).toBe(Date.UTC(2025, 10, 14, 10, 11, 47, 881));
    expect(f.status_code).toBe('50126');
    expect(f.result).toBe('failure');
  });

  it('rejects a record with no time at all, naming the field', () => {
    const r = structuredClone(noMfa!);
    delete r.time;
    delete (r.properties as Rec).createdDateTime;
    expect(normalizeRecord(r)).toEqual({ ok: false, reason: expect.stringMatching(/^invalid SignInLogs record: time: missing/) });
  });
});
