/** What the Entra detectors share: directory role sets, PIM's own identity, the settings to enable. */
import type { EventRow } from '../../schema/event.js';
import { ENTRA_GLOBAL_ADMINISTRATOR_TEMPLATE } from '../../schema/roles.js';

export const AUDIT_SETTING = 'Entra ID diagnostic setting (Entra ID → Monitoring → Diagnostic settings) with `AuditLogs` sent to the Event Hub auditlake reads.';
export const SIGNIN_SETTING = 'Entra ID diagnostic setting with `SignInLogs` and `NonInteractiveUserSignInLogs` (plus `AuditLogs` and the subscription\'s Activity log, to learn who holds admin roles) sent to the Event Hub auditlake reads.';

/**
 * Directory roles that control identities, authentication, applications or the tenant's
 * security configuration (template ids are the same in every tenant).
 */
export const PRIVILEGED_DIRECTORY_ROLES: Readonly<Record<string, string>> = {
  [ENTRA_GLOBAL_ADMINISTRATOR_TEMPLATE]: 'Global Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13': 'Privileged Authentication Administrator',
  '194ae4cb-b126-40b2-bd5b-6091b380977d': 'Security Administrator',
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': 'Application Administrator',
  '158c047a-c907-4556-b7ef-446551a6b5f7': 'Cloud Application Administrator',
  'fe930be7-5e62-47db-91af-98c3a49a38b1': 'User Administrator',
  'c4e39bd9-1100-4380-b1f1-66a0d8bd8e3e': 'Authentication Administrator',
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9': 'Conditional Access Administrator',
  '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2': 'Hybrid Identity Administrator',
  '29232cdf-9323-42fd-ade2-1d097af3e4de': 'Exchange Administrator',
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c': 'SharePoint Administrator',
  '3a2c62db-5318-420d-8d74-23affee5d9d5': 'Intune Administrator',
};
const PRIVILEGED_NAMES: ReadonlySet<string> = new Set(Object.values(PRIVILEGED_DIRECTORY_ROLES).map((n) => n.toLowerCase()));

/** By template id, else (records without one) by display name. */
export function isPrivilegedDirectoryRole(e: EventRow): boolean {
  if (e.role_definition_id !== null && e.role_definition_id in PRIVILEGED_DIRECTORY_ROLES) return true;
  const name = e.details.role_name;
  return typeof name === 'string' && PRIVILEGED_NAMES.has(name.toLowerCase());
}

/** Privileged Identity Management's service principal: it writes Core Directory "Add member to role" for every activation. */
export const MS_PIM_APP_ID = '01fc33a7-78ba-4d2f-a4b7-768e336e890e';

export function initiatedByPim(e: EventRow): boolean {
  return e.app_id === MS_PIM_APP_ID || (e.principal_type === 'servicePrincipal' && e.principal_name?.toUpperCase() === 'MS-PIM');
}

export function loggedBy(e: EventRow, service: string): boolean {
  const s = e.details.logged_by_service;
  return typeof s === 'string' && s.toLowerCase() === service.toLowerCase();
}

const op = (e: EventRow) => e.operation.toLowerCase();

/** Core Directory's direct role membership write (also written on PIM's behalf, initiated by MS-PIM). */
export function isDirectRoleAdd(e: EventRow): boolean {
  return loggedBy(e, 'Core Directory') && (op(e) === 'add member to role' || op(e) === 'add scoped member to role');
}

/**
 * PIM assignments (eligible or active, permanent or time-bound) completed by an admin.
 * Activations (`... (PIM activation)`) are the routine use of an existing eligibility, not a grant.
 */
export function isPimAssignment(e: EventRow): boolean {
  const o = op(e);
  return loggedBy(e, 'PIM') && /^add (eligible )?member to role in pim completed/.test(o) && !o.includes('activation');
}

/** The member the role went to: the user/SP object id (both Core Directory and PIM shapes). */
export function memberOf(e: EventRow): string | null {
  const id = e.details.target_id;
  return typeof id === 'string' ? id : null;
}

export function roleFacts(e: EventRow): Record<string, string | number | boolean | null> {
  return {
    role_name: typeof e.details.role_name === 'string' ? e.details.role_name : null,
    role_template_id: e.role_definition_id,
    member_id: memberOf(e),
    member: e.target,
    logged_by_service: typeof e.details.logged_by_service === 'string' ? e.details.logged_by_service : null,
  };
}
