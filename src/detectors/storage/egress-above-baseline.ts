import { T1530, T1537 } from '../attack.js';
import { at, storageRecord, toEvents, TRAINER, ADA } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOrIp } from '../keys.js';
import { STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

const GIB = 1024 ** 3;
/** The training job reads about 2 GiB every night. */
const nightlyTraining = (days: number) => Array.from({ length: days }, (_, d) => storageRecord({ operation: 'GetBlob', ...TRAINER, path: `training-data/day-${d}.parquet`, bytes: 2 * GIB + d * 1e7, time: at(d, 180) }));

export default defineDetector({
  id: 'storage.egress-above-baseline',
  title: 'Storage egress far above the principal\'s own baseline',
  severity: 'high',
  attack: [T1530, T1537],
  needs: { categories: [...STORAGE_CATEGORIES], setting: STORAGE_SETTING },
  description: 'Bytes read today by one principal (or, for SAS/anonymous/key access, one address) exceed max(1 GiB, mean + 3·stddev, 3 × mean) of its previous 14 days; it needs 3 days of history first. Evaluated as the day fills, so it fires while the transfer is running.',
  remediation: 'Identify what was read (evidence event ids; group the events by target) and where it went (caller_ip). Revoke the principal\'s data role or the SAS/key, and check the account\'s network rules.',
  falsePositives: ['A retraining on a much larger dataset, or a backfill.', 'Migration or backup jobs started for the first time under an existing identity.'],
  exclude: isBackgroundScanner,
  deviation: {
    where: (e) => e.category === 'StorageRead' && e.result === 'success',
    key: principalOrIp,
    value: (e) => e.bytes_out ?? 0,
    bucketSeconds: 86_400,
    baselineBuckets: 14,
    minBaselineBuckets: 3,
    k: 3,
    ratio: 3,
    floor: GIB,
  },
  cases: [
    {
      name: 'the training identity reading 40 GiB on day 6 fires',
      fires: true,
      expect: { principal_id: TRAINER.oid, alerts: 1 },
      history: () => toEvents(nightlyTraining(6)),
      events: () => toEvents(Array.from({ length: 8 }, (_, i) => storageRecord({ operation: 'GetBlob', ...TRAINER, path: `models/checkpoint-${i}.bin`, bytes: 5 * GIB, time: at(6, 600 + i) }))),
    },
    {
      name: 'a normal training night stays quiet',
      fires: false,
      history: () => toEvents(nightlyTraining(6)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', ...TRAINER, path: 'training-data/day-6.parquet', bytes: 2.5 * GIB, time: at(6, 180) })]),
    },
    {
      name: 'a tiny baseline growing 100-fold stays under the floor',
      fires: false,
      history: () => toEvents(Array.from({ length: 6 }, (_, d) => storageRecord({ operation: 'GetBlob', ...ADA, path: 'notebooks/small.csv', bytes: 2_000_000, time: at(d, 600) }))),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', ...ADA, path: 'notebooks/bigger.csv', bytes: 200_000_000, time: at(6, 600) })]),
    },
    {
      name: 'a principal without history is learning, not alerting',
      fires: false,
      events: () => toEvents([storageRecord({ operation: 'GetBlob', ...ADA, path: 'models/all.tar', bytes: 50 * GIB, time: at(6, 600) })]),
    },
  ],
});
