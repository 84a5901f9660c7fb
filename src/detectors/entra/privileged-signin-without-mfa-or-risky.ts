import { T1078_004 } from '../attack.js';
import { ADA, ADMIN, at, AZURE_CLI_APP, coreDirectoryRoleTargets, entraAuditRecord, GLOBAL_ADMINISTRATOR, INTRUDER, MICROSOFT_GRAPH_RESOURCE, roleAssignmentRecord, signinRecord, SUBSCRIPTION_SCOPE, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { OWNER } from '../../schema/roles.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES } from '../keys.js';
import { HIGH_IMPACT_ROLES, ROLE_ASSIGNMENT_WRITE } from '../rbac/common.js';
import { isDirectRoleAdd, isPrivilegedDirectoryRole, loggedBy, memberOf, SIGNIN_SETTING } from './common.js';

/** Clients and resources only administrators need: the Azure portal, CLI, PowerShell, and ARM itself. */
const ADMIN_APPS: ReadonlySet<string> = new Set([
  'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', // Azure Portal
  '04b07795-8ddb-461a-bbee-02f9e1bf7b46', // Microsoft Azure CLI
  '1950a258-227b-4e31-a9cf-717495945fc2', // Microsoft Azure PowerShell
]);
const AZURE_MANAGEMENT = '797f4846-ba00-4fd7-ba43-dac1f8f63013'; // Windows Azure Service Management API (ARM)
const RISKY = new Set(['medium', 'high']);

const isSignIn = (e: EventRow) => e.category.toLowerCase() === 'signinlogs' || e.category.toLowerCase() === 'noninteractiveusersigninlogs';

/**
 * A successful user sign-in that went through without a second factor, or that Identity
 * Protection rated medium/high risk. Only interactive sign-ins count for MFA: non-interactive
 * refreshes report `singleFactorAuthentication` even when the session was established with MFA.
 */
function isWeakSignIn(e: EventRow): boolean {
  if (!isSignIn(e) || e.result !== 'success' || e.principal_type !== 'user') return false;
  const d = e.details;
  const risky = (typeof d.risk_level === 'string' && RISKY.has(d.risk_level.toLowerCase()))
    || (typeof d.risk_level_aggregated === 'string' && RISKY.has(d.risk_level_aggregated.toLowerCase()));
  const interactive = e.category.toLowerCase() === 'signinlogs' || d.is_interactive === true;
  return risky || (interactive && d.mfa === false);
}

function isAdminSurface(e: EventRow): boolean {
  return (e.app_id !== null && ADMIN_APPS.has(e.app_id)) || e.details.resource_app_id === AZURE_MANAGEMENT;
}

/** The principal became privileged: a privileged directory role (assigned or activated) or a high-impact Azure role. */
function madePrivileged(e: EventRow): boolean {
  if (e.result !== 'success') return false;
  if (e.category === 'AuditLogs') {
    const activatedOrAssigned = loggedBy(e, 'PIM') && /^add (eligible )?member to role.*completed/i.test(e.operation);
    return isPrivilegedDirectoryRole(e) && (isDirectRoleAdd(e) || activatedOrAssigned);
  }
  return activityOperation(e) === ROLE_ASSIGNMENT_WRITE && e.role_definition_id !== null && HIGH_IMPACT_ROLES.has(e.role_definition_id);
}

export default defineDetector({
  id: 'entra.privileged-signin-without-mfa-or-risky',
  title: 'Privileged sign-in without MFA or at medium/high risk',
  severity: 'high',
  attack: [T1078_004],
  needs: { categories: ['SignInLogs', 'NonInteractiveUserSignInLogs', 'AuditLogs', ...ADMINISTRATIVE_CATEGORIES], setting: SIGNIN_SETTING },
  description: 'A user signed in successfully without MFA (interactive sign-ins) or with medium/high sign-in risk, and either the sign-in was to an admin surface (Azure portal, Azure CLI, Azure PowerShell, or the Azure management API) or the user received a privileged directory role (assignment or PIM activation) or a high-impact Azure role (Owner, Contributor, User Access Administrator, ...) in the previous 14 days. "Privileged" is learned from the same stream: the role grant is the sequence\'s first step, keyed by the member, and the sign-in the second.',
  remediation: 'Confirm the sign-in with the user. If not theirs: revoke sessions, reset credentials and MFA registrations, and review what the account changed. Either way, require MFA for admin roles and Azure management with Conditional Access.',
  falsePositives: ['Conditional Access not yet enforcing MFA for admins (every admin sign-in fires until it does).', 'Risk from anonymising VPNs used by administrators.', 'Emergency access accounts excluded from MFA by design.'],
  sequence: {
    key: (e) => (isSignIn(e) ? e.principal_id : e.category === 'AuditLogs' ? memberOf(e) : e.target),
    // A weak sign-in to an admin surface is both steps at once.
    first: (e) => madePrivileged(e) || (isWeakSignIn(e) && isAdminSurface(e)),
    then: isWeakSignIn,
    thenCount: 1,
    windowSeconds: 14 * 86_400,
    entityFrom: 'then',
    suppressSeconds: 86_400,
  },
  cases: [
    {
      name: 'a password-only sign-in to the Azure portal fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, caller_ip: '198.51.100.23', alerts: 1 },
      events: () => toEvents([signinRecord({ user: INTRUDER, ip: '198.51.100.23', time: at(8, 600) })]),
    },
    {
      name: 'a new Global Administrator signing in to Graph at high risk (with MFA) fires',
      fires: true,
      expect: { principal_id: ADA.oid },
      events: () => toEvents([
        entraAuditRecord({ operation: 'Add member to role', by: ADMIN, targetResources: coreDirectoryRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) }),
        signinRecord({ user: ADA, app: { id: 'de8bc8b5-d9f9-48b1-a8ad-b748da725064', name: 'Graph Explorer' }, resource: { id: MICROSOFT_GRAPH_RESOURCE, name: 'Microsoft Graph' }, requirement: 'multiFactorAuthentication', mfaMethod: 'PhoneAppNotification', risk: 'high', time: at(9, 60) }),
      ]),
    },
    {
      name: 'a new subscription Owner signing in to Graph without MFA fires',
      fires: true,
      expect: { principal_id: ADA.oid },
      events: () => toEvents([
        roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: OWNER, scope: SUBSCRIPTION_SCOPE, time: at(8, 600) }),
        signinRecord({ user: ADA, app: { id: 'de8bc8b5-d9f9-48b1-a8ad-b748da725064', name: 'Graph Explorer' }, resource: { id: MICROSOFT_GRAPH_RESOURCE, name: 'Microsoft Graph' }, time: at(8, 700) }),
      ]),
    },
    {
      name: 'admins signing in to the portal with MFA stay quiet',
      fires: false,
      events: () => toEvents([
        signinRecord({ user: ADMIN, requirement: 'multiFactorAuthentication', mfaMethod: 'PhoneAppNotification', time: at(8, 600) }),
        signinRecord({ user: ADA, requirement: 'multiFactorAuthentication', mfaMethod: 'PhoneAppOTP', risk: 'low', time: at(8, 610) }),
      ]),
    },
    {
      name: 'CLI token refreshes (non-interactive, single factor) stay quiet',
      fires: false,
      events: () => toEvents([signinRecord({ category: 'NonInteractiveUserSignInLogs', user: ADMIN, app: { id: AZURE_CLI_APP, name: 'Microsoft Azure CLI' }, time: at(8, 600) })]),
    },
    {
      name: 'a user without admin roles signing in to Graph without MFA, and a failed portal sign-in, stay quiet',
      fires: false,
      events: () => toEvents([
        signinRecord({ user: ADA, app: { id: 'de8bc8b5-d9f9-48b1-a8ad-b748da725064', name: 'Graph Explorer' }, resource: { id: MICROSOFT_GRAPH_RESOURCE, name: 'Microsoft Graph' }, time: at(8, 600) }),
        signinRecord({ user: INTRUDER, errorCode: 50126, time: at(8, 610) }),
      ]),
    },
  ],
});
