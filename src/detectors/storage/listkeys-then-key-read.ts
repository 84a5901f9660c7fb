import { T1098_001, T1530, T1552 } from '../attack.js';
import { activityRecord, ADA, at, INTRUDER, storageAccountResourceId, storageRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { activityOperation, storageAccountId } from '../keys.js';
import { STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

const LIST_KEYS = 'MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION';
const listKeys = (time: string, who: { oid: string; upn: string }) =>
  activityRecord({ operation: LIST_KEYS, ...who, resourceId: storageAccountResourceId('stfabrikamml01'), ip: '198.51.100.66', time });

export default defineDetector({
  id: 'storage.listkeys-then-key-read',
  title: 'Storage account keys listed, then used to read data',
  severity: 'high',
  attack: [T1552, T1098_001, T1530],
  needs: {
    categories: ['Administrative', ...STORAGE_CATEGORIES],
    setting: `The subscription's Activity log (Administrative) and, on the account, ${STORAGE_SETTING.charAt(0).toLowerCase()}${STORAGE_SETTING.slice(1)}`,
  },
  description: 'Someone called listKeys on a storage account (Activity log) and within the hour the account was accessed with an account key (storage logs). The two logs join on the account\'s resource id: the storage log names the blob service child, the Activity log the account. The alert names who listed the keys and the address that used them.',
  remediation: 'Rotate both account keys now, find the caller of listKeys and why it holds `Microsoft.Storage/storageAccounts/listKeys/action`, and disable shared-key access if nothing needs it.',
  falsePositives: ['The Azure portal lists keys when an admin opens the storage browser with key authentication.', 'Function apps and other services configured with the connection string read with the key all the time (alerting only after someone lists keys).'],
  sequence: {
    key: storageAccountId,
    first: (e) => e.category === 'Administrative' && e.result === 'success' && activityOperation(e) === LIST_KEYS,
    then: (e) => e.auth_type === 'accountkey' && e.result === 'success' && e.category.startsWith('Storage'),
    thenCount: 1,
    windowSeconds: 3600,
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
      name: 'the key read arriving before the (late) listKeys record still fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([
        storageRecord({ operation: 'GetBlob', auth: 'AccountKey', ip: '198.51.100.67', time: at(8, 605) }),
        listKeys(at(8, 600), INTRUDER),
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
