import { T1098_003, T1484 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, SUBSCRIPTION, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES } from '../keys.js';
import { ACTIVITY_SETTING, ROLE_DEFINITION_WRITE } from './common.js';

const split = (v: unknown): string[] => (typeof v === 'string' && v !== '' ? v.split(',').map((s) => s.trim().toLowerCase()) : []);

/**
 * `*`, or a whole provider namespace or write verb everywhere (`Microsoft.Authorization/*`,
 * `*\/write`). `*\/read` is Reader and stays out.
 */
function broadActions(e: EventRow): string[] {
  return split(e.details.actions).filter((a) => a === '*' || a === 'microsoft.authorization/*' || (a.startsWith('*/') && a !== '*/read'));
}

/** Any wildcard in a data action reaches every secret, key or blob behind it. */
function broadDataActions(e: EventRow): string[] {
  return split(e.details.data_actions).filter((a) => a.includes('*'));
}

const roleDefinitionId = (guid: string) => `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const definition = (name: string, actions: string[], dataActions: string[]) => ({
  Name: '4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b',
  Properties: { RoleName: name, Description: 'ml ops', Type: 'CustomRole', AssignableScopes: [`/subscriptions/${SUBSCRIPTION}`], Permissions: [{ Actions: actions, NotActions: [], DataActions: dataActions, NotDataActions: [] }] },
});
const write = (who: { oid: string; upn: string }, body: Record<string, unknown>, resultType: 'Start' | 'Success', time: string) =>
  activityRecord({ operation: ROLE_DEFINITION_WRITE, ...who, resourceId: roleDefinitionId('4e5f6a7b-8c9d-4e0f-9a1b-2c3d4e5f6a7b'), resultType, time, ...(resultType === 'Start' ? { requestbody: body } : { responseBody: body }) });

export default defineDetector({
  id: 'rbac.custom-role-wildcard',
  title: 'Custom role created or changed with wildcard permissions',
  severity: 'high',
  attack: [T1098_003, T1484],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A custom role definition was written whose actions include `*`, `Microsoft.Authorization/*` or a `*/verb` across all providers, or whose data actions contain a wildcard (every secret, key or blob). Such a role is Owner (or a data owner) under a name nobody reviews; changing an assigned custom role escalates every holder at once.',
  remediation: 'Review the role (evidence: name, actions, data actions, assignable scopes) and its assignments. Replace wildcards with the specific actions needed, or delete the role if nobody planned it.',
  falsePositives: ['Platform teams defining a scoped "owner without role assignment" role (`*` with NotActions): check NotActions in the raw record.'],
  match: {
    where: (e) => e.result === 'success' && activityOperation(e) === ROLE_DEFINITION_WRITE && (broadActions(e).length > 0 || broadDataActions(e).length > 0),
    facts: (e) => ({
      role_name: typeof e.details.role_name === 'string' ? e.details.role_name : null,
      role_definition_id: e.role_definition_id,
      wildcard_actions: broadActions(e).join(','),
      wildcard_data_actions: broadDataActions(e).join(','),
      assignable_scopes: typeof e.details.assignable_scopes === 'string' ? e.details.assignable_scopes : null,
    }),
  },
  cases: [
    {
      name: 'a role with Actions ["*"] fires once the write succeeds',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => {
        const body = definition('ml-ops-breakglass', ['*'], []);
        return toEvents([write(INTRUDER, body, 'Start', at(8, 600)), write(INTRUDER, body, 'Success', at(8, 600))]);
      },
    },
    {
      name: 'a role reading every secret through a data-action wildcard fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([write(INTRUDER, definition('kv-reader-plus', ['Microsoft.KeyVault/vaults/read'], ['Microsoft.KeyVault/vaults/secrets/*']), 'Success', at(8, 600))]),
    },
    {
      name: 'a narrow custom role (and a */read role) stays quiet',
      fires: false,
      events: () => toEvents([
        write(ADMIN, definition('aml-job-runner', ['Microsoft.MachineLearningServices/workspaces/jobs/write', 'Microsoft.MachineLearningServices/workspaces/read'], ['Microsoft.KeyVault/vaults/secrets/getSecret/action']), 'Success', at(8, 600)),
        write(ADMIN, definition('auditor', ['*/read'], []), 'Success', at(8, 630)),
      ]),
    },
    {
      name: 'the Start record of a wildcard role that was refused stays quiet',
      fires: false,
      events: () => toEvents([write(INTRUDER, definition('ml-ops-breakglass', ['*'], []), 'Start', at(8, 600))]),
    },
  ],
});
