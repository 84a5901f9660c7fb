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
  /** A managed identity's ARM id: its tokens carry it as `xms_mirid`. */
  mirid?: string;
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
  if (o.mirid) claim.xms_mirid = o.mirid;
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
  /** `properties.tlsVersion` as storage writes it. Default `TLS 1.2`. */
  tls?: string;
  /** Requests by a resource's managed identity carry `identity.delegatedResource`: the resource's ARM id. */
  delegatedResourceId?: string;
}

/** A storage resource-log record (blob service), as the diagnostic setting writes it. */
export function storageRecord(o: StorageOptions): Record<string, unknown> {
  const account = o.account ?? 'stfabrikamml01';
  const auth = o.auth ?? 'OAuth';
  const path = o.path ?? 'training-data/2025/part-0000.parquet';
  const identity: Record<string, unknown> = { type: auth };
  if (auth === 'OAuth') {
    identity.requester = { appId: o.appid ?? AZURE_CLI_APP, objectId: o.oid, tenantId: TENANT, ...(o.upn ? { upn: o.upn } : {}) };
    if (o.delegatedResourceId) identity.delegatedResource = { tenantId: TENANT, resourceId: o.delegatedResourceId, objectId: o.oid };
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
      tlsVersion: o.tls ?? 'TLS 1.2',
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
  /** The Success record's `properties.responseBody` (the resource's state after the write). */
  responseBody?: Record<string, unknown>;
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
      ...(o.responseBody ? { responseBody: JSON.stringify(o.responseBody) } : {}),
    },
  };
}

/**
 * The same record as the Activity log's storage-account shape has it: the HTTP verb as its
 * category and no `eventCategory` (the reference sample's shape).
 */
export function verbShaped(record: Record<string, unknown>, verb: 'Write' | 'Delete' | 'Action'): Record<string, unknown> {
  const { eventCategory: _, ...properties } = record.properties as Record<string, unknown>;
  return { ...record, category: verb, properties };
}

export const ROLE_ASSIGNMENT_WRITE = 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE';

export interface RoleAssignmentOptions {
  time: string;
  /** Who grants (the caller). */
  by: { oid: string; upn?: string; appid?: string };
  /** The grantee's object id. */
  grantee: string;
  granteeType?: 'User' | 'Group' | 'ServicePrincipal' | 'ForeignGroup' | 'Device';
  /** Role GUID (built-in or custom). */
  role: string;
  /** ARM scope, e.g. `/subscriptions/<id>` or `/` (tenant root). Default: the case resource group. */
  scope?: string;
  /** Start carries the request body; Success (the default) the response body, as Azure writes them. */
  resultType?: 'Start' | 'Success' | 'Failure';
  /** Assignment name (GUID); default derived from the time so Start and Success match. */
  name?: string;
  ip?: string;
}

export const SUBSCRIPTION_SCOPE = `/subscriptions/${SUBSCRIPTION}`;
export const RESOURCE_GROUP_SCOPE = `${SUBSCRIPTION_SCOPE}/resourceGroups/${RESOURCE_GROUP}`;

/** A role assignment write (Activity log, Event Hubs shape): Start with `requestbody`, Success with `responseBody`. */
export function roleAssignmentRecord(o: RoleAssignmentOptions): Record<string, unknown> {
  const scope = o.scope ?? RESOURCE_GROUP_SCOPE;
  const name = o.name ?? `7b1e2c3d-4f5a-4b6c-9d7e-${String(Date.parse(o.time) % 1e12).padStart(12, '0')}`;
  const resourceId = `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const props = {
    roleDefinitionId: `${SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/${o.role}`,
    principalId: o.grantee,
    principalType: o.granteeType ?? 'User',
    scope,
  };
  const resultType = o.resultType ?? 'Success';
  return activityRecord({
    operation: ROLE_ASSIGNMENT_WRITE, time: o.time, resourceId, resultType, ip: o.ip,
    oid: o.by.oid, upn: o.by.upn, appid: o.by.appid,
    ...(resultType === 'Start'
      ? { requestbody: { Id: name, Properties: { PrincipalId: props.principalId, PrincipalType: props.principalType, RoleDefinitionId: props.roleDefinitionId, Scope: scope } } }
      : { responseBody: { properties: props, id: resourceId, type: 'Microsoft.Authorization/roleAssignments', name } }),
  });
}

/** Who initiated a directory change: a user (UPN, address) or an application (e.g. MS-PIM). */
export type EntraInitiator =
  | { oid: string; upn: string; ip?: string }
  | { app: { servicePrincipalId: string; appId: string; displayName: string } };

export interface EntraAuditOptions {
  /** `activityDisplayName`, e.g. `Add member to role`. */
  operation: string;
  time: string;
  by: EntraInitiator;
  service?: 'Core Directory' | 'PIM';
  auditCategory?: string;
  operationType?: string;
  result?: 'success' | 'failure';
  resultReason?: string;
  targetResources: Record<string, unknown>[];
}

const ENTRA_RESOURCE_ID = `/tenants/${TENANT}/providers/Microsoft.aadiam`;

/** An Entra ID `AuditLogs` record, as the diagnostic setting writes it. */
export function entraAuditRecord(o: EntraAuditOptions): Record<string, unknown> {
  const correlationId = `9a0b1c2d-0000-4a5b-8c6d-${String(Date.parse(o.time) % 1e12).padStart(12, '0')}`;
  const service = o.service ?? 'Core Directory';
  const initiatedBy = 'app' in o.by
    ? { app: { appId: o.by.app.appId, displayName: o.by.app.displayName, servicePrincipalId: o.by.app.servicePrincipalId, servicePrincipalName: null } }
    : { user: { id: o.by.oid, displayName: null, userPrincipalName: o.by.upn, ipAddress: o.by.ip ?? '203.0.113.10', roles: [] } };
  return {
    time: o.time,
    resourceId: ENTRA_RESOURCE_ID,
    operationName: o.operation,
    operationVersion: '1.0',
    category: 'AuditLogs',
    tenantId: TENANT,
    resultSignature: 'None',
    durationMs: 0,
    callerIpAddress: 'app' in o.by ? '' : o.by.ip ?? '203.0.113.10',
    correlationId,
    identity: 'app' in o.by ? o.by.app.displayName : o.by.upn,
    Level: 4,
    properties: {
      id: `${service === 'PIM' ? 'PIM' : 'Directory'}_${correlationId}`,
      category: o.auditCategory ?? 'RoleManagement',
      correlationId,
      result: o.result ?? 'success',
      resultReason: o.resultReason ?? '',
      activityDisplayName: o.operation,
      activityDateTime: o.time.replace('Z', '+00:00'),
      loggedByService: service,
      operationType: o.operationType ?? (service === 'PIM' ? 'Add' : 'Assign'),
      userAgent: null,
      initiatedBy,
      targetResources: o.targetResources,
      additionalDetails: [],
    },
  };
}

export interface DirectoryRole { templateId: string; name: string }
export const GLOBAL_ADMINISTRATOR: DirectoryRole = { templateId: '62e90394-69f5-4237-9190-012177145e10', name: 'Global Administrator' };
export const DIRECTORY_READERS: DirectoryRole = { templateId: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', name: 'Directory Readers' };

/** Core Directory "Add member to role": the member first, the role in its modified properties. */
export function coreDirectoryRoleTargets(member: { oid: string; upn: string }, role: DirectoryRole): Record<string, unknown>[] {
  const roleObjectId = `9f0a1b2c-3d4e-4f5a-8b6c-${role.templateId.slice(-12)}`;
  return [
    {
      id: member.oid, displayName: null, type: 'User', userPrincipalName: member.upn,
      modifiedProperties: [
        { displayName: 'Role.ObjectID', oldValue: null, newValue: JSON.stringify(roleObjectId) },
        { displayName: 'Role.DisplayName', oldValue: null, newValue: JSON.stringify(role.name) },
        { displayName: 'Role.TemplateId', oldValue: null, newValue: JSON.stringify(role.templateId) },
      ],
      administrativeUnits: [],
    },
    { id: roleObjectId, displayName: null, type: 'Role', modifiedProperties: [], administrativeUnits: [] },
  ];
}

/** PIM records: the role first (its template id as `id`), then the request and the member. */
export function pimRoleTargets(member: { oid: string; upn: string }, role: DirectoryRole): Record<string, unknown>[] {
  return [
    { id: role.templateId, displayName: role.name, type: 'Role', modifiedProperties: [], administrativeUnits: [] },
    { id: '0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d', displayName: null, type: 'Request', modifiedProperties: [], administrativeUnits: [] },
    { id: member.oid, displayName: null, type: 'User', userPrincipalName: member.upn, modifiedProperties: [], administrativeUnits: [] },
    { id: TENANT, displayName: 'Fabrikam ML', type: 'Directory', modifiedProperties: [], administrativeUnits: [] },
  ];
}

/** Privileged Identity Management's own service principal: it writes the Core Directory records of PIM activations. */
export const MS_PIM = { servicePrincipalId: '3b0d6a4c-8e2f-4d1a-9c7b-5e6f7a8b9c0d', appId: '01fc33a7-78ba-4d2f-a4b7-768e336e890e', displayName: 'MS-PIM' } as const;

export const AZURE_PORTAL_APP = 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c';
export const AZURE_MANAGEMENT_RESOURCE = '797f4846-ba00-4fd7-ba43-dac1f8f63013';
export const MICROSOFT_GRAPH_RESOURCE = '00000003-0000-0000-c000-000000000000';

export interface SignInOptions {
  time: string;
  category?: 'SignInLogs' | 'NonInteractiveUserSignInLogs' | 'ServicePrincipalSignInLogs' | 'ManagedIdentitySignInLogs';
  /** A user (SignInLogs, NonInteractiveUserSignInLogs). */
  user?: { oid: string; upn: string };
  /** A service principal or managed identity (its servicePrincipalId and appId). */
  sp?: { oid: string; appid: string; name?: string };
  app?: { id: string; name: string };
  resource?: { id: string; name: string };
  ip?: string;
  errorCode?: number;
  /** `singleFactorAuthentication` (default) or `multiFactorAuthentication`. */
  requirement?: 'singleFactorAuthentication' | 'multiFactorAuthentication';
  mfaMethod?: string;
  risk?: 'none' | 'low' | 'medium' | 'high';
}

/** An Entra ID sign-in record (interactive, non-interactive, service principal or managed identity). */
export function signinRecord(o: SignInOptions): Record<string, unknown> {
  const category = o.category ?? (o.user ? 'SignInLogs' : 'ServicePrincipalSignInLogs');
  const correlationId = `4c5d6e7f-0000-4c0d-9e1f-${String(Date.parse(o.time) % 1e12).padStart(12, '0')}`;
  const isUser = o.user !== undefined;
  const app = o.app ?? (isUser ? { id: AZURE_PORTAL_APP, name: 'Azure Portal' } : { id: o.sp?.appid ?? '', name: o.sp?.name ?? 'app' });
  const resource = o.resource ?? { id: AZURE_MANAGEMENT_RESOURCE, name: 'Windows Azure Service Management API' };
  const errorCode = o.errorCode ?? 0;
  const requirement = o.requirement ?? 'singleFactorAuthentication';
  const risk = o.risk ?? 'none';
  const ip = o.ip ?? '203.0.113.57';
  const properties: Record<string, unknown> = {
    id: `5d6e7f8a-0000-4d1e-8f2a-${String(Date.parse(o.time) % 1e12).padStart(12, '0')}`,
    createdDateTime: o.time.replace('Z', '+00:00'),
    appId: app.id,
    appDisplayName: app.name,
    ipAddress: ip,
    status: errorCode === 0 ? { errorCode: 0 } : { errorCode, failureReason: 'Invalid username or password or Invalid on-premise username or password.' },
    location: { city: 'Amsterdam', state: 'Noord-Holland', countryOrRegion: 'NL', geoCoordinates: { latitude: 52.37, longitude: 4.89 } },
    correlationId,
    conditionalAccessStatus: 'notApplied',
    appliedConditionalAccessPolicies: [],
    isInteractive: category === 'SignInLogs',
    tokenIssuerType: 'AzureAD',
    riskDetail: 'none',
    riskLevelAggregated: risk,
    riskLevelDuringSignIn: risk,
    riskState: risk === 'none' ? 'none' : 'atRisk',
    resourceDisplayName: resource.name,
    resourceId: resource.id,
    resourceTenantId: TENANT,
  };
  if (isUser) {
    Object.assign(properties, {
      userDisplayName: o.user!.upn.split('@')[0],
      userPrincipalName: o.user!.upn,
      userId: o.user!.oid,
      clientAppUsed: category === 'SignInLogs' ? 'Browser' : 'Mobile Apps and Desktop clients',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      authenticationRequirement: requirement,
      authenticationDetails: [
        { authenticationMethod: 'Password', authenticationMethodDetail: 'Password in the cloud', succeeded: errorCode === 0, authenticationStepRequirement: 'Primary authentication' },
        ...(o.mfaMethod ? [{ authenticationMethod: o.mfaMethod, succeeded: true, authenticationStepRequirement: 'Secondary authentication' }] : []),
      ],
      ...(o.mfaMethod ? { mfaDetail: { authMethod: o.mfaMethod, authDetail: null } } : {}),
      servicePrincipalId: '',
      userType: 'Member',
    });
  } else {
    Object.assign(properties, { userId: null, servicePrincipalId: o.sp?.oid, servicePrincipalName: o.sp?.name ?? app.name });
  }
  return {
    time: o.time,
    resourceId: ENTRA_RESOURCE_ID,
    operationName: 'Sign-in activity',
    operationVersion: '1.0',
    category,
    tenantId: TENANT,
    resultType: String(errorCode),
    resultSignature: 'None',
    durationMs: 0,
    ...(category === 'ManagedIdentitySignInLogs' ? {} : { callerIpAddress: ip }),
    correlationId,
    ...(isUser ? { identity: o.user!.upn.split('@')[0] } : {}),
    Level: 4,
    location: 'NL',
    properties,
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
    return toEventRow(n.fields, redactSecrets(JSON.stringify(record)), 'case', n.nativeId);
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
/** A tenant administrator who grants roles every week (the benign grantor). */
export const ADMIN = { oid: 'a1c3e5f7-0b2d-4f6a-8c1e-3a5b7c9d1e2f', upn: 'alice.admin@fabrikam-demo.example' } as const;
/** A workspace's system-assigned managed identity (AML compute reads storage and Key Vault with it). */
export const WORKSPACE_MI = {
  oid: 'f6b8d0e2-5a7c-4e9f-9b3d-4c6e8a0c2d4f',
  appid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlw-fabrikam`,
} as const;
