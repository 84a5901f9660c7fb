import { T1098_003 } from '../attack.js';
import { ADA, ADMIN, at, INTRUDER, PIPELINE, roleAssignmentRecord, SUBSCRIPTION_SCOPE, toEvents, verbShaped } from '../cases.js';
import { defineDetector } from '../define.js';
import { OWNER } from '../../schema/roles.js';
import { ADMINISTRATIVE_CATEGORIES } from '../keys.js';
import { ACTIVITY_SETTING, grantFacts, grantKey, HIGH_IMPACT_ROLES, isCompletedGrant, READER, STORAGE_BLOB_DATA_OWNER } from './common.js';

export default defineDetector({
  id: 'rbac.privileged-role-assigned',
  title: 'Privileged Azure role assigned',
  severity: 'high',
  attack: [T1098_003],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A role assignment completed for Owner, Contributor, User Access Administrator, Role Based Access Control Administrator, Key Vault Administrator, Key Vault Data Access Administrator or Storage Blob Data Owner: roles that control the resource, grant access to others or own its data. Only the Success record counts (the Start record of the same write is not a grant yet). Several grants by one caller to one grantee within an hour are one alert.',
  remediation: 'Confirm the grant with the caller and the grantee\'s owner (evidence: role, grantee, scope). If unplanned, remove the assignment, review what the grantee did since, and check how the caller came to hold Microsoft.Authorization/roleAssignments/write.',
  falsePositives: ['Onboarding through a ticketed change (prefer PIM for Azure resources, which makes these eligible, not standing).', 'Infrastructure-as-code granting a deployment identity Contributor on a new resource group.'],
  match: {
    where: (e) => isCompletedGrant(e) && e.role_definition_id !== null && HIGH_IMPACT_ROLES.has(e.role_definition_id),
    key: grantKey,
    facts: grantFacts,
  },
  cases: [
    {
      name: 'Owner on the subscription granted to an unknown user fires (Start then Success: one alert)',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([
        roleAssignmentRecord({ by: INTRUDER, grantee: 'c3e5a7b9-2d4f-4b6c-8e0a-1f3b5d7f9a1c', role: OWNER, scope: SUBSCRIPTION_SCOPE, resultType: 'Start', time: at(8, 600) }),
        roleAssignmentRecord({ by: INTRUDER, grantee: 'c3e5a7b9-2d4f-4b6c-8e0a-1f3b5d7f9a1c', role: OWNER, scope: SUBSCRIPTION_SCOPE, time: at(8, 600) }),
      ]),
    },
    {
      name: 'Storage Blob Data Owner for a service principal fires',
      fires: true,
      expect: { principal_id: ADMIN.oid },
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: PIPELINE.oid, granteeType: 'ServicePrincipal', role: STORAGE_BLOB_DATA_OWNER, time: at(8, 600) })]),
    },
    {
      name: 'the same Owner grant in the Activity log\'s storage-account shape (category Write) fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([verbShaped(roleAssignmentRecord({ by: INTRUDER, grantee: 'c3e5a7b9-2d4f-4b6c-8e0a-1f3b5d7f9a1c', role: OWNER, scope: SUBSCRIPTION_SCOPE, time: at(8, 600) }), 'Write')]),
    },
    {
      name: 'an admin assigning Reader stays quiet',
      fires: false,
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: READER, scope: SUBSCRIPTION_SCOPE, time: at(8, 600) })]),
    },
    {
      name: 'the Start record of an Owner grant that never completed stays quiet',
      fires: false,
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: OWNER, resultType: 'Start', time: at(8, 600) })]),
    },
    {
      name: 'a failed Owner grant stays quiet',
      fires: false,
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: OWNER, resultType: 'Failure', time: at(8, 600) })]),
    },
  ],
});
