import { T1555_006 } from '../attack.js';
import { ADA, at, INTRUDER, kvRecord, PIPELINE, repeat, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOrIp } from '../keys.js';
import { AUDIT_EVENT_SETTING, OBJECT_LISTS, OBJECT_READS } from './ops.js';

/** The pipeline lists the vault, then reads its 30 secrets, at 02:00 every night. */
const nightlyPipeline = (day: number) => [
  kvRecord({ operation: 'SecretList', ...PIPELINE, time: at(day, 120) }),
  ...repeat(30, (i) => kvRecord({ operation: 'SecretGet', ...PIPELINE, name: `app-secret-${i}`, time: at(day, 120, i + 1) })),
];

export default defineDetector({
  id: 'keyvault.list-then-get',
  title: 'Secrets listed, then read in bulk, by one principal',
  severity: 'high',
  attack: [T1555_006],
  needs: { categories: ['AuditEvent'], setting: AUDIT_EVENT_SETTING },
  description: 'A principal listed the secrets, keys or certificates of a vault and then read at least 10 of them within 10 minutes, more than 1.5× its own busiest day of the previous two weeks: enumeration followed by harvesting.',
  remediation: 'Confirm with the owner of the principal. If unexpected: revoke its access to the vault, rotate every secret read after the listing (see the evidence), and look for where the principal signed in from.',
  falsePositives: ['Deployment pipelines that load every secret at start-up (quiet once the baseline has seen them).', 'Secret-sync tools (External Secrets, CSI driver) after a restart.'],
  exclude: isBackgroundScanner,
  sequence: {
    key: (e) => { const who = principalOrIp(e); return who === null ? null : `${who}|${e.resource_id ?? ''}`; },
    first: (e) => e.result === 'success' && OBJECT_LISTS.has(e.operation),
    then: (e) => e.result === 'success' && OBJECT_READS.has(e.operation),
    thenCount: 10,
    windowSeconds: 600,
    peakBaseline: { days: 14, factor: 1.5 },
  },
  cases: [
    {
      name: 'SecretList then 12 SecretGet fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([
        kvRecord({ operation: 'SecretList', ...INTRUDER, time: at(5, 60) }),
        ...repeat(12, (i) => kvRecord({ operation: 'SecretGet', ...INTRUDER, name: `secret-${i}`, time: at(5, 61, i * 5) })),
      ]),
    },
    {
      name: 'the gets arriving before a late list still fire',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([
        ...repeat(12, (i) => kvRecord({ operation: 'SecretGet', ...INTRUDER, name: `secret-${i}`, time: at(5, 61, i * 5) })),
        kvRecord({ operation: 'SecretList', ...INTRUDER, time: at(5, 60) }),
      ]),
    },
    {
      name: '12 gets without a list stay quiet',
      fires: false,
      events: () => toEvents(repeat(12, (i) => kvRecord({ operation: 'SecretGet', ...ADA, name: `secret-${i}`, time: at(5, 61, i * 5) }))),
    },
    {
      name: 'a list, then gets after the window, stays quiet',
      fires: false,
      events: () => toEvents([
        kvRecord({ operation: 'SecretList', ...ADA, time: at(5, 0) }),
        ...repeat(12, (i) => kvRecord({ operation: 'SecretGet', ...ADA, name: `secret-${i}`, time: at(5, 30, i * 5) })),
      ]),
    },
    {
      name: 'the nightly pipeline with a baseline stays quiet',
      fires: false,
      history: () => toEvents([0, 1, 2].flatMap(nightlyPipeline)),
      events: () => toEvents(nightlyPipeline(3)),
    },
  ],
});
