import { T1485, T1490 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, kvRecord, toEvents, vaultId } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES, isBackgroundScanner } from '../keys.js';
import { AUDIT_EVENT_SETTING } from '../keyvault/ops.js';
import { ACTIVITY_SETTING, isCompleted } from '../governance/common.js';

const VAULT_WRITES: ReadonlySet<string> = new Set(['MICROSOFT.KEYVAULT/VAULTS/WRITE', 'MICROSOFT.KEYVAULT/MANAGEDHSMS/WRITE']);

/** A completed vault write (ARM, or the vault's own VaultPut/VaultPatch record). */
function isVaultWrite(e: EventRow): boolean {
  if (!isCompleted(e)) return false;
  if (e.category === 'AuditEvent') return e.operation === 'VaultPut' || e.operation === 'VaultPatch';
  return VAULT_WRITES.has(activityOperation(e));
}

function weakensRecovery(e: EventRow): boolean {
  return e.details.enable_purge_protection === false || e.details.enable_soft_delete === false;
}

const VAULT = vaultId('kv-fabrikam-cmk');

export default defineDetector({
  id: 'encryption.cmk-disabled-or-purge-protection-off',
  title: 'Purge protection or soft delete turned off on a vault',
  severity: 'high',
  attack: [T1490, T1485],
  needs: { categories: [...ADMINISTRATIVE_CATEGORIES, 'AuditEvent'], setting: `${ACTIVITY_SETTING} ${AUDIT_EVENT_SETTING}` },
  description: 'A vault (or managed HSM) write completed with enablePurgeProtection or enableSoftDelete false. Vaults holding customer-managed keys need both: without them a deleted key can be purged at once, and every storage account, workspace or disk it encrypts becomes unreadable for good (ransom by key destruction). Azure refuses to disable purge protection once on, so a request to do so is also an attempt worth knowing about; key deletes and purges themselves are keyvault.sensitive-operation.',
  remediation: 'Re-enable soft delete and purge protection, check which resources use keys from the vault (CMK), and look for key deletes, purges or disables by the same principal (keyvault.sensitive-operation).',
  falsePositives: ['Test vaults created without purge protection on purpose (tag and exclude them).'],
  exclude: isBackgroundScanner,
  match: {
    where: (e) => isVaultWrite(e) && weakensRecovery(e),
    facts: (e) => ({ enable_purge_protection: e.details.enable_purge_protection ?? null, enable_soft_delete: e.details.enable_soft_delete ?? null }),
  },
  cases: [
    {
      name: 'an ARM vault write with purge protection and soft delete off fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.KEYVAULT/VAULTS/WRITE', ...INTRUDER, resourceId: VAULT, requestbody: { location: 'westeurope', properties: { enableSoftDelete: false, enablePurgeProtection: false } }, time: at(8, 600) })]),
    },
    {
      name: 'the vault\'s own VaultPatch record disabling soft delete fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([kvRecord({ operation: 'VaultPatch', ...INTRUDER, vault: 'kv-fabrikam-cmk', properties: { enableSoftDelete: false }, time: at(8, 600) })]),
    },
    {
      name: 'a vault re-deployed with both on, and the Start record of a disabling write, stay quiet',
      fires: false,
      events: () => toEvents([
        activityRecord({ operation: 'MICROSOFT.KEYVAULT/VAULTS/WRITE', ...ADMIN, resourceId: VAULT, requestbody: { properties: { enableSoftDelete: true, enablePurgeProtection: true, publicNetworkAccess: 'Disabled' } }, time: at(8, 600) }),
        activityRecord({ operation: 'MICROSOFT.KEYVAULT/VAULTS/WRITE', ...INTRUDER, resourceId: VAULT, resultType: 'Start', requestbody: { properties: { enablePurgeProtection: false } }, time: at(8, 610) }),
      ]),
    },
  ],
});
