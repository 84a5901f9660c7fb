import { T1619 } from '../attack.js';
import { ADA, at, INTRUDER, PIPELINE, repeat, storageRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOrIp } from '../keys.js';
import { LISTINGS, STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

/** A sync job lists 80 prefixes every night. */
const nightlySync = (day: number) => repeat(80, (i) => storageRecord({ operation: 'ListBlobs', ...PIPELINE, path: `datasets`, time: at(day, 60, i) }));

export default defineDetector({
  id: 'storage.enumeration',
  title: 'Storage containers and blobs enumerated in a sweep',
  severity: 'medium',
  attack: [T1619],
  needs: { categories: [...STORAGE_CATEGORIES], setting: STORAGE_SETTING },
  description: 'One principal (or address) issued at least 50 container or blob listings within 5 minutes, and more than twice its own busiest day of the previous two weeks: mapping the account before collecting from it.',
  remediation: 'Check what the principal listed and whether reads followed (storage.many-blobs-read, storage.egress-above-baseline). Restrict List permissions to the identities that need them.',
  falsePositives: ['Storage Explorer sessions browsing large accounts.', 'Sync and backup tools (quiet once their peak is learned).'],
  exclude: isBackgroundScanner,
  threshold: {
    where: (e) => e.result === 'success' && LISTINGS.has(e.operation),
    key: principalOrIp,
    windowSeconds: 300,
    atLeast: 50,
    peakBaseline: { days: 14, factor: 2 },
  },
  cases: [
    {
      name: '60 listings in two minutes fire',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents(repeat(60, (i) => storageRecord({ operation: i % 10 === 0 ? 'ListContainers' : 'ListBlobs', ...INTRUDER, path: `container-${i % 10}`, time: at(8, 600, i * 2) }))),
    },
    {
      name: 'ten listings stay quiet',
      fires: false,
      events: () => toEvents(repeat(10, (i) => storageRecord({ operation: 'ListBlobs', ...ADA, path: 'models', time: at(8, 600, i * 2) }))),
    },
    {
      name: 'the nightly sync with a baseline stays quiet',
      fires: false,
      history: () => toEvents([0, 1, 2].flatMap(nightlySync)),
      events: () => toEvents(nightlySync(3)),
    },
  ],
});
