import { T1098, T1562_007 } from '../attack.js';
import { ADA, activityRecord, at, INTRUDER, kvRecord, PIPELINE, toEvents, vaultId } from '../cases.js';
import { defineDetector } from '../define.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES, isBackgroundScanner, principalOf } from '../keys.js';
import { AUDIT_EVENT_SETTING } from './ops.js';
import type { EventRow } from '../../schema/event.js';

const CHANGE_FACTS = /^(added|removed|updated)_access_policy|^is_(access_policy|network_rule)_change$|^network_|^public_network_access$|^enable_/;
const VAULT_PREFIX = /^(.*\/providers\/microsoft\.keyvault\/(?:vaults|managedhsms)\/[^/]+)/;

/** Activity-log ids of access-policy changes name a child (`.../accesspolicies/add`): key by the vault. */
function vaultOf(e: EventRow): string {
  return VAULT_PREFIX.exec(e.resource_id ?? '')?.[1] ?? e.resource_id ?? '';
}

function isChange(e: EventRow): boolean {
  if (e.result === 'failure' || e.result === 'start') return false;
  if (e.category === 'AuditEvent') {
    if (e.operation !== 'VaultPut' && e.operation !== 'VaultPatch') return false;
    const d = e.details;
    return d.is_access_policy_change === true || d.is_network_rule_change === true || d.public_network_access !== undefined || d.enable_rbac_authorization !== undefined;
  }
  const op = activityOperation(e);
  if (op === 'MICROSOFT.KEYVAULT/VAULTS/ACCESSPOLICIES/WRITE') return true;
  if (op !== 'MICROSOFT.KEYVAULT/VAULTS/WRITE') return false;
  const d = e.details;
  return d.network_default_action !== undefined || d.public_network_access !== undefined || d.enable_rbac_authorization !== undefined;
}

export default defineDetector({
  id: 'keyvault.policy-or-network-change',
  title: 'Key Vault access policy or network rules changed',
  severity: 'medium',
  attack: [T1098, T1562_007],
  needs: {
    categories: ['AuditEvent', ...ADMINISTRATIVE_CATEGORIES],
    setting: `${AUDIT_EVENT_SETTING} The subscription's Activity log (Administrative category) exported to the same Event Hub adds changes made through ARM.`,
  },
  description: 'An access policy was added, removed or updated on a vault, or its firewall (network ACLs, public network access) or permission model (RBAC vs access policies) changed. Granting oneself a policy or opening the firewall usually precedes secret theft. The Key Vault and Activity log records of one change join one alert.',
  remediation: 'Review the new policy (evidence: object id and permissions) or network rules. Revert changes nobody planned; prefer RBAC with least privilege and a firewall with `defaultAction: Deny`.',
  falsePositives: ['Infrastructure-as-code deployments that re-apply the vault definition (VaultPut).', 'Onboarding new applications.'],
  exclude: isBackgroundScanner,
  match: {
    where: isChange,
    key: (e) => `${principalOf(e) ?? e.caller_ip ?? 'unknown'}|${vaultOf(e)}`,
    // The change itself: whatever policy/network facts the Key Vault or Activity schema extracted.
    facts: (e) => {
      const f: Record<string, string | number | boolean | null> = {};
      for (const [k, v] of Object.entries(e.details)) if (CHANGE_FACTS.test(k)) f[k] = v;
      return f;
    },
  },
  entity: (e) => ({ resource_id: vaultOf(e) }),
  cases: [
    {
      name: 'an access policy granted to a service principal fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([kvRecord({
        operation: 'VaultPatch', ...INTRUDER, kind: 'secrets', time: at(5, 60),
        properties: { addedAccessPolicy: { ObjectId: PIPELINE.oid.toUpperCase(), Permissions: { secrets: ['Get', 'List'] } } },
      })]),
    },
    {
      name: 'an Activity-log access policy write fires, keyed by the vault',
      fires: true,
      expect: { principal_id: INTRUDER.oid, resource_id: vaultId('kv-fabrikam-ml').toLowerCase() },
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.KEYVAULT/VAULTS/ACCESSPOLICIES/WRITE', ...INTRUDER, resourceId: `${vaultId('kv-fabrikam-ml')}/accessPolicies/add`, time: at(5, 60) })]),
    },
    {
      name: 'a vault write that only changes tags stays quiet',
      fires: false,
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.KEYVAULT/VAULTS/WRITE', ...ADA, resourceId: vaultId('kv-fabrikam-ml'), requestbody: { tags: { team: 'ml' } }, time: at(5, 60) })]),
    },
    {
      name: 'reading the vault stays quiet',
      fires: false,
      events: () => toEvents([kvRecord({ operation: 'VaultGet', ...ADA, time: at(5, 60) })]),
    },
  ],
});
