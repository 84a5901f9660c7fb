/** Zod pieces and claim readers shared by the families. */
import { z } from 'zod';
import type { PrincipalType } from './event.js';
import { parseTime, str } from './fields.js';

/** Event time as epoch ms; accepts ISO-8601 (any fraction, with or without zone) and US-style. */
export const eventTime = z.unknown().transform((value, ctx) => {
  const t = parseTime(value);
  if (t === null) {
    ctx.addIssue({
      code: 'custom',
      message: value === undefined || value === null
        ? 'missing; expected an ISO-8601 or US-style date-time'
        : `expected an ISO-8601 or US-style date-time, got ${JSON.stringify(value).slice(0, 60)}`,
    });
    return z.NEVER;
  }
  return t;
});

/** Any JSON object, kept as-is (extra keys are Azure's business, not a reason to reject). */
export const looseObject = z.record(z.string(), z.unknown());
export const optionalText = z.union([z.string(), z.number(), z.null()]).optional();

const OID = ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'];
const UPN = ['upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'unique_name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'name'];
const APPID = ['appid', 'azp', 'http://schemas.microsoft.com/identity/claims/appid'];
const IDTYP = ['idtyp'];

export interface Principal {
  principal_id: string | null;
  principal_name: string | null;
  app_id: string | null;
  principal_type: PrincipalType;
}

function first(claims: Record<string, unknown>, keys: string[]): string | null {
  for (const k of keys) {
    const v = str(claims[k]);
    if (v !== null) return v;
  }
  return null;
}

/**
 * The caller from a token's claims, whichever key form Azure used (short `oid`/`upn`/`appid`
 * or the long URI keys). A token with an app id but no UPN is an application's.
 */
export function principalFromClaims(claims: unknown): Principal {
  if (claims === null || typeof claims !== 'object') {
    return { principal_id: null, principal_name: null, app_id: null, principal_type: 'unknown' };
  }
  const c = claims as Record<string, unknown>;
  const id = first(c, OID);
  const upn = first(c, UPN);
  const app = first(c, APPID);
  const idtyp = first(c, IDTYP)?.toLowerCase();
  let type: PrincipalType = 'unknown';
  if (idtyp === 'user' || first(c, ['upn', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']) !== null) type = 'user';
  else if (idtyp === 'app') type = 'servicePrincipal';
  else if (id !== null && app !== null) type = 'servicePrincipal';
  return { principal_id: id?.toLowerCase() ?? null, principal_name: upn, app_id: app?.toLowerCase() ?? null, principal_type: type };
}
