import { T1530 } from '../attack.js';
import { at, INTRUDER, repeat, storageRecord, toEvents, TRAINER } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOrIp } from '../keys.js';
import { CONTENT_READS, STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

/** The training job reads its 300 shards every night. */
const nightlyShards = (day: number) => repeat(300, (i) => storageRecord({ operation: 'GetBlob', ...TRAINER, path: `training-data/shard-${i}.parquet`, time: at(day, 180, i) }));

export default defineDetector({
  id: 'storage.many-blobs-read',
  title: 'Many distinct blobs read in a short window',
  severity: 'high',
  attack: [T1530],
  needs: { categories: [...STORAGE_CATEGORIES], setting: STORAGE_SETTING },
  description: 'One principal (or, without one, one address) read at least 200 distinct blobs or files within 15 minutes, and more than twice its own busiest day of the previous two weeks: bulk collection rather than an application\'s working set.',
  remediation: 'List what was read (evidence sample and event ids), confirm with the owner of the principal, and revoke its data access or the SAS if unexpected. Consider network rules that keep training data off the public endpoint.',
  falsePositives: ['New training or batch jobs on first run (quiet once their peak is learned).', 'AzCopy-based migrations and backups.'],
  exclude: isBackgroundScanner,
  distinct: {
    where: (e) => e.result === 'success' && CONTENT_READS.has(e.operation) && e.target !== null,
    key: principalOrIp,
    value: (e) => e.target,
    windowSeconds: 900,
    atLeast: 200,
    peakBaseline: { days: 14, factor: 2 },
  },
  cases: [
    {
      name: 'an intruder reading 250 blobs in four minutes fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents(repeat(250, (i) => storageRecord({ operation: 'GetBlob', ...INTRUDER, ip: '198.51.100.66', path: `models/m-${i}.onnx`, time: at(6, 600, i) }))),
    },
    {
      name: 'SAS reads of 250 blobs name the address',
      fires: true,
      expect: { caller_ip: '198.51.100.66', principal_id: null },
      events: () => toEvents(repeat(250, (i) => storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '198.51.100.66', path: `models/m-${i}.onnx`, time: at(6, 600, i) }))),
    },
    {
      name: 'the training job reading its shards again stays quiet',
      fires: false,
      history: () => toEvents([0, 1, 2].flatMap(nightlyShards)),
      events: () => toEvents(nightlyShards(3)),
    },
    {
      name: '50 blobs stay quiet',
      fires: false,
      events: () => toEvents(repeat(50, (i) => storageRecord({ operation: 'GetBlob', ...INTRUDER, path: `models/m-${i}.onnx`, time: at(6, 600, i) }))),
    },
  ],
});
