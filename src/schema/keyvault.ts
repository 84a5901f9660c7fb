/**
 * Key Vault `AuditEvent`: data-plane calls (SecretGet, KeyList, ...) and the management
 * operations Key Vault also logs under the same category (VaultPut, VaultPatch, policy changes).
 */
import { z } from 'zod';
import type { Details, Result } from './event.js';
import { principalFromClaims } from './common.js';
import { envelopeFields, objectOrEmpty, type Obj } from './envelope.js';
import { defineFamily } from './family.js';
import { normalizeResult, num, pick, splitResourceId, str, stripPort } from './fields.js';

const schema = z.looseObject(envelopeFields);

type Rec = Obj;
const obj = objectOrEmpty;

function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  return null;
}

const OBJECT_KINDS = new Set(['secrets', 'keys', 'certificates', 'deletedsecrets', 'deletedkeys', 'deletedcertificates', 'storage']);

export interface VaultObject { kind: string | null; name: string | null; version: string | null }

/**
 * `https://v.vault.azure.net/secrets/NAME/VERSION` → secrets / NAME / VERSION. A vault root or a
 * list URI (`.../secrets`) has no name. Query strings are ignored.
 */
export function parseVaultObjectUri(value: unknown): VaultObject {
  const none = { kind: null, name: null, version: null };
  const s = str(value);
  if (s === null || !/^https?:\/\//i.test(s)) return none;
  let segs: string[];
  try {
    segs = new URL(s).pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  } catch {
    return none;
  }
  const kind = segs[0]?.toLowerCase();
  if (kind === undefined || !OBJECT_KINDS.has(kind)) return none;
  return { kind, name: segs[1] ?? null, version: segs[2] ?? null };
}

function pathOf(uri: unknown): string | null {
  const s = str(uri);
  if (s === null) return null;
  try {
    return new URL(s).pathname;
  } catch {
    return null;
  }
}

/**
 * `{keys: ['get'], secrets: ['get', 'list']}` → `keys:get;secrets:get,list` (flat, for details).
 * Only names are listed: `String()` of an object such as `{"toString": 1}` throws.
 */
function permissions(value: unknown): string | null {
  const p = obj(value);
  const parts = Object.entries(p)
    .map(([k, v]) => [k, Array.isArray(v) ? v.map(str).filter((x): x is string => x !== null) : []] as const)
    .filter(([, names]) => names.length > 0)
    .map(([k, names]) => `${k.toLowerCase()}:${names.map((x) => x.toLowerCase()).join(',')}`);
  return parts.length > 0 ? parts.join(';') : null;
}

/** Access-policy and firewall facts from management operations; detectors key on these. */
function vaultChangeDetails(props: Rec): Details {
  const d: Details = {};
  for (const [key, prefix] of [['addedAccessPolicy', 'added_access_policy'], ['removedAccessPolicy', 'removed_access_policy'], ['updatedAccessPolicy', 'updated_access_policy']] as const) {
    const policy = pick(props, key);
    if (policy === undefined || policy === null) continue;
    const p = obj(policy);
    d[`${prefix}_object_id`] = str(pick(p, 'ObjectId'))?.toLowerCase() ?? null;
    d[`${prefix}_permissions`] = permissions(pick(p, 'Permissions'));
    d.is_access_policy_change = true;
  }
  const acls = pick(props, 'networkAcls');
  if (acls !== undefined && acls !== null) {
    const a = obj(acls);
    d.is_network_rule_change = true;
    d.network_default_action = str(pick(a, 'defaultAction'));
    d.network_bypass = str(pick(a, 'bypass'));
    const ipRules = pick(a, 'ipRules');
    d.network_ip_rule_count = Array.isArray(ipRules) ? ipRules.length : null;
  }
  for (const [key, name] of [
    ['enableRbacAuthorization', 'enable_rbac_authorization'],
    ['enableSoftDelete', 'enable_soft_delete'],
    ['enablePurgeProtection', 'enable_purge_protection'],
  ] as const) {
    const b = bool(pick(props, key));
    if (b !== null) d[name] = b;
  }
  const pna = str(pick(props, 'publicNetworkAccess'));
  if (pna !== null) d.public_network_access = pna;
  return d;
}

/** The HTTP status decides: Key Vault logs a 403 with resultType `Success` (the call completed). */
function resultOf(status: number | null, resultType: unknown, signature: unknown): Result {
  if (status !== null) return status >= 400 ? 'failure' : status >= 200 ? 'success' : 'unknown';
  const r = normalizeResult(str(resultType));
  return r !== 'unknown' ? r : normalizeResult(str(signature));
}

export const keyvaultFamily = defineFamily({
  name: 'keyvault',
  categories: ['AuditEvent'],
  schema,
  toEvent(r, category) {
    const props = obj(r.properties);
    const identity = obj(r.identity);
    const claims = obj(identity.claim ?? identity.claims);
    const principal = principalFromClaims(claims);
    // A managed identity's token names its ARM resource; nothing else in the record does.
    const mirid = str(claims.xms_mirid);
    if (mirid !== null) principal.principal_type = 'managedIdentity';

    const statusRaw = pick(props, 'httpStatusCode');
    const status = num(statusRaw);
    const object = parseVaultObjectUri(pick(props, 'id'));
    const fromRequest = object.kind === null ? parseVaultObjectUri(pick(props, 'requestUri')) : object;

    const details: Details = {
      object_kind: fromRequest.kind,
      object_version: fromRequest.version,
      request_path: pathOf(pick(props, 'requestUri')),
      result_type: str(r.resultType),
      result_signature: str(r.resultSignature),
      duration_ms: num(r.durationMs),
      tenant_id: str(claims.tid ?? claims['http://schemas.microsoft.com/identity/claims/tenantid'])?.toLowerCase() ?? null,
      managed_identity_resource_id: mirid?.toLowerCase() ?? null,
      is_access_policy_match: bool(pick(props, 'isAccessPolicyMatch')),
      is_rbac_authorized: bool(pick(props, 'isRbacAuthorized')),
      is_address_authorized: bool(pick(props, 'isAddressAuthorized')),
      trusted_service: str(pick(props, 'trustedService')),
      applied_assignment_id: str(pick(props, 'appliedAssignmentId')),
      ...vaultChangeDetails(props),
    };

    return {
      time: r.time,
      category,
      operation: str(r.operationName) ?? 'unknown',
      result: resultOf(status, r.resultType, r.resultSignature),
      status_code: status !== null ? String(status) : str(statusRaw) ?? str(r.resultSignature),
      ...principal,
      // Key Vault accepts only Entra tokens; a record without claims is an unauthenticated call.
      auth_type: Object.keys(claims).length > 0 ? 'oauth' : null,
      caller_ip: stripPort(r.callerIpAddress),
      resource_id: splitResourceId(r.resourceId).resource_id,
      target: fromRequest.name,
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: str(pick(props, 'clientInfo')),
      tls_version: str(pick(props, 'tlsVersion')),
      correlation_id: str(r.correlationId),
      details,
    };
  },
});
