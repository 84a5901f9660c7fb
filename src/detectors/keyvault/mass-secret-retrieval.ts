import { T1555_006 } from '../attack.js';
import { ADA, at, INTRUDER, kvRecord, PIPELINE, repeat, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOrIp } from '../keys.js';
import { AUDIT_EVENT_SETTING, OBJECT_READS } from './ops.js';

/** The deployment pipeline reads its 30 secrets at 02:00 every night. */
const nightlyPipeline = (day: number) => repeat(30, (i) => kvRecord({ operation: 'SecretGet', ...PIPELINE, name: `app-secret-${i}`, time: at(day, 120, i) }));

export default defineDetector({
  id: 'keyvault.mass-secret-retrieval',
  title: 'Many distinct secrets or keys read by one principal',
  severity: 'high',
  attack: [T1555_006],
  needs: { categories: ['AuditEvent'], setting: AUDIT_EVENT_SETTING },
  description: 'One principal read at least 20 distinct secrets, keys or certificates (across its vaults) within 10 minutes, and more than 1.5× its own busiest day of the previous two weeks. Harvesting a vault looks like this; applications read the few secrets they need.',
  remediation: 'Confirm with the owner of the principal. If unexpected: disable the principal or revoke its sessions, rotate every secret and key in the evidence, and review its role assignments and access policies on the vaults.',
  falsePositives: ['A new deployment pipeline or a migration that copies a vault (quiet after its first runs: the baseline learns its peak).', 'Backup tools that read every secret.'],
  exclude: isBackgroundScanner,
  distinct: {
    where: (e) => e.result === 'success' && OBJECT_READS.has(e.operation) && e.target !== null,
    key: principalOrIp,
    value: (e) => `${e.resource_name ?? ''}/${String(e.details.object_kind)}/${e.target}`,
    windowSeconds: 600,
    atLeast: 20,
    peakBaseline: { days: 14, factor: 1.5 },
  },
  cases: [
    {
      name: 'an intruder reads 25 distinct secrets in five minutes',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents(repeat(25, (i) => kvRecord({ operation: 'SecretGet', ...INTRUDER, name: `secret-${i}`, time: at(5, 60, i * 10) }))),
    },
    {
      name: 'one secret read 40 times stays quiet',
      fires: false,
      events: () => toEvents(repeat(40, (i) => kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', time: at(5, 60, i * 5) }))),
    },
    {
      name: 'the nightly pipeline reading its 30 secrets again, with a baseline, stays quiet on day 4',
      fires: false,
      history: () => toEvents([0, 1, 2].flatMap(nightlyPipeline)),
      events: () => toEvents(nightlyPipeline(3)),
    },
    {
      name: 'the same pipeline reading 100 secrets fires despite its baseline',
      fires: true,
      expect: { principal_id: PIPELINE.oid },
      history: () => toEvents([0, 1, 2].flatMap(nightlyPipeline)),
      events: () => toEvents(repeat(100, (i) => kvRecord({ operation: 'SecretGet', ...PIPELINE, name: `other-secret-${i}`, time: at(3, 120, i) }))),
    },
  ],
});
