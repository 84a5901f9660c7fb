import { T1562_008 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, toEvents, vaultId } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { ACTIVITY_SETTING, isCompleted, opIs } from './common.js';
import { ADMINISTRATIVE_CATEGORIES } from '../keys.js';

const DELETES = ['MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE', 'MICROSOFT.AADIAM/DIAGNOSTICSETTINGS/DELETE'];
const WRITES = ['MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE', 'MICROSOFT.AADIAM/DIAGNOSTICSETTINGS/WRITE'];

/**
 * The portal writes every category with `enabled: true|false`, so a disabled category is normal;
 * a setting with every log category disabled is a delete in disguise.
 */
function disablesAllLogs(e: EventRow): boolean {
  return e.details.logs_enabled === 0 && typeof e.details.logs_disabled === 'number' && e.details.logs_disabled > 0;
}

const settingId = `${vaultId('kv-fabrikam-ml')}/providers/microsoft.insights/diagnosticSettings/to-auditlake`;
const logs = (enabled: boolean) => [{ category: 'AuditEvent', enabled }, { category: 'AzurePolicyEvaluationDetails', enabled: false }];
const body = (enabled: boolean) => ({ properties: { eventHubAuthorizationRuleId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/ehn/authorizationrules/RootManageSharedAccessKey', eventHubName: 'audit', logs: logs(enabled), metrics: [] } });

export default defineDetector({
  id: 'governance.diagnostic-setting-removed',
  title: 'Diagnostic setting deleted or its logs disabled',
  severity: 'high',
  attack: [T1562_008],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: `${ACTIVITY_SETTING} Entra ID diagnostic-setting changes appear in the tenant-level Activity log.` },
  description: 'A diagnostic setting (on a vault, storage account, workspace, the subscription\'s Activity log, or Entra ID) was deleted, or rewritten with every log category disabled. That stops the logs auditlake and Sentinel read: attackers do it before acting, and the silence that follows hides the rest.',
  remediation: 'Restore the setting (evidence: the resource it belonged to) and check what the resource logged elsewhere, or what its neighbours saw, from the time of the change until now. Protect settings with Azure Policy (DeployIfNotExists) and restrict microsoft.insights/diagnosticSettings/* to the platform team.',
  falsePositives: ['Re-deploying diagnostic settings (delete and re-create) through infrastructure-as-code.', 'Decommissioning a resource.'],
  match: {
    where: (e) => isCompleted(e) && (opIs(e, ...DELETES) || (opIs(e, ...WRITES) && disablesAllLogs(e))),
    facts: (e) => ({ scope: typeof e.details.scope === 'string' ? e.details.scope : null, logs_enabled: e.details.logs_enabled ?? null, logs_disabled: e.details.logs_disabled ?? null }),
  },
  cases: [
    {
      name: 'deleting the vault\'s diagnostic setting fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE', ...INTRUDER, resourceId: settingId, time: at(8, 600) })]),
    },
    {
      name: 'rewriting it with every category disabled fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE', ...INTRUDER, resourceId: settingId, requestbody: body(false), time: at(8, 600) })]),
    },
    {
      name: 'a write that enables AuditEvent (other categories off) stays quiet',
      fires: false,
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE', ...ADMIN, resourceId: settingId, requestbody: body(true), time: at(8, 600) })]),
    },
    {
      name: 'the Start record of a delete that failed stays quiet',
      fires: false,
      events: () => toEvents([
        activityRecord({ operation: 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE', ...INTRUDER, resourceId: settingId, resultType: 'Start', time: at(8, 600) }),
        activityRecord({ operation: 'MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE', ...INTRUDER, resourceId: settingId, resultType: 'Failure', time: at(8, 600) }),
      ]),
    },
  ],
});
