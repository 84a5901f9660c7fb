import { T1562_001, T1484 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, SUBSCRIPTION, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { ACTIVITY_SETTING, isCompleted, opIs } from './common.js';
import { ADMINISTRATIVE_CATEGORIES } from '../keys.js';

const ASSIGNMENT_DELETE = 'MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/DELETE';
const EXEMPTION_WRITE = 'MICROSOFT.AUTHORIZATION/POLICYEXEMPTIONS/WRITE';
const assignment = (name: string) => `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/policyAssignments/${name}`;
const exemption = (name: string) => `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-fabrikam-ml/providers/Microsoft.Authorization/policyExemptions/${name}`;

export default defineDetector({
  id: 'governance.policy-assignment-removed',
  title: 'Azure Policy assignment deleted or exemption granted',
  severity: 'medium',
  attack: [T1562_001, T1484],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'An Azure Policy assignment was deleted, or a policy exemption created or changed. Both switch guardrails off (deny public storage, require private endpoints, deploy diagnostic settings) for everything in scope, typically right before the change the policy would have blocked. Deleting an exemption re-enables a policy and stays quiet.',
  remediation: 'Check the assignment or exemption (evidence: scope) with the platform team; restore deleted assignments from their definition in source control and remove unplanned exemptions. Restrict policyAssignments/delete and policyExemptions/write to the platform team.',
  falsePositives: ['Policy-as-code pipelines that replace assignments (delete then create).', 'Time-limited exemptions granted through a reviewed process.'],
  match: {
    where: (e) => isCompleted(e) && opIs(e, ASSIGNMENT_DELETE, EXEMPTION_WRITE),
    facts: (e) => ({ scope: typeof e.details.scope === 'string' ? e.details.scope : null, change: opIs(e, ASSIGNMENT_DELETE) ? 'assignment deleted' : 'exemption written' }),
  },
  cases: [
    {
      name: 'deleting the deny-public-storage assignment fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: ASSIGNMENT_DELETE, ...INTRUDER, resourceId: assignment('deny-public-storage'), time: at(8, 600) })]),
    },
    {
      name: 'an exemption written for the ML resource group fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: EXEMPTION_WRITE, ...INTRUDER, resourceId: exemption('allow-public'), requestbody: { properties: { policyAssignmentId: assignment('deny-public-storage'), exemptionCategory: 'Waiver' } }, time: at(8, 600) })]),
    },
    {
      name: 'creating an assignment, deleting an exemption, and a refused delete stay quiet',
      fires: false,
      events: () => toEvents([
        activityRecord({ operation: 'MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/WRITE', ...ADMIN, resourceId: assignment('require-private-endpoints'), time: at(8, 600) }),
        activityRecord({ operation: 'MICROSOFT.AUTHORIZATION/POLICYEXEMPTIONS/DELETE', ...ADMIN, resourceId: exemption('old-waiver'), time: at(8, 610) }),
        activityRecord({ operation: ASSIGNMENT_DELETE, ...INTRUDER, resourceId: assignment('deny-public-storage'), resultType: 'Failure', time: at(8, 620) }),
      ]),
    },
  ],
});
