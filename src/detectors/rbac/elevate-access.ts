import { T1548_005, T1098_003 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES } from '../keys.js';

const ELEVATE = 'MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION';

export default defineDetector({
  id: 'rbac.elevate-access',
  title: 'Global Administrator elevated to User Access Administrator at tenant root',
  severity: 'high',
  attack: [T1548_005, T1098_003],
  // elevateAccess is logged in the tenant-level Activity log, not any subscription's.
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: 'The tenant-level Activity log (Administrative; `az monitor diagnostic-settings tenant create` or the Entra ID "Directory activity" export) plus each subscription\'s Activity log, sent to the Event Hub auditlake reads.' },
  description: 'An Entra Global Administrator called Microsoft.Authorization/elevateAccess/action, which grants them User Access Administrator at the tenant root ("/"): control over every subscription and management group. It is meant for regaining lost access, rarely used, and a classic step after an Entra admin account is compromised.',
  remediation: 'Ask the caller why; remove the root-scope User Access Administrator assignment (Entra ID → Properties → "Access management for Azure resources" off) as soon as the task is done, and review role assignments created since (rbac.* alerts for the same principal).',
  falsePositives: ['Recovering a subscription whose owners left.', 'Onboarding tenant-wide tools during setup.'],
  match: {
    where: (e) => activityOperation(e) === ELEVATE && e.result === 'success',
  },
  cases: [
    {
      name: 'a successful elevateAccess fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: ELEVATE, ...INTRUDER, resourceId: '/providers/Microsoft.Authorization', time: at(8, 600) })]),
    },
    {
      name: 'the REST export\'s mixed-case spelling fires too',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: 'Microsoft.Authorization/elevateAccess/action', ...INTRUDER, resourceId: '/providers/Microsoft.Authorization', time: at(8, 600) })]),
    },
    {
      name: 'a refused elevateAccess (not a Global Administrator) stays quiet',
      fires: false,
      events: () => toEvents([activityRecord({ operation: ELEVATE, ...ADMIN, resourceId: '/providers/Microsoft.Authorization', resultType: 'Failure', time: at(8, 600) })]),
    },
  ],
});
