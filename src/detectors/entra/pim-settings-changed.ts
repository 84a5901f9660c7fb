import { T1098_003, T1556 } from '../attack.js';
import { ADA, ADMIN, at, entraAuditRecord, GLOBAL_ADMINISTRATOR, INTRUDER, pimRoleTargets, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { AUDIT_SETTING, loggedBy } from './common.js';

/** PIM's role-setting record: the role first, its changed rules as modified properties. */
const settingTargets = (changes: { displayName: string; oldValue: string; newValue: string }[]) => [
  { id: GLOBAL_ADMINISTRATOR.templateId, displayName: GLOBAL_ADMINISTRATOR.name, type: 'Role', modifiedProperties: changes, administrativeUnits: [] },
  { id: '1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e', displayName: 'DirectoryRole_settings', type: 'Other', modifiedProperties: [], administrativeUnits: [] },
];
const WEAKENED = [
  { displayName: 'Enablement_EndUser_Assignment', oldValue: '"MultiFactorAuthentication,Justification"', newValue: '"Justification"' },
  { displayName: 'Expiration_EndUser_Assignment', oldValue: '"PT8H"', newValue: '"PT24H"' },
];

export default defineDetector({
  id: 'entra.pim-settings-changed',
  title: 'PIM role settings changed',
  severity: 'high',
  attack: [T1556, T1098_003],
  needs: { categories: ['AuditLogs'], setting: AUDIT_SETTING },
  description: 'A Privileged Identity Management role setting was updated: activation requirements (MFA, justification, approval), maximum activation duration, eligible or active assignment expiry, or notifications. Dropping MFA or approval from Global Administrator activation, or allowing permanent assignments, quietly turns PIM into standing access. Rarely changed after set-up; the evidence lists the modified rules.',
  remediation: 'Compare the new rules (evidence: modified properties; raw record: old and new values) with the tenant\'s PIM baseline and revert weakening changes. Check what the initiator activated or assigned afterwards.',
  falsePositives: ['Planned PIM policy reviews.', 'Initial PIM roll-out, when every role\'s settings are written.'],
  match: {
    where: (e) => e.result === 'success' && loggedBy(e, 'PIM') && /^update role setting/i.test(e.operation),
    key: (e) => `${e.principal_id ?? e.app_id ?? 'unknown'}|${e.role_definition_id ?? ''}`,
    facts: (e) => ({
      role_name: typeof e.details.role_name === 'string' ? e.details.role_name : null,
      role_template_id: e.role_definition_id,
      modified_properties: typeof e.details.modified_properties === 'string' ? e.details.modified_properties : null,
    }),
  },
  cases: [
    {
      name: 'MFA dropped from Global Administrator activation fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([entraAuditRecord({ operation: 'Update role setting in PIM', service: 'PIM', operationType: 'Update', by: INTRUDER, targetResources: settingTargets(WEAKENED), time: at(8, 600) })]),
    },
    {
      name: 'a PIM activation and a failed settings update stay quiet',
      fires: false,
      events: () => toEvents([
        entraAuditRecord({ operation: 'Add member to role completed (PIM activation)', service: 'PIM', by: ADA, targetResources: pimRoleTargets(ADA, GLOBAL_ADMINISTRATOR), time: at(8, 600) }),
        entraAuditRecord({ operation: 'Update role setting in PIM', service: 'PIM', operationType: 'Update', by: ADMIN, result: 'failure', targetResources: settingTargets(WEAKENED), time: at(8, 610) }),
      ]),
    },
  ],
});
