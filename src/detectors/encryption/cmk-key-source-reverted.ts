import { T1486, T1562 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, storageAccountResourceId, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES } from '../keys.js';
import { ACTIVITY_SETTING, isCompleted, text } from '../governance/common.js';

const WRITE = 'MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE';
const cmk = (account: string, day: number) => activityRecord({
  operation: WRITE, ...ADMIN, resourceId: storageAccountResourceId(account), time: at(day, 540),
  requestbody: { properties: { encryption: { keySource: 'Microsoft.Keyvault', keyvaultproperties: { keyname: 'cmk-storage', keyvaulturi: 'https://kv-fabrikam-cmk.vault.azure.net' } } } },
});
const platformKeys = (account: string, day: number, who: { oid: string; upn: string }) => activityRecord({
  operation: WRITE, ...who, resourceId: storageAccountResourceId(account), time: at(day, 600),
  requestbody: { properties: { encryption: { keySource: 'Microsoft.Storage', services: { blob: { enabled: true } } } } },
});

export default defineDetector({
  id: 'encryption.cmk-key-source-reverted',
  title: 'Customer-managed key encryption switched back to platform keys',
  severity: 'high',
  attack: [T1562, T1486],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A resource seen encrypted with a customer-managed key (keySource Microsoft.Keyvault) in the previous year was written with keySource Microsoft.Storage: its data is now encrypted with Microsoft-managed keys, outside the organisation\'s key control, revocation and audit. A first-seen shape, so accounts that always used platform keys (most of them, in every IaC re-deploy) stay quiet; only a change away from CMK fires.',
  remediation: 'Restore the customer-managed key configuration and find out why it was removed; check the key in the vault (disabled, deleted, access policy removed) and who changed it.',
  falsePositives: ['A planned move away from CMK.'],
  firstSeen: {
    where: (e) => isCompleted(e) && activityOperation(e).endsWith('/WRITE') && text(e, 'key_source') !== null,
    scope: (e) => e.resource_id,
    value: (e) => text(e, 'key_source')!.toLowerCase(),
    // Only a resource with a day of key-source history: new resources are created with whatever they start with.
    learningDays: 1,
    forgetDays: 365,
    alertOn: (e) => text(e, 'key_source')!.toLowerCase() === 'microsoft.storage',
  },
  cases: [
    {
      name: 'a CMK account switched to Microsoft.Storage fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      history: () => toEvents([cmk('stfabrikamml01', 0), cmk('stfabrikamml01', 3)]),
      events: () => toEvents([platformKeys('stfabrikamml01', 5, INTRUDER)]),
    },
    {
      name: 'an account that always used platform keys, re-deployed, stays quiet',
      fires: false,
      history: () => toEvents([platformKeys('stfabrikamlogs', 0, ADMIN), platformKeys('stfabrikamlogs', 3, ADMIN)]),
      events: () => toEvents([platformKeys('stfabrikamlogs', 5, ADMIN)]),
    },
    {
      name: 'a new account created with platform keys stays quiet',
      fires: false,
      events: () => toEvents([platformKeys('stfabrikamnew', 5, ADMIN)]),
    },
  ],
});
