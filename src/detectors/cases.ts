/**
 * Builders for detector cases: records in the exact shapes Azure emits, passed through the real
 * schema (`normalizeRecord`), so a case proves the detector against what production will see.
 * Defaults describe the fictional Fabrikam ML tenant; a case overrides only what it is about.
 */
import type { EventRow } from '../schema/event.js';
import { normalizeRecord } from '../schema/normalize.js';
import { redactSecrets } from '../schema/redact.js';
import { toEventRow } from '../schema/row.js';

export const SUBSCRIPTION = '5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90';
export const TENANT = '0f4e2c1a-7b6d-4c3e-8a9f-5d2b1e0c9a87';
export const RESOURCE_GROUP = 'rg-fabrikam-ml';
export const AZURE_CLI_APP = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/** Case time: day offset from 2025-11-01 plus minutes, as the ISO string Azure writes. */
export function at(day: number, minutes = 0, seconds = 0): string {
  return new Date(Date.UTC(2025, 10, 1 + day, 0, 0, 0) + minutes * 60_000 + seconds * 1000).toISOString();
}

export function vaultId(vault: string): string {
  return `/SUBSCRIPTIONS/${SUBSCRIPTION.toUpperCase()}/RESOURCEGROUPS/${RESOURCE_GROUP.toUpperCase()}/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${vault.toUpperCase()}`;
}

export function storageAccountResourceId(account: string): string {
  return `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Storage/storageAccounts/${account}`;
}

export interface KvOptions {
  operation: string;
  time: string;
  oid?: string;
  upn?: string;
  appid?: string;
  vault?: string;
  /** Secret/key name; with `kind` it forms the object URI. */
  name?: string;
  kind?: 'secrets' | 'keys' | 'certificates';
  ip?: string;
  status?: number;
  /** Extra `properties` (access policy or network ACL changes). */
  properties?: Record<string, unknown>;
}

/** A Key Vault `AuditEvent` record. No `oid`/`appid` ⇒ an unauthenticated call (no claims). */
export function kvRecord(o: KvOptions): Record<string, unknown> {
  const vault = o.vault ?? 'kv-fabrikam-ml';
  const status = o.status ?? 200;
  const objectUri = `https://${vault}.vault.azure.net/${o.kind ?? 'secrets'}${o.name ? `/${o.name}/0a1b2c3d4e5f60718293a4b5c6d7e8f9` : ''}`;
  const claim: Record<string, string> = {};
  if (o.oid) claim.oid = o.oid;
  if (o.upn) claim.upn = o.upn;
  if (o.oid || o.appid) { claim.appid = o.appid ?? AZURE_CLI_APP; claim.tid = TENANT; }
  return {
    time: o.time,
    resourceId: vaultId(vault),
    operationName: o.operation,
    operationVersion: '7.4',
    category: 'AuditEvent',
    resultType: 'Success',
    resultSignature: status === 200 ? 'OK' : status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : String(status),
    durationMs: '23',
    callerIpAddress: o.ip ?? '203.0.113.24',
    correlationId: '',
    identity: Object.keys(claim).length > 0 ? { claim } : null,
    properties: {
      id: objectUri,
      clientInfo: 'azsdk-python-keyvault-secrets/4.8.0 Python/3.11.6',
      requestUri: `${objectUri}?api-version=7.4`,
      httpStatusCode: status,
      ...o.properties,
    },
  };
}

export interface StorageOptions {
  operation: string;
  time: string;
  category?: 'StorageRead' | 'StorageWrite' | 'StorageDelete';
  auth?: 'OAuth' | 'SAS' | 'AccountKey' | 'Anonymous';
  oid?: string;
  upn?: string;
  appid?: string;
  account?: string;
  /** `container/path/to/blob` (or just the container for list calls). */
  path?: string;
  ip?: string;
  bytes?: number;
  status?: number;
  /** CopyBlob source URI (the copy's origin). */
  sourceUri?: string;
}

/** A storage resource-log record (blob service), as the diagnostic setting writes it. */
export function storageRecord(o: StorageOptions): Record<string, unknown> {
  const account = o.account ?? 'stfabrikamml01';
  const auth = o.auth ?? 'OAuth';
  const path = o.path ?? 'training-data/2025/part-0000.parquet';
  const identity: Record<string, unknown> = { type: auth };
  if (auth === 'OAuth') {
    identity.requester = { appId: o.appid ?? AZURE_CLI_APP, objectId: o.oid, tenantId: TENANT, ...(o.upn ? { upn: o.upn } : {}) };
  } else if (auth !== 'Anonymous') {
    identity.tokenHash = auth === 'SAS' ? 'sas-2f8c1e0a9b7d(1A2B3C4D)' : 'key1(67F8F5A218837386)';
  }
  const query = auth === 'SAS' ? '?sv=2022-11-02&sp=rl&se=2026-12-31T00:00:00Z&sig=FAKEsignature%3D' : '';
  return {
    time: o.time,
    resourceId: `${storageAccountResourceId(account)}/blobServices/default`,
    category: o.category ?? (/^(Put|Copy|Set|Create)/.test(o.operation) ? 'StorageWrite' : /^Delete/.test(o.operation) ? 'StorageDelete' : 'StorageRead'),
    operationName: o.operation,
    operationVersion: '2023-11-03',
    schemaVersion: '1.0',
    statusCode: o.status ?? 200,
    statusText: auth === 'SAS' ? 'SASSuccess' : 'Success',
    durationMs: 12,
    callerIpAddress: `${o.ip ?? '10.20.0.15'}:51234`,
    correlationId: `c0ffee00-0000-0000-0000-${String(Date.parse(o.time) % 1e12).padStart(12, '0')}`,
    identity,
    properties: {
      accountName: account,
      serviceType: 'blob',
      objectKey: `/${account}/${path}`,
      responseBodySize: o.bytes ?? 1024,
      tlsVersion: 'TLS 1.2',
      userAgentHeader: 'azsdk-python-storage-blob/12.19.0',
      ...(o.sourceUri ? { sourceUri: o.sourceUri } : {}),
    },
    uri: `https://${account}.blob.core.windows.net:443/${path}${query}`,
    protocol: 'HTTPS',
    resourceType: 'Microsoft.Storage/storageAccounts/blobServices',
  };
}

export interface ActivityOptions {
  /** As Event Hubs writes it: upper-case, e.g. MICROSOFT.STORAGE/STORAGEACCOUNTS/LISTKEYS/ACTION. */
  operation: string;
  time: string;
  resourceId: string;
  oid?: string;
  upn?: string;
  appid?: string;
  ip?: string;
  resultType?: 'Start' | 'Success' | 'Failure';
  requestbody?: Record<string, unknown>;
}

/** An Activity log `Administrative` record in the Event Hubs shape. */
export function activityRecord(o: ActivityOptions): Record<string, unknown> {
  const claims: Record<string, string> = {
    'http://schemas.microsoft.com/identity/claims/objectidentifier': o.oid ?? '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e',
    appid: o.appid ?? AZURE_CLI_APP,
    'http://schemas.microsoft.com/identity/claims/tenantid': TENANT,
  };
  if (o.upn) claims['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn'] = o.upn;
  return {
    time: o.time,
    resourceId: o.resourceId.toUpperCase(),
    operationName: o.operation,
    category: 'Administrative',
    resultType: o.resultType ?? 'Success',
    resultSignature: 'Succeeded.',
    durationMs: '0',
    callerIpAddress: o.ip ?? '198.51.100.10',
    correlationId: `a1b2c3d4-0000-0000-0000-${String(Date.parse(o.time) % 1e12).padStart(12, '0')}`,
    identity: { claims },
    level: 'Information',
    properties: {
      statusCode: 'OK',
      eventCategory: 'Administrative',
      entity: o.resourceId,
      message: o.operation.toLowerCase(),
      ...(o.requestbody ? { requestbody: JSON.stringify(o.requestbody) } : {}),
    },
  };
}

/**
 * Records → stored rows, through the real schema. A record the schema rejects is a broken case:
 * it throws with the schema's reason instead of silently proving nothing.
 */
export function toEvents(records: readonly Record<string, unknown>[]): EventRow[] {
  return records.map((record, i) => {
    const n = normalizeRecord(record);
    if (!n.ok) throw new Error(`case record ${i} rejected by the schema: ${n.reason}`);
    return toEventRow(n.fields, redactSecrets(JSON.stringify(record)), 'case');
  });
}

/** `count` records from `make(i)`: bursts without loops in every case. */
export function repeat<T>(count: number, make: (i: number) => T): T[] {
  return Array.from({ length: count }, (_, i) => make(i));
}

/** The cast of the cases: a data scientist, the nightly deployment pipeline, an intruder. */
export const ADA = { oid: '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e', upn: 'ada.park@fabrikam-demo.example' } as const;
export const PIPELINE = { oid: '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968', appid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' } as const;
export const TRAINER = { oid: '6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d', appid: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' } as const;
export const INTRUDER = { oid: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b', upn: 'svc-backup@fabrikam-demo.example' } as const;
export const RESOURCE_GRAPH_APP = '509e4652-da8d-478d-a730-e9d4a1996ca4';
