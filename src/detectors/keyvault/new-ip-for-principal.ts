import { T1078_004 } from '../attack.js';
import { ADA, at, kvRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOf } from '../keys.js';
import { AUDIT_EVENT_SETTING, isVaultManagement } from './ops.js';

const OFFICE_IP = '203.0.113.24';
const NEW_IP = '198.51.100.201';
const usualUse = (days: number) => Array.from({ length: days }, (_, d) => kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', ip: OFFICE_IP, time: at(d, 540) }));

export default defineDetector({
  id: 'keyvault.new-ip-for-principal',
  title: 'Key Vault accessed from an address new for this principal',
  severity: 'medium',
  attack: [T1078_004],
  needs: { categories: ['AuditEvent'], setting: AUDIT_EVENT_SETTING },
  description: 'A principal read or changed vault contents from an IP address it had not used against Key Vault in the previous 30 days (after 7 days of learning its addresses). Stolen credentials and tokens are usually replayed from somewhere new.',
  remediation: 'Ask the principal\'s owner whether the address is theirs (VPN, new office, new build agent). If not, revoke sessions / rotate the credential and review what was read from that address.',
  falsePositives: ['Users on dynamic home addresses or travelling.', 'Build agents on hosted pools whose addresses rotate.'],
  exclude: isBackgroundScanner,
  // ARM calls the vault on the caller's behalf for management operations: only data-plane addresses are the caller's own.
  firstSeen: {
    where: (e) => e.caller_ip !== null && !isVaultManagement(e.operation),
    scope: principalOf,
    value: (e) => e.caller_ip,
    learningDays: 7,
    forgetDays: 30,
  },
  entity: (e) => ({ caller_ip: e.caller_ip }),
  cases: [
    {
      name: 'ada from a new address after eight days from the office fires',
      fires: true,
      expect: { principal_id: ADA.oid, caller_ip: NEW_IP },
      history: () => toEvents(usualUse(8)),
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', ip: NEW_IP, time: at(8, 600) })]),
    },
    {
      name: 'ada from the office stays quiet',
      fires: false,
      history: () => toEvents(usualUse(8)),
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', ip: OFFICE_IP, time: at(8, 600) })]),
    },
    {
      name: 'a new address while learning stays quiet',
      fires: false,
      history: () => toEvents(usualUse(2)),
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', ip: NEW_IP, time: at(2, 600) })]),
    },
  ],
});
