/**
 * Entra ID tables → the records the Entra diagnostic setting sends to Event Hubs: the
 * envelope stays at the top, the Graph fields (columns here, PascalCase) go back under
 * `properties` in camelCase. Dynamic columns arrive parsed, but several columns typed `string`
 * hold JSON (`AuthenticationDetails`; `Status`, `LocationDetails`, `DeviceDetail`, `MfaDetail`
 * in the non-interactive, service principal and managed identity tables): both are read.
 */
import { bool, compact, jsonCell, number, text, timeOf, type Row } from './columns.js';

type Rec = Record<string, unknown>;

function envelope(row: Row, category: string): Rec {
  const tenant = text(row, 'AADTenantId');
  return {
    time: timeOf(row),
    resourceId: text(row, 'ResourceId') ?? (tenant ? `/tenants/${tenant}/providers/Microsoft.aadiam` : undefined),
    operationName: text(row, 'OperationName'),
    operationVersion: text(row, 'OperationVersion'),
    category,
    tenantId: tenant,
    resultType: text(row, 'ResultType'),
    resultSignature: text(row, 'ResultSignature'),
    resultDescription: text(row, 'ResultDescription'),
    durationMs: number(row, 'DurationMs'),
    correlationId: text(row, 'CorrelationId'),
    identity: text(row, 'Identity'),
    Level: number(row, 'Level') ?? text(row, 'Level'),
    location: text(row, 'Location'),
  };
}

export function auditLogsRecord(row: Row): Rec {
  return compact({
    ...envelope(row, 'AuditLogs'),
    properties: compact({
      id: text(row, 'Id'),
      category: text(row, 'Category'),
      correlationId: text(row, 'CorrelationId'),
      result: text(row, 'Result'),
      resultReason: text(row, 'ResultReason'),
      activityDisplayName: text(row, 'ActivityDisplayName'),
      activityDateTime: text(row, 'ActivityDateTime'),
      loggedByService: text(row, 'LoggedByService'),
      operationType: text(row, 'AADOperationType'),
      initiatedBy: jsonCell(row, 'InitiatedBy'),
      targetResources: jsonCell(row, 'TargetResources'),
      additionalDetails: jsonCell(row, 'AdditionalDetails'),
    }),
  });
}

/** Log Analytics table → the category its records carry on Event Hubs. */
export const SIGNIN_CATEGORY = {
  SigninLogs: 'SignInLogs',
  AADNonInteractiveUserSignInLogs: 'NonInteractiveUserSignInLogs',
  AADServicePrincipalSignInLogs: 'ServicePrincipalSignInLogs',
  AADManagedIdentitySignInLogs: 'ManagedIdentitySignInLogs',
} as const;

const SIGNIN_TEXT = [
  'CreatedDateTime', 'UserDisplayName', 'UserPrincipalName', 'UserId', 'AppId', 'AppDisplayName', 'ClientAppUsed', 'UserAgent',
  'ConditionalAccessStatus', 'TokenIssuerName', 'TokenIssuerType', 'AuthenticationRequirement', 'RiskDetail', 'RiskLevelAggregated',
  'RiskLevelDuringSignIn', 'RiskState', 'ResourceDisplayName', 'ServicePrincipalId', 'ServicePrincipalName', 'ServicePrincipalCredentialKeyId',
  'ServicePrincipalCredentialThumbprint', 'UserType', 'HomeTenantId', 'ResourceTenantId', 'UniqueTokenIdentifier', 'OriginalRequestId',
  'AlternateSignInName', 'SignInIdentifier', 'SignInIdentifierType', 'AutonomousSystemNumber', 'ManagedIdentityType', 'FederatedCredentialId',
  'IPAddressFromResourceProvider', 'ResourceServicePrincipalId', 'ProcessingTimeInMilliseconds',
] as const;

const SIGNIN_JSON = [
  'Status', 'DeviceDetail', 'MfaDetail', 'AuthenticationDetails', 'AuthenticationRequirementPolicies', 'AuthenticationProcessingDetails',
  'RiskEventTypes', 'NetworkLocationDetails', 'SessionLifetimePolicies', 'AuthenticationMethodsUsed',
] as const;

const camel = (s: string) => s[0]!.toLowerCase() + s.slice(1);

export function signInRecord(table: keyof typeof SIGNIN_CATEGORY): (row: Row) => Rec {
  return (row) => {
    const properties: Rec = { id: text(row, 'Id') };
    for (const c of SIGNIN_TEXT) properties[camel(c)] = text(row, c);
    for (const c of SIGNIN_JSON) properties[camel(c)] = jsonCell(row, c);
    Object.assign(properties, {
      ipAddress: text(row, 'IPAddress'),
      correlationId: text(row, 'CorrelationId'),
      isInteractive: bool(row, 'IsInteractive'),
      isRisky: bool(row, 'IsRisky'),
      flaggedForReview: bool(row, 'FlaggedForReview'),
      location: jsonCell(row, 'LocationDetails'),
      appliedConditionalAccessPolicies: jsonCell(row, 'ConditionalAccessPolicies'),
      riskEventTypes_v2: jsonCell(row, 'RiskEventTypes_V2'),
      resourceId: text(row, 'ResourceIdentity'),
    });
    return compact({
      ...envelope(row, SIGNIN_CATEGORY[table]),
      callerIpAddress: text(row, 'IPAddress'),
      properties: compact(properties),
    });
  };
}
