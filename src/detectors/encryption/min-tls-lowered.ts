import { T1557, T1562 } from '../attack.js';
import { activityRecord, ADMIN, at, INTRUDER, storageAccountResourceId, toEvents } from '../cases.js';
import { defineDetector } from '../define.js';
import { activityOperation, ADMINISTRATIVE_CATEGORIES } from '../keys.js';
import { ACTIVITY_SETTING, isCompleted, text } from '../governance/common.js';
import { isLegacyTls } from './common.js';

const ACCOUNT = storageAccountResourceId('stfabrikamml01');
const WRITE = 'MICROSOFT.STORAGE/STORAGEACCOUNTS/WRITE';

export default defineDetector({
  id: 'encryption.min-tls-lowered',
  title: 'Minimum TLS version lowered below 1.2',
  severity: 'medium',
  attack: [T1562, T1557],
  needs: { categories: ADMINISTRATIVE_CATEGORIES, setting: ACTIVITY_SETTING },
  description: 'A resource write (storage account, and any resource with minimumTlsVersion / minimalTlsVersion: SQL, Redis, App Service, ...) completed with a minimum TLS version of 1.0 or 1.1. Clients can then negotiate deprecated protocols open to downgrade and interception, and it often comes with other weakening changes in the same write (public blob access, HTTP allowed).',
  remediation: 'Set the minimum back to TLS1_2 and find the client that needed the old protocol (encryption.legacy-tls-requests names it). Enforce the minimum with Azure Policy.',
  falsePositives: ['A legacy client migration window agreed with security.'],
  match: {
    where: (e) => isCompleted(e) && activityOperation(e).endsWith('/WRITE') && isLegacyTls(text(e, 'minimum_tls_version')),
    facts: (e) => ({ minimum_tls_version: text(e, 'minimum_tls_version'), https_only: e.details.https_only ?? null, allow_blob_public_access: e.details.allow_blob_public_access ?? null }),
  },
  cases: [
    {
      name: 'a storage account lowered to TLS1_0 fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid, alerts: 1 },
      events: () => toEvents([
        activityRecord({ operation: WRITE, ...INTRUDER, resourceId: ACCOUNT, resultType: 'Start', requestbody: { Properties: { MinimumTlsVersion: 'TLS1_0', SupportsHttpsTrafficOnly: false } }, time: at(8, 600) }),
        activityRecord({ operation: WRITE, ...INTRUDER, resourceId: ACCOUNT, requestbody: { Properties: { MinimumTlsVersion: 'TLS1_0', SupportsHttpsTrafficOnly: false } }, time: at(8, 600) }),
      ]),
    },
    {
      name: 'a SQL server allowing 1.1 fires',
      fires: true,
      expect: { principal_id: INTRUDER.oid },
      events: () => toEvents([activityRecord({ operation: 'MICROSOFT.SQL/SERVERS/WRITE', ...INTRUDER, resourceId: ACCOUNT.replace('Microsoft.Storage/storageAccounts/stfabrikamml01', 'Microsoft.Sql/servers/sql-fabrikam'), requestbody: { properties: { minimalTlsVersion: '1.1' } }, time: at(8, 600) })]),
    },
    {
      name: 'setting TLS1_2, and the Start record of a TLS1_0 write that failed, stay quiet',
      fires: false,
      events: () => toEvents([
        activityRecord({ operation: WRITE, ...ADMIN, resourceId: ACCOUNT, requestbody: { properties: { minimumTlsVersion: 'TLS1_2' } }, time: at(8, 600) }),
        activityRecord({ operation: WRITE, ...INTRUDER, resourceId: ACCOUNT, resultType: 'Start', requestbody: { properties: { minimumTlsVersion: 'TLS1_0' } }, time: at(8, 610) }),
        activityRecord({ operation: WRITE, ...INTRUDER, resourceId: ACCOUNT, resultType: 'Failure', time: at(8, 610) }),
      ]),
    },
  ],
});
