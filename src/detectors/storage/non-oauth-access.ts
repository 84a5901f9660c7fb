import { T1078_004, T1530 } from '../attack.js';
import { ADA, at, storageRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, storageAccountId } from '../keys.js';
import { STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

const NON_OAUTH: ReadonlySet<string> = new Set(['sas', 'accountkey', 'anonymous']);
const oauthOnly = (days: number) => Array.from({ length: days }, (_, d) => storageRecord({ operation: 'GetBlob', ...ADA, time: at(d, 540) }));

export default defineDetector({
  id: 'storage.non-oauth-access',
  title: 'SAS, account-key or anonymous access to an account that only sees Entra ID',
  severity: 'medium',
  attack: [T1530, T1078_004],
  needs: { categories: [...STORAGE_CATEGORIES], setting: STORAGE_SETTING },
  description: 'A storage account that used only one set of authentication types for the previous 30 days (after 7 days of learning) was accessed with a SAS, the account key, or anonymously for the first time. Keys and SAS tokens bypass Entra ID, conditional access and per-user audit; their first appearance often means a leaked key or a SAS minted for exfiltration. The alert names the caller\'s address.',
  remediation: 'Find who obtained the key or SAS (listKeys in the Activity log, user delegation keys). Rotate the account keys, and disable shared-key access (`allowSharedKeyAccess: false`) and anonymous blob access if nothing needs them.',
  falsePositives: ['A new integration that authenticates with a SAS.', 'Azure services that use the account key on the customer\'s behalf when first configured.'],
  exclude: isBackgroundScanner,
  firstSeen: {
    where: (e) => e.auth_type !== null && e.result === 'success',
    scope: storageAccountId,
    value: (e) => e.auth_type,
    learningDays: 7,
    forgetDays: 30,
    alertOn: (e) => NON_OAUTH.has(e.auth_type ?? ''),
  },
  cases: [
    {
      name: 'a SAS read on an OAuth-only account fires, naming the address',
      fires: true,
      expect: { caller_ip: '198.51.100.66', alerts: 1 },
      history: () => toEvents(oauthOnly(8)),
      events: () => toEvents([
        storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '198.51.100.66', path: 'models/fraud/v3/model.onnx', time: at(8, 600) }),
        storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '198.51.100.66', path: 'models/fraud/v2/model.onnx', time: at(8, 601) }),
      ]),
    },
    {
      name: 'an anonymous read fires',
      fires: true,
      expect: { caller_ip: '192.0.2.44' },
      history: () => toEvents(oauthOnly(8)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', auth: 'Anonymous', ip: '192.0.2.44', time: at(8, 600) })]),
    },
    {
      name: 'an account that sees SAS every day stays quiet',
      fires: false,
      history: () => toEvents([...oauthOnly(8), ...Array.from({ length: 8 }, (_, d) => storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '203.0.113.50', time: at(d, 300) }))]),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '203.0.113.51', time: at(8, 600) })]),
    },
    {
      name: 'a SAS in the first week (learning) stays quiet',
      fires: false,
      history: () => toEvents(oauthOnly(2)),
      events: () => toEvents([storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '198.51.100.66', time: at(2, 600) })]),
    },
  ],
});
