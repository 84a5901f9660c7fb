import { T1537 } from '../attack.js';
import { ADA, at, INTRUDER, storageRecord, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import type { EventRow } from '../../schema/event.js';
import { principalOrIp, storageAccountName } from '../keys.js';
import { COPIES, STORAGE_CATEGORIES, STORAGE_SETTING } from './common.js';

/** `details.copy_source` is `host/path` of the copy's source: the account is the host's first label. */
function sourceAccount(e: EventRow): string | null {
  const src = e.details.copy_source;
  if (typeof src !== 'string' || src === '') return null;
  return src.split('/')[0]!.split('.')[0]!.toLowerCase();
}

function crossAccountCopy(e: EventRow): boolean {
  if (!COPIES.has(e.operation) || e.result === 'failure') return false;
  const from = sourceAccount(e);
  return from !== null && from !== storageAccountName(e);
}

export default defineDetector({
  id: 'storage.copy-to-other-account',
  title: 'Blob copied between storage accounts',
  severity: 'medium',
  attack: [T1537],
  needs: { categories: [...STORAGE_CATEGORIES], setting: STORAGE_SETTING },
  description: 'A server-side copy (CopyBlob, Put Blob/Block From URL) whose source is in a different storage account than the one logging it: data staged out of the training or model account into another one, without passing through the caller\'s network. Copies by one caller between the same two accounts within an hour are one alert.',
  remediation: 'Check that the destination account belongs to the tenant and is expected to hold this data; revoke the SAS or role used to read the source, and restrict copy scope (`allowedCopyScope: AAD` or `PrivateLink`) on the source account.',
  falsePositives: ['Data pipelines that promote models or datasets between environments (dev → prod accounts).', 'AzCopy migrations.'],
  match: {
    where: crossAccountCopy,
    key: (e) => `${principalOrIp(e) ?? 'unknown'}|${sourceAccount(e)}>${storageAccountName(e)}`,
    facts: (e) => ({ source_account: sourceAccount(e), destination_account: storageAccountName(e), copy_source: e.details.copy_source ?? null, target: e.target }),
  },
  cases: [
    {
      name: 'copying a model from the ML account into another account fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([0, 1, 2].map((i) => storageRecord({
        operation: 'CopyBlob', ...INTRUDER, account: 'stexfilstaging', path: `loot/model-${i}.onnx`, time: at(8, 600 + i),
        sourceUri: `https://stfabrikamml01.blob.core.windows.net/models/fraud/v${i}/model.onnx?sv=2022-11-02&sig=FAKE`,
      }))),
    },
    {
      name: 'a copy within the same account stays quiet',
      fires: false,
      events: () => toEvents([storageRecord({ operation: 'CopyBlob', ...ADA, path: 'models/fraud/v4/model.onnx', time: at(8, 600), sourceUri: 'https://stfabrikamml01.blob.core.windows.net/models/fraud/v3/model.onnx' })]),
    },
    {
      name: 'an ordinary upload stays quiet',
      fires: false,
      events: () => toEvents([storageRecord({ operation: 'PutBlob', ...ADA, path: 'models/fraud/v4/model.onnx', time: at(8, 600) })]),
    },
  ],
});
