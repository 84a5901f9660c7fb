/**
 * Facts from an Activity log record's request/response bodies, for detectors.
 * Azure sends `properties.requestbody` / `responseBody` as JSON *strings* (sometimes
 * single-quoted), with PascalCase or camelCase keys depending on the client: every read here
 * goes through `pick` (case-insensitive) and `parseLooseJson`.
 */
import type { Details } from './event.js';
import { asObject, type Obj } from './envelope.js';
import { normalizePrincipalType, parseLooseJson, pick, roleGuid, str } from './fields.js';
import { builtinRoleName } from './roles.js';

export interface BodyFacts {
  target: string | null;
  role_definition_id: string | null;
  details: Details;
}

export const obj = asObject;

/** A body that arrived as a JSON string or already as an object. */
export function parseBody(v: unknown): Obj | null {
  if (typeof v === 'string') return obj(parseLooseJson(v));
  return obj(v);
}

function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return true;
    if (t === 'false') return false;
  }
  return null;
}

function lower(v: unknown): string | null {
  return str(v)?.toLowerCase().replace(/\/+$/, '') ?? null;
}

/** `Group` → `group`, `User` → `user`: the four known types normalized, others camel-cased as given. */
function granteeType(v: unknown): string | null {
  const s = str(v);
  if (s === null) return null;
  const known = normalizePrincipalType(s);
  return known !== 'unknown' ? known : s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * The scope an extension resource (role/policy assignment, exemption, lock, diagnostic setting)
 * applies to: the id before `/providers/Microsoft.Authorization/...` or `.../Microsoft.Insights/diagnosticSettings`.
 * `/` for tenant-root assignments.
 */
export function extensionScope(resourceId: string | null): string | null {
  if (resourceId === null) return null;
  const m = /^(.*?)\/providers\/microsoft\.(?:authorization\/(?:roleassignments|roledefinitions|policyassignments|policyexemptions|locks)|insights\/diagnosticsettings)(?:\/|$)/.exec(resourceId.toLowerCase());
  if (!m) return null;
  return m[1] === '' ? '/' : m[1]!;
}

/** `managementGroup` | `subscription` | `resourceGroup` | `resource` | `root`. */
export function scopeType(scope: string): string {
  const s = scope.toLowerCase();
  if (s === '/' ) return 'root';
  if (s.includes('/providers/microsoft.management/managementgroups/') && !s.includes('/subscriptions/')) return 'managementGroup';
  const parts = s.split('/').filter(Boolean);
  if (parts.length === 2 && parts[0] === 'subscriptions') return 'subscription';
  if (parts.length === 4 && parts[2] === 'resourcegroups') return 'resourceGroup';
  return 'resource';
}

function put(details: Details, key: string, value: string | number | boolean | null): void {
  if (value !== null) details[key] = value;
}

/** `properties` of a body, or the body itself when it is already flat. */
function inner(body: Obj): Obj {
  return obj(pick(body, 'properties')) ?? body;
}

function roleAssignment(bodies: Obj[], resourceId: string | null, callerId: string | null): BodyFacts {
  const read = (key: string): unknown => {
    for (const b of bodies) {
      const v = pick(inner(b), key);
      if (str(v) !== null) return v;
    }
    return undefined;
  };
  const role = roleGuid(read('roleDefinitionId'));
  const grantee = str(read('principalId'))?.toLowerCase() ?? null;
  const scope = lower(read('scope')) ?? extensionScope(resourceId);
  const details: Details = {};
  put(details, 'grantee_type', granteeType(read('principalType')));
  put(details, 'scope', scope);
  put(details, 'scope_type', scope === null ? null : scopeType(scope));
  put(details, 'role_name', builtinRoleName(role));
  if (grantee !== null && callerId !== null) details.self_assignment = grantee === callerId.toLowerCase();
  return { target: grantee, role_definition_id: role, details };
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => str(x)).filter((x): x is string => x !== null) : [];
}

function roleDefinition(bodies: Obj[], resourceId: string | null): BodyFacts {
  const details: Details = {};
  const body = bodies[0];
  const props = body ? inner(body) : {};
  const actions: string[] = [];
  const dataActions: string[] = [];
  const perms = pick(props, 'permissions');
  for (const p of Array.isArray(perms) ? perms : []) {
    actions.push(...list(pick(p, 'actions')));
    dataActions.push(...list(pick(p, 'dataActions')));
  }
  put(details, 'role_name', str(pick(props, 'roleName')));
  put(details, 'role_type', str(pick(props, 'type')));
  if (actions.length > 0 || dataActions.length > 0) {
    details.actions = actions.join(',');
    details.data_actions = dataActions.join(',');
    details.wildcard = actions.includes('*');
  }
  const scopes = list(pick(props, 'assignableScopes')).map((s) => s.toLowerCase());
  if (scopes.length > 0) details.assignable_scopes = scopes.join(',');
  const role = roleGuid(resourceId?.split('/').pop()) ?? roleGuid(body ? pick(body, 'name') : undefined);
  return { target: null, role_definition_id: role, details };
}

function diagnosticSetting(bodies: Obj[]): Details {
  const details: Details = {};
  const body = bodies[0];
  if (!body) return details;
  const props = inner(body);
  put(details, 'workspace_id', lower(pick(props, 'workspaceId')));
  put(details, 'storage_account_id', lower(pick(props, 'storageAccountId')));
  put(details, 'event_hub_authorization_rule_id', lower(pick(props, 'eventHubAuthorizationRuleId')));
  const logs = pick(props, 'logs');
  if (Array.isArray(logs)) {
    details.logs_enabled = logs.filter((l) => bool(pick(l, 'enabled')) === true).length;
    details.logs_disabled = logs.filter((l) => bool(pick(l, 'enabled')) === false).length;
  }
  return details;
}

/** Security-relevant settings of Key Vault, Storage, AML, Defender pricing writes — only those present. */
function resourceSettings(body: Obj): Details {
  const p = inner(body);
  const details: Details = {};
  put(details, 'public_network_access', str(pick(p, 'publicNetworkAccess')));
  put(details, 'minimum_tls_version', str(pick(p, 'minimumTlsVersion', 'minimalTlsVersion')));
  put(details, 'enable_purge_protection', bool(pick(p, 'enablePurgeProtection')));
  put(details, 'enable_soft_delete', bool(pick(p, 'enableSoftDelete')));
  put(details, 'enable_rbac_authorization', bool(pick(p, 'enableRbacAuthorization')));
  put(details, 'allow_blob_public_access', bool(pick(p, 'allowBlobPublicAccess')));
  put(details, 'allow_shared_key_access', bool(pick(p, 'allowSharedKeyAccess')));
  put(details, 'https_only', bool(pick(p, 'supportsHttpsTrafficOnly')));
  put(details, 'network_default_action', str(pick(pick(p, 'networkAcls', 'networkRuleSet'), 'defaultAction')));
  put(details, 'key_source', str(pick(pick(p, 'encryption'), 'keySource')));
  put(details, 'pricing_tier', str(pick(p, 'pricingTier')));
  return details;
}

/**
 * Facts by operation. Request body first: on a PATCH it holds only what changed, which is what a
 * detector asks about; the response body (the Success record's full state) is the fallback.
 */
export function bodyFacts(operation: string, properties: Obj, resourceId: string | null, callerId: string | null): BodyFacts {
  const op = operation.toLowerCase();
  const request = parseBody(pick(properties, 'requestbody', 'requestBody'));
  const response = parseBody(pick(properties, 'responseBody', 'responsebody'));
  const bodies = [request, response].filter((b): b is Obj => b !== null);
  if (op.startsWith('microsoft.authorization/roleassignments/')) return roleAssignment(bodies, resourceId, callerId);
  if (op.startsWith('microsoft.authorization/roledefinitions/')) return roleDefinition(bodies, resourceId);
  const details: Details = {};
  put(details, 'scope', extensionScope(resourceId));
  if (op.startsWith('microsoft.insights/diagnosticsettings/')) Object.assign(details, diagnosticSetting(bodies));
  else if (bodies[0]) Object.assign(details, resourceSettings(bodies[0]));
  return { target: null, role_definition_id: null, details };
}
