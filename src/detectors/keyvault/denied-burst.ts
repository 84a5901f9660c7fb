import { T1110, T1555_006 } from '../attack.js';
import { ADA, at, INTRUDER, kvRecord, repeat, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOrIp } from '../keys.js';
import { AUDIT_EVENT_SETTING } from './ops.js';

export default defineDetector({
  id: 'keyvault.denied-burst',
  title: 'Burst of denied Key Vault requests',
  severity: 'medium',
  attack: [T1555_006, T1110],
  needs: { categories: ['AuditEvent'], setting: AUDIT_EVENT_SETTING },
  description: 'One principal (or, unauthenticated, one address) was refused at least 15 times within 5 minutes, on one vault or across several: probing for what a stolen identity can read.',
  remediation: 'Find what the principal tried to read (evidence event ids) and why it holds a token for the vaults at all. Disable it if it is not expected to touch them; check recent role or policy changes that may have been attempted.',
  falsePositives: ['An application deployed with a missing role assignment retries in a loop.', 'Access policies removed before the applications using them were reconfigured.'],
  exclude: isBackgroundScanner,
  threshold: {
    // Every Key Vault client's first request is an unauthenticated 401 challenge: only 403s and
    // 401s that carry an identity (an expired or wrong-tenant token) are refusals.
    where: (e) => e.status_code === '403' || (e.status_code === '401' && (e.principal_id !== null || e.app_id !== null)),
    key: principalOrIp,
    windowSeconds: 300,
    atLeast: 15,
  },
  cases: [
    {
      name: '20 forbidden reads across three vaults in three minutes fire',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents(repeat(20, (i) => kvRecord({ operation: 'SecretGet', ...INTRUDER, vault: `kv-fabrikam-${i % 3}`, name: `secret-${i}`, status: 403, time: at(5, 60, i * 9) }))),
    },
    {
      name: 'unauthenticated 401 challenges stay quiet',
      fires: false,
      events: () => toEvents(repeat(40, (i) => kvRecord({ operation: 'SecretGet', name: 'db-password', status: 401, time: at(5, 60, i * 3) }))),
    },
    {
      name: 'five denials stay quiet',
      fires: false,
      events: () => toEvents(repeat(5, (i) => kvRecord({ operation: 'SecretGet', ...ADA, name: `secret-${i}`, status: 403, time: at(5, 60, i * 9) }))),
    },
  ],
});
