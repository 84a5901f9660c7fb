import { T1098_003 } from '../attack.js';
import { ADA, ADMIN, at, coreDirectoryRoleTargets, DIRECTORY_READERS, entraAuditRecord, GLOBAL_ADMINISTRATOR, INTRUDER, MS_PIM, pimRoleTargets, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { AUDIT_SETTING, initiatedByPim, isDirectRoleAdd, memberOf, roleFacts } from './common.js';

export default defineDetector({
  id: 'entra.role-added-outside-pim',
  title: 'Entra ID role added outside Privileged Identity Management',
  severity: 'medium',
  attack: [T1098_003],
  needs: { categories: ['AuditLogs'], setting: AUDIT_SETTING },
  description: 'A directory role was added through Core Directory ("Add member to role") by someone other than MS-PIM, i.e. a standing assignment made directly (portal, Graph, PowerShell) bypassing PIM\'s approval, justification and expiry. In a tenant that manages roles with PIM this is either a mistake or someone avoiding the audit trail. Any role counts here; entra.admin-role-added raises the privileged ones at high severity.',
  remediation: 'Remove the direct assignment and, if the member needs the role, make it an eligible PIM assignment. Find out why the initiator bypassed PIM; for an unexpected initiator treat the account as compromised.',
  falsePositives: ['Tenants without Entra ID P2 (no PIM): every role change is direct — disable this detector there.', 'Break-glass procedures.'],
  match: {
    where: (e) => e.result === 'success' && isDirectRoleAdd(e) && !initiatedByPim(e),
    key: (e) => `${e.principal_id ?? e.app_id ?? 'unknown'}|${memberOf(e) ?? e.target ?? ''}`,
    facts: roleFacts,
  },
  cases: [
    {
      name: 'a direct Directory Readers add by an admin fires',
      fires: true,
      expect: { principal_id: ADMIN.oid },
      events: () => toEvents([entraAuditRecord({ operation: 'Add member to role', by: ADMIN, targetResources: coreDirectoryRoleTargets(ADA, DIRECTORY_READERS), time: at(8, 600) })]),
    },
    {
      name: 'a direct Global Administrator add fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([entraAuditRecord({ operation: 'Add member to role', by: INTRUDER, targetResources: coreDirectoryRoleTargets(INTRUDER, GLOBAL_ADMINISTRATOR), time: at(8, 600) })]),
    },
    {
      name: 'a PIM activation (PIM record plus MS-PIM\'s Core Directory record) stays quiet',
      fires: false,
      events: () => toEvents([
        entraAuditRecord({ operation: 'Add member to role completed (PIM activation)', service: 'PIM', by: ADA, targetResources: pimRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) }),
        entraAuditRecord({ operation: 'Add member to role', by: { app: MS_PIM }, targetResources: coreDirectoryRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) }),
      ]),
    },
    {
      name: 'a PIM eligible assignment stays quiet',
      fires: false,
      events: () => toEvents([entraAuditRecord({ operation: 'Add eligible member to role in PIM completed (timebound)', service: 'PIM', by: ADMIN, targetResources: pimRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) })]),
    },
  ],
});
