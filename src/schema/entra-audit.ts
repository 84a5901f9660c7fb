/**
 * Entra ID `AuditLogs` (directory changes: role membership, PIM, apps, users).
 * Unlike resource logs, `identity` is a display-name string; who acted is in
 * `properties.initiatedBy.{user|app}` and what changed in `properties.targetResources[]`.
 */
import { z } from 'zod';
import type { Details, PrincipalType } from './event.js';
import { asObject, envelopeFields, withTimeFrom } from './envelope.js';
import { defineFamily } from './family.js';
import { normalizeResult, parseLooseJson, pick, roleGuid, splitResourceId, str, stripPort } from './fields.js';

const obj = asObject;

// A forwarder sometimes drops the envelope's `time`; `properties.activityDateTime` is the same instant.
const schema = z.preprocess(withTimeFrom('activityDateTime'), z.looseObject(envelopeFields));

type AuditRecord = z.output<typeof schema>;
type Obj = Record<string, unknown>;

/** Modified property values are JSON-encoded strings (`"\"Global Administrator\""`); unwrap one level. */
export function unquote(v: unknown): string | null {
  const s = str(v);
  if (s === null || !s.startsWith('"')) return s;
  const parsed = parseLooseJson(s);
  return typeof parsed === 'string' ? str(parsed) : s;
}

function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(obj).filter((o): o is Obj => o !== null) : [];
}

function modified(targets: Obj[], name: string): string | null {
  for (const t of targets) {
    for (const m of objects(pick(t, 'modifiedProperties'))) {
      if (str(pick(m, 'displayName'))?.toLowerCase() === name) {
        const v = unquote(pick(m, 'newValue')) ?? unquote(pick(m, 'oldValue'));
        if (v !== null) return v;
      }
    }
  }
  return null;
}

interface Initiator { id: string | null; name: string | null; appId: string | null; ip: string | null; type: PrincipalType }

function initiator(by: unknown): Initiator {
  const user = obj(pick(by, 'user'));
  if (user && (str(pick(user, 'id')) !== null || str(pick(user, 'userPrincipalName')) !== null)) {
    return {
      id: str(pick(user, 'id'))?.toLowerCase() ?? null,
      name: str(pick(user, 'userPrincipalName')) ?? str(pick(user, 'displayName')),
      appId: null,
      ip: stripPort(pick(user, 'ipAddress')),
      type: 'user',
    };
  }
  const app = obj(pick(by, 'app'));
  if (app) {
    return {
      id: str(pick(app, 'servicePrincipalId'))?.toLowerCase() ?? null,
      name: str(pick(app, 'displayName')) ?? str(pick(app, 'servicePrincipalName')),
      appId: str(pick(app, 'appId'))?.toLowerCase() ?? null,
      ip: null,
      type: 'servicePrincipal',
    };
  }
  return { id: null, name: null, appId: null, ip: null, type: 'unknown' };
}

function put(d: Details, k: string, v: string | null): void {
  if (v !== null) d[k] = v;
}

export const entraAuditFamily = defineFamily<AuditRecord>({
  name: 'entra-audit',
  categories: ['AuditLogs'],
  schema,
  toEvent(r, category) {
    const p = obj(r.properties) ?? {};
    const targets = objects(pick(p, 'targetResources'));
    // PIM lists the Role first and the member later: the target is the first principal with a UPN, else the first resource.
    const subject = targets.find((t) => str(pick(t, 'userPrincipalName')) !== null) ?? targets[0] ?? null;
    const roleTarget = targets.find((t) => str(pick(t, 'type'))?.toLowerCase() === 'role') ?? null;
    const roleName = modified(targets, 'role.displayname') ?? str(pick(roleTarget, 'displayName'));
    const templateId = roleGuid(modified(targets, 'role.templateid')) ?? roleGuid(pick(roleTarget, 'id'));
    const who = initiator(pick(p, 'initiatedBy'));
    const names = targets.flatMap((t) => objects(pick(t, 'modifiedProperties')).map((m) => str(pick(m, 'displayName'))))
      .filter((n): n is string => n !== null);
    const userAgent = str(pick(p, 'userAgent'))
      ?? str(pick(objects(pick(p, 'additionalDetails')).find((d) => str(pick(d, 'key'))?.toLowerCase() === 'user-agent'), 'value'));
    const details: Details = {};
    put(details, 'logged_by_service', str(pick(p, 'loggedByService')));
    put(details, 'audit_category', str(pick(p, 'category')));
    put(details, 'operation_type', str(pick(p, 'operationType')));
    put(details, 'result_reason', str(pick(p, 'resultReason')));
    put(details, 'role_name', roleName);
    put(details, 'role_template_id', templateId);
    put(details, 'target_id', str(pick(subject, 'id'))?.toLowerCase() ?? null);
    put(details, 'target_type', str(pick(subject, 'type')));
    put(details, 'target_name', str(pick(subject, 'displayName')));
    if (names.length > 0) details.modified_properties = [...new Set(names)].join(',');
    return {
      time: r.time,
      category,
      operation: str(r.operationName) ?? str(pick(p, 'activityDisplayName')) ?? 'unknown',
      result: normalizeResult(str(pick(p, 'result')) ?? str(r.resultType)),
      status_code: null,
      principal_id: who.id,
      principal_name: who.name ?? (typeof r.identity === 'string' ? str(r.identity) : null),
      app_id: who.appId,
      principal_type: who.type,
      auth_type: null,
      caller_ip: who.ip ?? stripPort(r.callerIpAddress),
      resource_id: splitResourceId(r.resourceId).resource_id,
      target: str(pick(subject, 'userPrincipalName')) ?? str(pick(subject, 'displayName')) ?? str(pick(subject, 'id')),
      // A directory role's template id plays the part an ARM role definition id plays for RBAC.
      role_definition_id: templateId,
      bytes_out: null,
      bytes_in: null,
      user_agent: userAgent,
      tls_version: null,
      correlation_id: str(r.correlationId) ?? str(pick(p, 'correlationId')),
      details,
    };
  },
});
