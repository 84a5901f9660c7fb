/**
 * `AZKVAuditLogs` (Key Vault's resource-specific table) → the `AuditEvent` record Event Hubs
 * delivers: the request facts that are columns here (`Id`, `RequestUri`, `HttpStatusCode`, ...)
 * go back under `properties`, `Identity` back to `identity.claim`.
 */
import { bool, compact, jsonCell, number, objectCell, text, timeOf, type Row } from './columns.js';

type Rec = Record<string, unknown>;
const asObject = (v: unknown): Rec | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined);

/** Key Vault's `Identity` is `{claim: {...}}`; accept the bare claims too. */
export function identityWithClaim(value: unknown): Rec | undefined {
  const o = asObject(value);
  if (!o) return undefined;
  return o.claim !== undefined || o.claims !== undefined ? o : { claim: o };
}

export function keyVaultRecord(row: Row): Rec {
  const identity = jsonCell(row, 'Identity');
  return compact({
    time: timeOf(row),
    resourceId: text(row, '_ResourceId') ?? text(row, 'ResourceId'),
    operationName: text(row, 'OperationName'),
    operationVersion: text(row, 'OperationVersion'),
    category: 'AuditEvent',
    resultType: text(row, 'ResultType'),
    resultSignature: text(row, 'ResultSignature'),
    resultDescription: text(row, 'ResultDescription'),
    durationMs: number(row, 'DurationMs'),
    callerIpAddress: text(row, 'CallerIpAddress'),
    correlationId: text(row, 'CorrelationId'),
    // Not an object: kept as it is (as a streamed record's would be), not dropped.
    identity: identityWithClaim(identity) ?? identity,
    properties: compact({
      // Operation-specific facts (vault settings, access policies) first; the columns win.
      ...objectCell(row, 'Properties'),
      ...objectCell(row, 'VaultProperties'),
      id: text(row, 'Id'),
      requestUri: text(row, 'RequestUri'),
      httpStatusCode: number(row, 'HttpStatusCode'),
      clientInfo: text(row, 'ClientInfo'),
      isAccessPolicyMatch: bool(row, 'IsAccessPolicyMatch'),
      isRbacAuthorized: bool(row, 'IsRbacAuthorized'),
      isAddressAuthorized: bool(row, 'IsAddressAuthorized'),
      addressAuthorizationType: text(row, 'AddressAuthorizationType'),
      trustedService: text(row, 'TrustedService'),
      appliedAssignmentId: text(row, 'AppliedAssignmentId'),
      tlsVersion: text(row, 'Tlsversion') ?? text(row, 'TlsVersion'),
      subnetId: text(row, 'SubnetId'),
      networkAcls: jsonCell(row, 'NetworkAcls'),
      enableSoftDelete: bool(row, 'EnableSoftDelete'),
      enablePurgeProtection: bool(row, 'EnablePurgeProtection'),
      enableRbacAuthorization: bool(row, 'EnableRbacAuthorization'),
      softDeleteRetentionInDays: number(row, 'SoftDeleteRetentionInDays'),
    }),
  });
}
