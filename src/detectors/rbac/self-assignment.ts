import { T1098_003, T1548_005 } from '../attack.js';
import { ADA, ADMIN, at, INTRUDER, roleAssignmentRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { CONTRIBUTOR, OWNER } from '../../schema/roles.js';
import { ACTIVITY_SETTING, grantFacts, grantKey, isCompletedGrant } from './common.js';
import { ADMINISTRATIVE_CATEGORIES } from '../keys.js';

export default defineDetector({
  id: 'rbac.self-assignment',
  title: 'Principal assigned a role to itself',
  severity: 'high',
  attack: [T1098_003, T1548_005],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A completed role assignment whose grantee is the caller itself (any role). Administrators grant roles to others; a principal widening its own access is how a stolen User Access Administrator, RBAC Administrator or Owner credential is turned into data access.',
  remediation: 'Remove the assignment unless the caller\'s owner confirms it. Find why the caller holds roleAssignments/write at that scope (the evidence names the scope) and move standing admin rights to PIM with approval.',
  falsePositives: ['Break-glass procedures where an admin elevates themselves deliberately (document them).', 'Automation identities that manage their own data-plane roles on resources they create.'],
  match: {
    where: (e) => isCompletedGrant(e) && e.details.self_assignment === true,
    key: grantKey,
    facts: grantFacts,
  },
  cases: [
    {
      name: 'an intruder granting itself Owner fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: OWNER, time: at(8, 600) })]),
    },
    {
      name: 'an admin granting someone else Contributor stays quiet',
      fires: false,
      events: () => toEvents([roleAssignmentRecord({ by: ADMIN, grantee: ADA.oid, role: CONTRIBUTOR, time: at(8, 600) })]),
    },
    {
      name: 'the Start record of a self-assignment that failed stays quiet',
      fires: false,
      events: () => toEvents([
        roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: OWNER, resultType: 'Start', time: at(8, 600) }),
        roleAssignmentRecord({ by: INTRUDER, grantee: INTRUDER.oid, role: OWNER, resultType: 'Failure', time: at(8, 600) }),
      ]),
    },
  ],
});
