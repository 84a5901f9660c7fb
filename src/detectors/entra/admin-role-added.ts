import { T1098_003 } from '../attack.js';
import { ADA, ADMIN, at, coreDirectoryRoleTargets, DIRECTORY_READERS, entraAuditRecord, GLOBAL_ADMINISTRATOR, INTRUDER, MS_PIM, pimRoleTargets, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { AUDIT_SETTING, initiatedByPim, isDirectRoleAdd, isPimAssignment, isPrivilegedDirectoryRole, memberOf, roleFacts } from './common.js';

const USER_ADMINISTRATOR = { templateId: 'fe930be7-5e62-47db-91af-98c3a49a38b1', name: 'User Administrator' };

export default defineDetector({
  id: 'entra.admin-role-added',
  title: 'Privileged Entra ID role added to a member',
  severity: 'high',
  attack: [T1098_003],
  needs: { categories: ['AuditLogs'], setting: AUDIT_SETTING },
  description: 'Global Administrator, Privileged Role Administrator, Privileged Authentication Administrator, Security, Application, Cloud Application, User, Authentication, Conditional Access, Hybrid Identity, Exchange, SharePoint or Intune Administrator was granted: directly (Core Directory "Add member to role") or as a PIM assignment (eligible or active). PIM activations of an existing eligibility are routine and stay quiet, as do the Core Directory records MS-PIM writes on their behalf. The alert names who granted; the evidence names the member.',
  remediation: 'Confirm the grant with the initiator and the member\'s manager. If unplanned: remove the role, revoke the member\'s sessions, reset its credentials and review its sign-ins and the directory changes it made since.',
  falsePositives: ['Planned onboarding of administrators (prefer eligible PIM assignments with approval).', 'Emergency access account maintenance.'],
  match: {
    where: (e) => e.result === 'success' && isPrivilegedDirectoryRole(e) && (isPimAssignment(e) || (isDirectRoleAdd(e) && !initiatedByPim(e))),
    key: (e) => `${e.principal_id ?? e.app_id ?? 'unknown'}|${memberOf(e) ?? e.target ?? ''}`,
    facts: roleFacts,
  },
  cases: [
    {
      name: 'Global Administrator added directly fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([entraAuditRecord({ operation: 'Add member to role', by: INTRUDER, targetResources: coreDirectoryRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) })]),
    },
    {
      name: 'a permanent PIM assignment of User Administrator fires',
      fires: true,
      expect: { principal_id: ADMIN.oid },
      events: () => toEvents([entraAuditRecord({ operation: 'Add member to role in PIM completed (permanent)', service: 'PIM', by: ADMIN, targetResources: pimRoleTargets(ADA, USER_ADMINISTRATOR), time: at(8, 600) })]),
    },
    {
      name: 'a PIM activation and the Core Directory record MS-PIM writes for it stay quiet',
      fires: false,
      events: () => toEvents([
        entraAuditRecord({ operation: 'Add member to role completed (PIM activation)', service: 'PIM', operationType: 'Add', by: { ...ADA, ip: '203.0.113.57' }, targetResources: pimRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) }),
        entraAuditRecord({ operation: 'Add member to role', by: { app: MS_PIM }, targetResources: coreDirectoryRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) }),
      ]),
    },
    {
      name: 'Directory Readers added stays quiet',
      fires: false,
      events: () => toEvents([entraAuditRecord({ operation: 'Add member to role', by: ADMIN, targetResources: coreDirectoryRoleTargets(ADA, DIRECTORY_READERS), time: at(8, 600) })]),
    },
    {
      name: 'a failed Global Administrator add stays quiet',
      fires: false,
      events: () => toEvents([entraAuditRecord({ operation: 'Add member to role', by: INTRUDER, result: 'failure', targetResources: coreDirectoryRoleTargets(INTRUDER, GLOBAL_ADMINISTRATOR), time: at(8, 600) })]),
    },
  ],
});
