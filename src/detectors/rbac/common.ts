/** What the RBAC detectors share: the Activity log setting, role sets, and what a completed grant looks like. */
import type { EventRow } from '../../schema/event.js';
import { BUILTIN_ROLES, CONTRIBUTOR, KEY_VAULT_ADMINISTRATOR, OWNER, RBAC_ADMINISTRATOR, USER_ACCESS_ADMINISTRATOR } from '../../schema/roles.js';
import { activityOperation } from '../keys.js';

export const ACTIVITY_SETTING = 'The subscription\'s Activity log (Administrative category) exported by a diagnostic setting to the Event Hub auditlake reads; for management-group and tenant-root scope, the management group\'s and tenant\'s Activity log too.';

export const ROLE_ASSIGNMENT_WRITE = 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE';
export const ROLE_DEFINITION_WRITE = 'MICROSOFT.AUTHORIZATION/ROLEDEFINITIONS/WRITE';

export const KEY_VAULT_DATA_ACCESS_ADMINISTRATOR = '8b54135c-b56d-4d72-a534-26097cfdc8d8';
export const STORAGE_BLOB_DATA_OWNER = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b';
export const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
export const AZUREML_DATA_SCIENTIST = 'f6c7c914-8db3-469d-8ca1-694a8f32e121';
export const AZUREML_COMPUTE_OPERATOR = 'e503ece1-11d0-4e8e-8e2c-7a6c3bf38815';

/**
 * Roles whose holder controls the resource, grants access to others, or owns its data plane:
 * the set an intruder grants itself.
 */
export const HIGH_IMPACT_ROLES: ReadonlySet<string> = new Set([
  OWNER, CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR,
  KEY_VAULT_ADMINISTRATOR, KEY_VAULT_DATA_ACCESS_ADMINISTRATOR, STORAGE_BLOB_DATA_OWNER,
]);

export const AZUREML_ROLES: ReadonlySet<string> = new Set([AZUREML_DATA_SCIENTIST, AZUREML_COMPUTE_OPERATOR]);

/**
 * A completed role assignment: the Success record (Start records carry the request but may
 * still fail; both share a correlation id, so counting both would double every grant).
 */
export function isCompletedGrant(e: EventRow): boolean {
  return e.result === 'success' && activityOperation(e) === ROLE_ASSIGNMENT_WRITE;
}

export function roleNameOf(e: EventRow): string | null {
  const n = e.details.role_name;
  if (typeof n === 'string') return n;
  return e.role_definition_id === null ? null : BUILTIN_ROLES[e.role_definition_id] ?? null;
}

/**
 * The grant's scope type. The activity schema strips trailing slashes from the body's `scope`,
 * which turns the tenant root `/` into `''` (typed `resource`): read that back as root.
 */
export function scopeTypeOf(e: EventRow): string | null {
  if (e.details.scope === '') return 'root';
  return typeof e.details.scope_type === 'string' ? e.details.scope_type : null;
}

/** What a grant alert's evidence should say. */
export function grantFacts(e: EventRow): Record<string, string | number | boolean | null> {
  const d = e.details;
  return {
    role_definition_id: e.role_definition_id,
    role_name: roleNameOf(e),
    grantee: e.target,
    grantee_type: typeof d.grantee_type === 'string' ? d.grantee_type : null,
    scope: d.scope === '' ? '/' : typeof d.scope === 'string' ? d.scope : null,
    scope_type: scopeTypeOf(e),
    self_assignment: typeof d.self_assignment === 'boolean' ? d.self_assignment : null,
  };
}

/** One caller granting one principal several roles in a row is one incident. */
export function grantKey(e: EventRow): string {
  return `${e.principal_id ?? e.app_id ?? e.caller_ip ?? 'unknown'}|${e.target ?? ''}`;
}
