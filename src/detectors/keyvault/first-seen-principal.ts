import { T1078_004, T1555_006 } from '../attack.js';
import { ADA, at, INTRUDER, kvRecord, PIPELINE, RESOURCE_GRAPH_APP, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOf } from '../keys.js';
import { AUDIT_EVENT_SETTING } from './ops.js';

/** Ada and the pipeline use the vault daily for `days` days. */
const usualUse = (days: number) => Array.from({ length: days }, (_, d) => [
  kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', time: at(d, 540) }),
  kvRecord({ operation: 'SecretGet', ...PIPELINE, name: 'app-secret-0', time: at(d, 120) }),
]).flat();

export default defineDetector({
  id: 'keyvault.first-seen-principal',
  title: 'Principal never seen before on this vault',
  severity: 'medium',
  attack: [T1078_004, T1555_006],
  needs: { categories: ['AuditEvent'], setting: AUDIT_EVENT_SETTING },
  description: 'A principal accessed a vault it had not used in the previous 30 days. The vault must have at least 7 days of history first, so a fresh install (or a new vault) learns quietly instead of alerting on everyone.',
  remediation: 'Check who granted the principal access (RBAC assignment or access policy change on the vault) and whether the principal should read this vault at all. Revoke and rotate what it read if not.',
  falsePositives: ['New applications or team members onboarded to the vault.', 'Principals that use a vault less often than monthly.'],
  exclude: isBackgroundScanner,
  firstSeen: {
    where: (e) => e.principal_id !== null || e.app_id !== null,
    scope: (e) => e.resource_id,
    value: principalOf,
    learningDays: 7,
    forgetDays: 30,
  },
  cases: [
    {
      name: 'an intruder on a vault with eight days of history fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      history: () => toEvents(usualUse(8)),
      events: () => toEvents([
        kvRecord({ operation: 'SecretGet', ...INTRUDER, name: 'db-password', time: at(8, 600) }),
        kvRecord({ operation: 'SecretGet', ...INTRUDER, name: 'api-key', time: at(8, 601) }),
      ]),
    },
    {
      name: 'the usual principals stay quiet',
      fires: false,
      history: () => toEvents(usualUse(8)),
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', time: at(8, 600) })]),
    },
    {
      name: 'a new principal during the learning period stays quiet',
      fires: false,
      history: () => toEvents(usualUse(3)),
      events: () => toEvents([kvRecord({ operation: 'SecretGet', ...INTRUDER, name: 'db-password', time: at(3, 600) })]),
    },
    {
      name: 'Azure Resource Graph reading the vault stays quiet',
      fires: false,
      history: () => toEvents(usualUse(8)),
      events: () => toEvents([kvRecord({ operation: 'VaultGet', oid: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e', appid: RESOURCE_GRAPH_APP, time: at(8, 600) })]),
    },
  ],
});
