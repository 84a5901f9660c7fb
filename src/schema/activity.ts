/**
 * Azure Activity log, in both shapes it reaches us:
 * - Event Hubs (diagnostic setting export): `time`, upper-case `operationName` string,
 *   `identity.claims` / `identity.authorization`, `resultType`, `properties.eventCategory`;
 *   also the older storage shape whose `category` is `Write`/`Delete`/`Action`.
 * - REST / portal export (`az monitor activity-log list`, the portal's JSON download):
 *   `eventTimestamp`, `caller`, top-level `claims` / `authorization`, and `{value, localizedValue}`
 *   objects for `operationName`, `category`, `status`, `subStatus`, `resourceType`, ...
 */
import { z } from 'zod';
import { bodyFacts, obj } from './activity-body.js';
import { principalFromClaims } from './common.js';
import type { PrincipalType } from './event.js';
import { envelopeFields } from './envelope.js';
import { defineFamily } from './family.js';
import { normalizePrincipalType, normalizeResult, pick, splitResourceId, str, stripPort } from './fields.js';

export const ACTIVITY_CATEGORIES = [
  'Administrative', 'Policy', 'Security', 'ServiceHealth', 'Alert', 'Recommendation', 'Autoscale', 'ResourceHealth',
  // The storage-account shape of the same log names the HTTP verb as its category.
  'Write', 'Delete', 'Action',
] as const;

/**
 * A category as the Activity log documents it, whatever case the record used (routing ignores
 * case), so queries can name the categories exactly; other names stay as given.
 */
function canonicalCategory(name: string): string {
  const lower = name.toLowerCase();
  return ACTIVITY_CATEGORIES.find((c) => c.toLowerCase() === lower) ?? name;
}

/** A string, or the `.value` of a REST `{value, localizedValue}` object. */
function text(v: unknown): string | null {
  const o = obj(v);
  return o ? str(o.value) : str(v);
}

/** The REST shape's `eventTimestamp` is the event time; `time` wins when both are present. */
function withTime(v: unknown): unknown {
  const o = obj(v);
  if (o && o.time === undefined && o.eventTimestamp !== undefined) return { ...o, time: o.eventTimestamp };
  return v;
}

const schema = z.preprocess(withTime, z.looseObject({
  ...envelopeFields,
  status: z.unknown().optional(),
  subStatus: z.unknown().optional(),
  caller: z.unknown().optional(),
  claims: z.unknown().optional(),
  authorization: z.unknown().optional(),
  httpRequest: z.unknown().optional(),
}));

type ActivityRecord = z.output<typeof schema>;

/** Managed identities' tokens carry `xms_mirid` (the identity's ARM id); other app tokens don't. */
function callerType(claims: Record<string, unknown> | null, fromClaims: PrincipalType, evidence: unknown): PrincipalType {
  if (claims && str(claims.xms_mirid) !== null) return 'managedIdentity';
  if (fromClaims !== 'unknown') return fromClaims;
  // The evidence describes the caller (never the grantee), so its principalType is the caller's.
  return normalizePrincipalType(pick(evidence, 'principalType'));
}

export const activityFamily = defineFamily<ActivityRecord>({
  name: 'activity',
  categories: ACTIVITY_CATEGORIES,
  schema,
  detect(record) {
    // REST exports: `{value, localizedValue}` operation names, with eventTimestamp or without a category string.
    const op = obj(record.operationName);
    if (!op || typeof op.value !== 'string') return false;
    return record.eventTimestamp !== undefined || typeof record.category !== 'string';
  },
  toEvent(r, category) {
    const props = obj(r.properties) ?? {};
    const identity = obj(r.identity);
    const claims = obj(identity?.claims) ?? obj(r.claims);
    const authz = obj(identity?.authorization) ?? obj(r.authorization);
    const operation = text(r.operationName) ?? str(authz?.action) ?? 'unknown';
    const principal = principalFromClaims(claims);
    const resource = splitResourceId(text(r.resourceId));
    const facts = bodyFacts(operation, props, resource.resource_id, principal.principal_id);
    const evidence = pick(authz, 'evidence');
    const callerRole = str(pick(evidence, 'role'));
    return {
      time: r.time,
      category: canonicalCategory(str(pick(props, 'eventCategory')) ?? text(r.category) ?? category),
      operation,
      result: normalizeResult(text(r.resultType) ?? text(r.status)),
      status_code: str(pick(props, 'statusCode')) ?? text(r.resultSignature) ?? text(r.subStatus),
      principal_id: principal.principal_id,
      principal_name: principal.principal_name ?? str(r.caller),
      app_id: principal.app_id,
      principal_type: callerType(claims, principal.principal_type, evidence),
      auth_type: claims ? 'oauth' : null,
      caller_ip: stripPort(text(r.callerIpAddress)) ?? stripPort(text(pick(r.httpRequest, 'clientIpAddress'))) ?? stripPort(claims?.ipaddr),
      resource_id: resource.resource_id,
      target: facts.target,
      role_definition_id: facts.role_definition_id,
      bytes_out: null,
      bytes_in: null,
      user_agent: null,
      tls_version: null,
      correlation_id: str(r.correlationId),
      details: callerRole === null ? facts.details : { ...facts.details, caller_role: callerRole },
    };
  },
});
