/**
 * Entra ID sign-ins: interactive (`SignInLogs`), non-interactive user, service principal and
 * managed identity categories share one shape; who signed in depends on the category
 * (`userId` for users, `servicePrincipalId` for apps and managed identities).
 */
import { z } from 'zod';
import type { Details, PrincipalType } from './event.js';
import { asObject, envelopeFields, withTimeFrom } from './envelope.js';
import { defineFamily } from './family.js';
import { normalizeResult, num, pick, splitResourceId, str, stripPort } from './fields.js';

const obj = asObject;

export const SIGNIN_CATEGORIES = ['SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs'] as const;

// A forwarder sometimes drops the envelope's `time`; `properties.createdDateTime` is the same instant.
const schema = z.preprocess(withTimeFrom('createdDateTime'), z.looseObject(envelopeFields));

type SignInRecord = z.output<typeof schema>;

function typeOf(category: string, p: Record<string, unknown>): PrincipalType {
  const c = category.toLowerCase();
  if (c === 'managedidentitysigninlogs') return 'managedIdentity';
  if (c === 'serviceprincipalsigninlogs') return 'servicePrincipal';
  if (c === 'signinlogs' || c === 'noninteractiveusersigninlogs') return 'user';
  return str(pick(p, 'userId')) !== null ? 'user' : str(pick(p, 'servicePrincipalId')) !== null ? 'servicePrincipal' : 'unknown';
}

function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  return null;
}

function put(d: Details, k: string, v: string | number | boolean | null): void {
  if (v !== null) d[k] = v;
}

export const signinFamily = defineFamily<SignInRecord>({
  name: 'signin',
  categories: SIGNIN_CATEGORIES,
  schema,
  toEvent(r, category) {
    const p = obj(r.properties) ?? {};
    const type = typeOf(category, p);
    const isUser = type === 'user';
    const status = obj(pick(p, 'status'));
    // errorCode 0 is success; anything else (incl. interrupts such as 50074 "MFA required") is not.
    const errorCode = num(pick(status, 'errorCode')) ?? num(r.resultType);
    const requirement = str(pick(p, 'authenticationRequirement'));
    const mfaMethod = str(pick(pick(p, 'mfaDetail'), 'authMethod'));
    const authDetails = pick(p, 'authenticationDetails');
    const methods = Array.isArray(authDetails)
      ? [...new Set(authDetails.map((d) => str(pick(d, 'authenticationMethod'))).filter((m): m is string => m !== null))]
      : [];
    const details: Details = {};
    put(details, 'error_code', errorCode);
    put(details, 'failure_reason', str(pick(status, 'failureReason')));
    put(details, 'ca_status', str(pick(p, 'conditionalAccessStatus')));
    put(details, 'auth_requirement', requirement);
    // MFA counts when a second factor is recorded, or it was required and the sign-in went
    // through (an interrupt such as 50074, "MFA required", never completed it).
    details.mfa = mfaMethod !== null || (requirement?.toLowerCase() === 'multifactorauthentication' && (errorCode === null || errorCode === 0));
    put(details, 'mfa_method', mfaMethod);
    if (methods.length > 0) details.auth_methods = methods.join(',');
    put(details, 'risk_level', str(pick(p, 'riskLevelDuringSignIn')));
    put(details, 'risk_level_aggregated', str(pick(p, 'riskLevelAggregated')));
    put(details, 'risk_state', str(pick(p, 'riskState')));
    put(details, 'risk_detail', str(pick(p, 'riskDetail')));
    put(details, 'app_display_name', str(pick(p, 'appDisplayName')));
    put(details, 'resource_display_name', str(pick(p, 'resourceDisplayName')));
    put(details, 'resource_app_id', str(pick(p, 'resourceId'))?.toLowerCase() ?? null);
    put(details, 'client_app', str(pick(p, 'clientAppUsed')));
    put(details, 'is_interactive', bool(pick(p, 'isInteractive')));
    put(details, 'country', str(pick(pick(p, 'location'), 'countryOrRegion')));
    return {
      time: r.time,
      category,
      operation: str(r.operationName) ?? 'Sign-in activity',
      result: errorCode === null ? normalizeResult(str(r.resultType)) : errorCode === 0 ? 'success' : 'failure',
      status_code: errorCode === null ? null : String(errorCode),
      principal_id: (isUser ? str(pick(p, 'userId')) : str(pick(p, 'servicePrincipalId')))?.toLowerCase() ?? null,
      principal_name: isUser
        ? str(pick(p, 'userPrincipalName')) ?? str(pick(p, 'userDisplayName')) ?? (typeof r.identity === 'string' ? str(r.identity) : null)
        : str(pick(p, 'servicePrincipalName')) ?? str(pick(p, 'appDisplayName')),
      app_id: str(pick(p, 'appId'))?.toLowerCase() ?? null,
      principal_type: type,
      auth_type: null,
      caller_ip: stripPort(pick(p, 'ipAddress')) ?? stripPort(r.callerIpAddress),
      resource_id: splitResourceId(r.resourceId).resource_id,
      target: str(pick(p, 'resourceDisplayName')) ?? str(pick(p, 'resourceId')),
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: str(pick(p, 'userAgent')),
      tls_version: null,
      correlation_id: str(r.correlationId) ?? str(pick(p, 'correlationId')),
      details,
    };
  },
});
