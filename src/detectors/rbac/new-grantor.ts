import { T1098_003 } from '../attack.js';
import { ADA, ADMIN, at, INTRUDER, PIPELINE, roleAssignmentRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { ADMINISTRATIVE_CATEGORIES, principalOf } from '../keys.js';
import { CONTRIBUTOR } from '../../schema/roles.js';
import { ACTIVITY_SETTING, isCompletedGrant, READER } from './common.js';

/** The admin grants a role or two most days; the IaC pipeline grants on Mondays. */
const usualGrantors = (days: number) => Array.from({ length: days }, (_, d) => [
  roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: READER, time: at(d, 600) }),
  ...(d % 7 === 0 ? [roleAssignmentRecord({ by: PIPELINE, grantee: '0d0e0f10-1111-4a5b-8c6d-7e8f9a0b1c2d', granteeType: 'ServicePrincipal', role: CONTRIBUTOR, time: at(d, 120) })] : []),
]).flat();

export default defineDetector({
  id: 'rbac.new-grantor',
  title: 'Principal granting roles for the first time',
  severity: 'medium',
  attack: [T1098_003],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A principal completed a role assignment (any role) without having granted one in the previous 90 days, once the tenant has 5 days of grant history (a week of history covers the weekly grantors; backfill from Log Analytics shortens the wait). A handful of admins and pipelines grant roles; a new grantor is either a new admin or an account that just gained roleAssignments/write and is using it.',
  remediation: 'Check how the caller got the right to grant (recent rbac.* alerts naming it as grantee) and whether its owner did this. Remove grants nobody planned.',
  falsePositives: ['New members of the platform team.', 'A new deployment pipeline identity.', 'Admins who grant less than every 90 days.'],
  firstSeen: {
    where: isCompletedGrant,
    // One history for the whole tenant: who grants, anywhere.
    scope: () => 'grantors',
    value: principalOf,
    learningDays: 5,
    forgetDays: 90,
    suppressSeconds: 86_400,
  },
  cases: [
    {
      name: 'a principal never seen granting gives itself Contributor on day 15',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      history: () => toEvents(usualGrantors(15)),
      events: () => toEvents([
        roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: CONTRIBUTOR, time: at(15, 600) }),
        roleAssignmentRecord({ by: INTRUDER, grantee: ADA.oid, role: READER, time: at(15, 610) }),
      ]),
    },
    {
      name: 'the usual admin and pipeline stay quiet',
      fires: false,
      history: () => toEvents(usualGrantors(15)),
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: CONTRIBUTOR, time: at(15, 600) }), roleAssignmentRecord({ by: PIPELINE, grantee: ADA.oid, role: READER, time: at(15, 120) })]),
    },
    {
      name: 'a new grantor during the learning period stays quiet',
      fires: false,
      history: () => toEvents(usualGrantors(3)),
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: CONTRIBUTOR, time: at(3, 600) })]),
    },
    {
      name: 'a new grantor whose grant failed stays quiet',
      fires: false,
      history: () => toEvents(usualGrantors(15)),
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: CONTRIBUTOR, resultType: 'Failure', time: at(15, 600) })]),
    },
  ],
});
