/**
 * The Log Analytics tables `auditlake backfill` reads, listed (not discovered), each with the
 * mapper that rebuilds a row into the record shape Event Hubs delivers, so one normalization
 * path (src/schema) serves streamed and backfilled records alike.
 */
import { activityRecord } from './activity.js';
import type { Row } from './columns.js';
import { diagnosticsRecord } from './diagnostics.js';
import { auditLogsRecord, signInRecord } from './entra.js';
import { keyVaultRecord } from './keyvault.js';
import { storageRecord } from './storage.js';

export type TableMapper = (row: Row) => Record<string, unknown>;

export const tables = {
  AZKVAuditLogs: keyVaultRecord,
  AzureDiagnostics: diagnosticsRecord,
  AzureActivity: activityRecord,
  StorageBlobLogs: storageRecord,
  AuditLogs: auditLogsRecord,
  SigninLogs: signInRecord('SigninLogs'),
  AADNonInteractiveUserSignInLogs: signInRecord('AADNonInteractiveUserSignInLogs'),
  AADServicePrincipalSignInLogs: signInRecord('AADServicePrincipalSignInLogs'),
  AADManagedIdentitySignInLogs: signInRecord('AADManagedIdentitySignInLogs'),
} satisfies Record<string, TableMapper>;

export type TableName = keyof typeof tables;
export const TABLE_NAMES = Object.keys(tables) as TableName[];

export function isTableName(name: string): name is TableName {
  return Object.hasOwn(tables, name);
}
