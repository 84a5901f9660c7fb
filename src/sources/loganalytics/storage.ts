/**
 * `StorageBlobLogs` → the `StorageRead`/`StorageWrite`/`StorageDelete` record Event Hubs
 * delivers: `Authentication*` and `Requester*` columns back into `identity`, the request
 * facts back under `properties` with their camelCase names.
 */
import { asItIs, compact, jsonCell, number, text, timeOf, type Row } from './columns.js';

type Rec = Record<string, unknown>;

/** Columns that were `properties.<camelCase>` in the record. */
const PROPERTY_COLUMNS = [
  'AccountName', 'UserAgentHeader', 'ReferrerHeader', 'ClientRequestId', 'Etag', 'ServiceType', 'OperationCount', 'ObjectKey',
  'RequestHeaderSize', 'RequestBodySize', 'ResponseHeaderSize', 'ResponseBodySize', 'RequestMd5', 'ResponseMd5',
  'LastModifiedTime', 'ConditionsUsed', 'ContentLengthHeader', 'MetricResponseType', 'ServerLatencyMs', 'TlsVersion',
  'SourceUri', 'DestinationUri', 'AccessTier', 'SourceAccessTier', 'RehydratePriority', 'SasExpiryStatus', 'DownloadRange',
] as const;

const camel = (s: string) => s[0]!.toLowerCase() + s.slice(1);

export function storageRecord(row: Row): Rec {
  const properties: Rec = {};
  for (const c of PROPERTY_COLUMNS) {
    // Text and times as text; numbers, and a cell of another type (true in RequestHeaderSize), as they are.
    const v = typeof row[c] === 'string' || row[c] instanceof Date ? text(row, c) : asItIs(row, c);
    if (v !== undefined) properties[camel(c)] = v;
  }
  const requester = compact({
    appId: text(row, 'RequesterAppId'),
    audience: text(row, 'RequesterAudience'),
    objectId: text(row, 'RequesterObjectId'),
    tenantId: text(row, 'RequesterTenantId'),
    tokenIssuer: text(row, 'RequesterTokenIssuer'),
    upn: text(row, 'RequesterUpn'),
    userName: text(row, 'RequesterUserName'),
  });
  const identity = compact({
    type: text(row, 'AuthenticationType'),
    tokenHash: text(row, 'AuthenticationHash'),
    authorization: jsonCell(row, 'AuthorizationDetails'),
    requester: Object.keys(requester).length > 0 ? requester : undefined,
    delegatedResource: jsonCell(row, 'DelegatedResource'),
  });
  return compact({
    time: timeOf(row),
    resourceId: text(row, '_ResourceId') ?? text(row, 'ResourceId'),
    category: text(row, 'Category'),
    operationName: text(row, 'OperationName'),
    operationVersion: text(row, 'OperationVersion'),
    schemaVersion: text(row, 'SchemaVersion'),
    // A string column in Log Analytics, a number on Event Hubs.
    statusCode: number(row, 'StatusCode') ?? text(row, 'StatusCode'),
    statusText: text(row, 'StatusText'),
    durationMs: number(row, 'DurationMs'),
    callerIpAddress: text(row, 'CallerIpAddress'),
    correlationId: text(row, 'CorrelationId'),
    identity: Object.keys(identity).length > 0 ? identity : undefined,
    location: text(row, 'Location'),
    properties,
    uri: text(row, 'Uri'),
    protocol: text(row, 'Protocol'),
  });
}
