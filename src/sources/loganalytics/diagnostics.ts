/**
 * `AzureDiagnostics`, the legacy catch-all table: one wide row per record, the envelope as
 * columns and everything nested flattened into `<path>_<type>` columns (`requestUri_s`,
 * `httpStatusCode_d`, `isAccessPolicyMatch_b`, `id_s`, `identity_claim_oid_g`), with what did
 * not fit in 500 columns in `AdditionalFields`. The record is rebuilt from that: envelope
 * columns back to their fields, `identity_claim_*` back to `identity.claim` (the long claim
 * URIs restored), every other typed column to `properties.<path>`.
 */
import { compact, jsonCell, number, text, timeOf, type Row } from './columns.js';

type Rec = Record<string, unknown>;

/** Log Analytics' own columns and the resource parts it derives: not part of the record. */
const NOT_THE_RECORD = new Set([
  'TenantId', 'SourceSystem', 'Type', 'MG', 'ManagementGroupName', 'Computer', 'RawData', 'SubscriptionId', 'ResourceGroup',
  'ResourceProvider', 'ResourceType', 'Resource', '_ResourceId', '_SubscriptionId', '_BilledSize', '_IsBillable', '_ItemId',
  '_Internal_WorkspaceResourceId', 'AdditionalFields', 'TimeGenerated', 'Category', 'OperationName', 'OperationVersion',
  'ResourceId', 'ResultType', 'ResultSignature', 'ResultDescription', 'DurationMs', 'CallerIPAddress', 'CorrelationId', 'Level',
  'Location', 'identity_s',
]);

/** Flattened claim names whose original is a URI (the principal readers need those keys). */
const CLAIM_URIS: Record<string, string> = Object.fromEntries([
  'http://schemas.microsoft.com/identity/claims/objectidentifier',
  'http://schemas.microsoft.com/identity/claims/tenantid',
  'http://schemas.microsoft.com/identity/claims/scope',
  'http://schemas.microsoft.com/identity/claims/appid',
  'http://schemas.microsoft.com/claims/authnmethodsreferences',
  'http://schemas.microsoft.com/claims/authnclassreference',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
].map((uri) => [uri.replace(/[^A-Za-z0-9]+/g, '_'), uri]));

const TYPED = /^(.+)_([sgdbt])$/;

export function diagnosticsRecord(row: Row): Rec {
  const claim: Rec = {};
  const properties: Rec = {};
  const extra = jsonCell(row, 'AdditionalFields');
  if (extra !== null && typeof extra === 'object' && !Array.isArray(extra)) Object.assign(properties, extra);
  for (const [column, value] of Object.entries(row)) {
    if (NOT_THE_RECORD.has(column) || value === null || value === undefined || value === '') continue;
    const typed = TYPED.exec(column);
    const path = typed ? typed[1]! : column;
    const cell = value instanceof Date ? value.toISOString() : value;
    if (path.startsWith('identity_claim_')) {
      const name = path.slice('identity_claim_'.length);
      claim[CLAIM_URIS[name] ?? name] = cell;
    } else {
      properties[path.startsWith('properties_') ? path.slice('properties_'.length) : path] = cell;
    }
  }
  const identityText = text(row, 'identity_s');
  return compact({
    time: timeOf(row),
    resourceId: text(row, 'ResourceId') ?? text(row, '_ResourceId'),
    operationName: text(row, 'OperationName'),
    operationVersion: text(row, 'OperationVersion'),
    category: text(row, 'Category'),
    resultType: text(row, 'ResultType'),
    resultSignature: text(row, 'ResultSignature'),
    resultDescription: text(row, 'ResultDescription'),
    durationMs: number(row, 'DurationMs'),
    callerIpAddress: text(row, 'CallerIPAddress'),
    correlationId: text(row, 'CorrelationId'),
    level: text(row, 'Level'),
    identity: Object.keys(claim).length > 0 ? { claim } : identityText,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
  });
}
