import { T1485, T1490, T1555_006 } from '../attack.js';
import { ADA, at, INTRUDER, kvRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner } from '../keys.js';
import { AUDIT_EVENT_SETTING, SENSITIVE_OPERATIONS } from './ops.js';

export default defineDetector({
  id: 'keyvault.sensitive-operation',
  title: 'Secret, key or certificate deleted, purged, backed up, restored or recovered',
  severity: 'medium',
  attack: [T1485, T1490, T1555_006],
  needs: { categories: ['AuditEvent'], setting: AUDIT_EVENT_SETTING },
  description: 'A delete, purge, backup, restore or recover of a vault object (or a vault delete). Purges destroy keys for good (including customer-managed keys that encrypt data), backups take key material out of the vault, restores and recovers bring old credentials back. Consecutive operations by one principal on one vault within an hour are one alert.',
  remediation: 'Confirm the change with the principal\'s owner. For purges and deletes of encryption keys, check which resources use the key; enable purge protection on vaults holding keys. For backups, find where the blob went.',
  falsePositives: ['Planned secret rotation or clean-up.', 'Backup jobs that use SecretBackup/KeyBackup.'],
  exclude: isBackgroundScanner,
  match: {
    where: (e) => SENSITIVE_OPERATIONS.has(e.operation) && e.result !== 'failure',
    facts: (e) => ({ target: e.target, object_kind: e.details.object_kind ?? null }),
  },
  cases: [
    {
      name: 'a secret deleted then purged is one alert',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([
        kvRecord({ operation: 'SecretDelete', ...INTRUDER, name: 'db-password', time: at(5, 60) }),
        kvRecord({ operation: 'SecretPurge', ...INTRUDER, kind: 'secrets', name: 'db-password', time: at(5, 62) }),
      ]),
    },
    {
      name: 'a key backup fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([kvRecord({ operation: 'KeyBackup', ...INTRUDER, kind: 'keys', name: 'cmk-storage', time: at(5, 60) })]),
    },
    {
      name: 'reads stay quiet',
      fires: false,
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', time: at(5, 60) })]),
    },
  ],
});
