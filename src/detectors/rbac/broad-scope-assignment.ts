import { T1098_003 } from '../attack.js';
import { ADA, ADMIN, at, INTRUDER, RESOURCE_GROUP_SCOPE, roleAssignmentRecord, SUBSCRIPTION_SCOPE, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { OWNER, USER_ACCESS_ADMINISTRATOR } from '../../schema/roles.js';
import { ACTIVITY_SETTING, grantFacts, grantKey, HIGH_IMPACT_ROLES, isCompletedGrant, READER, scopeTypeOf } from './common.js';
import { ADMINISTRATIVE_CATEGORIES } from '../keys.js';

const BROAD_SCOPES: ReadonlySet<string> = new Set(['subscription', 'managementGroup', 'root']);
const MANAGEMENT_GROUP_SCOPE = '/providers/Microsoft.Management/managementGroups/fabrikam-platform';

export default defineDetector({
  id: 'rbac.broad-scope-assignment',
  title: 'Privileged role assigned at subscription, management group or tenant root',
  severity: 'high',
  attack: [T1098_003],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A high-impact role (Owner, Contributor, User Access Administrator, RBAC Administrator, Key Vault Administrator / Data Access Administrator, Storage Blob Data Owner) was granted at subscription, management-group or tenant-root scope, where it reaches every vault, storage account and workspace below. Least-privilege grants sit at a resource group or resource.',
  remediation: 'Re-scope the assignment to the resource group or resource that needs it, or remove it. For root-scope grants check who elevated access first (rbac.elevate-access).',
  falsePositives: ['Platform teams assigning subscription owners when a subscription is vended.', 'Security tooling that needs subscription-wide Reader plus one write role.'],
  match: {
    where: (e) => isCompletedGrant(e) && e.role_definition_id !== null && HIGH_IMPACT_ROLES.has(e.role_definition_id)
      && BROAD_SCOPES.has(scopeTypeOf(e) ?? ''),
    key: grantKey,
    facts: grantFacts,
  },
  cases: [
    {
      name: 'User Access Administrator on a management group fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: ADA.oid, role: USER_ACCESS_ADMINISTRATOR, scope: MANAGEMENT_GROUP_SCOPE, time: at(8, 600) })]),
    },
    {
      name: 'Owner at tenant root fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: OWNER, scope: '/', time: at(8, 600) })]),
    },
    {
      name: 'Reader on the subscription (admins granting read access) stays quiet',
      fires: false,
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: READER, scope: SUBSCRIPTION_SCOPE, time: at(8, 600) })]),
    },
    {
      name: 'Owner on one resource group stays quiet',
      fires: false,
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: OWNER, scope: RESOURCE_GROUP_SCOPE, time: at(8, 600) })]),
    },
  ],
});
