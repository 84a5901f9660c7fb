import { T1557 } from '../attack.js';
import { ADA, at, kvRecord, repeat, storageRecord, toEvents, TRAINER } from '../cases.js';
import { defineDetector } from '../define.js';
import { isBackgroundScanner, principalOrIp } from '../keys.js';
import { AUDIT_EVENT_SETTING } from '../keyvault/ops.js';
import { STORAGE_CATEGORIES, STORAGE_SETTING } from '../storage/common.js';
import { isLegacyTls } from './common.js';

export default defineDetector({
  id: 'encryption.legacy-tls-requests',
  title: 'Requests over TLS 1.0/1.1 to storage or Key Vault',
  severity: 'low',
  attack: [T1557],
  needs: { categories: ['AuditEvent', ...STORAGE_CATEGORIES], setting: `${AUDIT_EVENT_SETTING} ${STORAGE_SETTING}` },
  description: 'One principal (or, for SAS, key and anonymous callers, one address) made at least 10 requests over TLS 1.0 or 1.1 to storage or Key Vault within an hour. Either an old client that will break when the minimum is raised, or a service whose minimum TLS was lowered and is now being used that way; secrets and SAS tokens travel over a deprecated protocol either way.',
  remediation: 'Identify the client (user agent in the evidence events) and upgrade it to TLS 1.2; then set the resource\'s minimum TLS version to TLS1_2 (encryption.min-tls-lowered watches that setting).',
  falsePositives: ['Old SDKs and appliances (backup tools, on-premises ETL) still on TLS 1.0/1.1.'],
  exclude: isBackgroundScanner,
  threshold: {
    where: (e) => isLegacyTls(e.tls_version),
    key: principalOrIp,
    windowSeconds: 3600,
    atLeast: 10,
    suppressSeconds: 86_400,
  },
  cases: [
    {
      name: 'a client reading blobs over TLS 1.0 all hour fires',
      fires: true,
      expect: { caller_ip: '203.0.113.50', alerts: 1 },
      events: () => toEvents(repeat(12, (i) => storageRecord({ operation: 'GetBlob', auth: 'SAS', ip: '203.0.113.50', tls: 'TLS 1.0', path: `exports/part-${i}.csv`, time: at(8, 600 + i * 4) }))),
    },
    {
      name: 'Key Vault reads over TLS1_1 fire',
      fires: true,
      expect: { principal_id: ADA.oid },
      events: () => toEvents(repeat(10, (i) => kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', properties: { tlsVersion: 'TLS1_1' }, time: at(8, 600 + i) }))),
    },
    {
      name: 'TLS 1.2 traffic, and a couple of legacy requests, stay quiet',
      fires: false,
      events: () => toEvents([
        ...repeat(50, (i) => storageRecord({ operation: 'GetBlob', ...TRAINER, path: `training-data/part-${i}.parquet`, time: at(8, 600 + i) })),
        ...repeat(50, (i) => kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', properties: { tlsVersion: 'TLS1_2' }, time: at(8, 600 + i) })),
        ...repeat(3, (i) => storageRecord({ operation: 'GetBlob', ...TRAINER, tls: 'TLS 1.1', time: at(8, 700 + i) })),
      ]),
    },
  ],
});
