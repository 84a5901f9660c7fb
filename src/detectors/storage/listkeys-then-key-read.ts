import { T1098_001, T1530, T1552 } from '../attack.js';
import { activityRecord, ADA, at, INTRUDER, repeat, storageAccountResourceId, storageRecord, toEvents, verbShaped, WORKSPACE_MI } from '../cases.js';
import { defineDetector } from '../define.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES, isAdministrative, storageAccountId } from '../keys.js';
import { STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

const LIST_KEYS = 'MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION';
const listKeys = (time: string, who: { oid: string; upn: string }) =>
  activityRecord({ operation: LIST_KEYS, ...who, resourceId: storageAccountResourceId('stfabrikamml01'), ip: '198.51.100.66', time });

/**
 * What Azure ML really does with its artifact account: the workspace's identity lists the keys
 * every six hours and compute then reads and writes with the key (4-5 requests within the hour).
 */
const workspaceKeyUse = (day: number, reads = 5) => [0, 6, 12, 18].flatMap((h) => [
  activityRecord({ operation: LIST_KEYS, oid: WORKSPACE_MI.oid, appid: WORKSPACE_MI.appid, resourceId: storageAccountResourceId('stfabrikamml01'), ip: '20.50.2.10', time: at(day, h * 60 + 30) }),
  ...repeat(reads, (i) => storageRecord({ operation: i % 2 ? 'PutBlob' : 'GetBlob', auth: 'AccountKey', ip: `10.20.4.${5 + (i % 4)}`, path: `azureml/ExperimentRun/run-${day}-${h}/log-${i}.txt`, time: at(day, h * 60 + 32 + i * 3) })),
]);

export default defineDetector({
  id: 'storage.listkeys-then-key-read',
  title: 'Storage account keys listed, then used to read data',
  severity: 'high',
  attack: [T1552, T1098_001, T1530],
  needs: {
    categories: [...ADMINISTRATIVE_CATEGORIES, ...STORAGE_CATEGORIES],
    setting: `The subscription's Activity log (Administrative) and, on the account, ${STORAGE_SETTING.charAt(0).toLowerCase()}${STORAGE_SETTING.slice(1)}`,
  },
  description: 'Someone called listKeys on a storage account (Activity log) and within the hour the account was accessed with an account key (storage logs) more often than 1.5× the account\'s busiest listKeys-then-key-use hour of the previous two weeks. An account whose keys are never listed alerts on the first key read; an account whose keys a service lists on a schedule (Azure ML\'s workspace identity on its artifact account, every six hours) learns that volume. The two logs join on the account\'s resource id: the storage log names the blob service child, the Activity log the account. The alert names who listed the keys and the address that used them.',
  remediation: 'Rotate both account keys now, find the caller of listKeys and why it holds `Microsoft.Storage/storageAccounts/listKeys/action`, and disable shared-key access if nothing needs it.',
  falsePositives: ['The Azure portal lists keys when an admin opens the storage browser with key authentication.', 'Function apps and other services configured with the connection string read with the key all the time (alerting only after someone lists keys).', 'The first day of a service that lists keys on a schedule (Azure ML workspaces on their artifact account): quiet from the second day.'],
  sequence: {
    key: storageAccountId,
    first: (e) => isAdministrative(e) && e.result === 'success' && activityOperation(e) === LIST_KEYS,
    then: (e) => e.auth_type === 'accountkey' && e.result === 'success' && e.category.startsWith('Storage'),
    thenCount: 1,
    windowSeconds: 3600,
    // Azure ML lists its artifact account's keys every 6 h and compute then uses them: learnt per
    // account. The limit this buys: on such an account, a thief who reads no more than the usual
    // few requests within the hour after listing goes unseen here (the listKeys call itself is
    // still in the Activity log, and storage.new-ip / non-oauth detectors see other accounts).
    peakBaseline: { days: 14, factor: 1.5 },
  },
  // The principal is the one who listed the keys; the address is the one that used them.
  entity: (e) => ({ caller_ip: e.caller_ip }),
  cases: [
    {
      name: 'listKeys then an account-key read fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, caller_ip: '198.51.100.67', alerts: 1 },
      events: () => toEvents([
        listKeys(at(8, 600), INTRUDER),
        storageRecord({ operation: 'GetBlob', auth: 'AccountKey', ip: '198.51.100.67', time: at(8, 620) }),
        storageRecord({ operation: 'ListBlobs', auth: 'AccountKey', ip: '198.51.100.67', path: 'models', time: at(8, 621) }),
      ]),
    },
    {
      name: 'listKeys in the Activity log\'s storage-account shape (category Action) then an account-key read fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([
        verbShaped(listKeys(at(8, 600), INTRUDER), 'Action'),
        storageRecord({ operation: 'GetBlob', auth: 'AccountKey', ip: '198.51.100.67', time: at(8, 620) }),
      ]),
    },
    {
      name: 'the key read arriving before the (late) listKeys record still fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([
        storageRecord({ operation: 'GetBlob', auth: 'AccountKey', ip: '198.51.100.67', time: at(8, 605) }),
        listKeys(at(8, 600), INTRUDER),
      ]),
    },
    {
      name: 'the ML workspace listing its artifact account keys every 6 h, then compute using the key, stays quiet once learnt',
      fires: false,
      history: () => toEvents([1, 2, 3, 4, 5, 6, 7].flatMap((d) => workspaceKeyUse(d))),
      events: () => toEvents(workspaceKeyUse(8, 4)),
    },
    {
      name: 'on that same learnt account, listKeys then a burst of key reads well above the usual fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, caller_ip: '198.51.100.67', alerts: 1 },
      history: () => toEvents([1, 2, 3, 4, 5, 6, 7].flatMap((d) => workspaceKeyUse(d))),
      events: () => toEvents([
        listKeys(at(8, 600), INTRUDER),
        ...repeat(20, (i) => storageRecord({ operation: 'GetBlob', auth: 'AccountKey', ip: '198.51.100.67', path: `models/shard-${i}.bin`, time: at(8, 605, i * 20) })),
      ]),
    },
    {
      name: 'listKeys followed only by OAuth reads stays quiet',
      fires: false,
      events: () => toEvents([listKeys(at(8, 600), ADA), storageRecord({ operation: 'GetBlob', ...ADA, time: at(8, 620) })]),
    },
    {
      name: 'key reads on another account stay quiet',
      fires: false,
      events: () => toEvents([listKeys(at(8, 600), ADA), storageRecord({ operation: 'GetBlob', auth: 'AccountKey', account: 'stfabrikamlogs', time: at(8, 620) })]),
    },
  ],
});
