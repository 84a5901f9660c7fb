/**
 * Storage resource logs (`StorageRead`/`StorageWrite`/`StorageDelete`) for blob, file, queue
 * and table services. The exfiltration detectors read egress bytes, the caller and the auth type.
 */
import { z } from 'zod';
import type { Details, PrincipalType, Result } from './event.js';
import { envelopeFields, objectOrEmpty } from './envelope.js';
import { defineFamily } from './family.js';
import { normalizeAuthType, normalizeResult, num, pick, splitResourceId, str, stripPort } from './fields.js';

const schema = z.looseObject({
  ...envelopeFields,
  statusCode: z.unknown().optional(),
  statusText: z.unknown().optional(),
  uri: z.unknown().optional(),
  protocol: z.unknown().optional(),
});

const obj = objectOrEmpty;

/**
 * What a detector may know of a URI without its secrets: host and path, whether it carries a
 * SAS signature, and the SAS's (non-secret) permissions and expiry. The query itself is never kept.
 */
function uriFacts(value: unknown): { where: string | null; hasSas: boolean; sp: string | null; se: string | null } {
  const s = str(value);
  if (s === null) return { where: null, hasSas: false, sp: null, se: null };
  try {
    const u = new URL(s);
    const q = u.searchParams;
    return { where: `${u.host}${u.pathname}`, hasSas: q.has('sig'), sp: q.get('sp'), se: q.get('se') };
  } catch {
    return { where: null, hasSas: /[?&]sig=/i.test(s), sp: null, se: null };
  }
}

/** HTTP status wins; `statusText` varies (`Success`, `SASSuccess`, `AuthorizationPermissionMismatch`). */
function resultOf(status: number | null, statusText: unknown): Result {
  if (status !== null) return status >= 400 ? 'failure' : status >= 200 ? 'success' : 'unknown';
  return normalizeResult(str(statusText));
}

/** `/<account>/<container>/<blob>` → container. */
function containerOf(objectKey: string | null): string | null {
  if (objectKey === null) return null;
  return objectKey.split('/').filter((p) => p !== '')[1] ?? null;
}

export const storageFamily = defineFamily({
  name: 'storage',
  categories: ['StorageRead', 'StorageWrite', 'StorageDelete'],
  schema,
  toEvent(r, category) {
    const props = obj(r.properties);
    const identity = obj(r.identity);
    const requester = obj(pick(identity, 'requester'));
    const delegated = obj(pick(identity, 'delegatedResource'));
    const authorization = pick(identity, 'authorization');
    const firstAuth = obj(Array.isArray(authorization) ? authorization[0] : authorization);

    const principalId = str(pick(requester, 'objectId'))?.toLowerCase() ?? null;
    const upn = str(pick(requester, 'upn'));
    const appId = str(pick(requester, 'appId'))?.toLowerCase() ?? null;
    // A managed identity looks like any service principal here; only Entra knows the difference.
    const principalType: PrincipalType = upn !== null ? 'user' : principalId !== null || appId !== null ? 'servicePrincipal' : 'unknown';

    const status = num(r.statusCode);
    const objectKey = str(pick(props, 'objectKey'));
    const uri = uriFacts(r.uri);
    const source = uriFacts(pick(props, 'sourceUri'));
    const authDetail = str(pick(identity, 'type'));

    const details: Details = {
      service_type: str(pick(props, 'serviceType')),
      account_name: str(pick(props, 'accountName'))?.toLowerCase() ?? null,
      container: containerOf(objectKey),
      auth_detail: authDetail,
      token_hash: str(pick(identity, 'tokenHash')),
      status_text: str(r.statusText),
      metric_response_type: str(pick(props, 'metricResponseType')),
      request_path: uri.where,
      has_sas_signature: uri.hasSas,
      sas_permissions: uri.sp,
      sas_expiry: uri.se,
      copy_source: source.where,
      requester_tenant_id: str(pick(requester, 'tenantId'))?.toLowerCase() ?? null,
      delegated_resource_id: str(pick(delegated, 'resourceId'))?.toLowerCase() ?? null,
      delegated_object_id: str(pick(delegated, 'objectId'))?.toLowerCase() ?? null,
      // The caller's own role (not one being granted), so it stays out of role_definition_id.
      authorization_action: str(pick(firstAuth, 'action')),
      authorization_role_definition_id: str(pick(firstAuth, 'roleDefinitionId'))?.toLowerCase() ?? null,
      authorization_role_assignment_id: str(pick(firstAuth, 'roleAssignmentId'))?.toLowerCase() ?? null,
      client_request_id: str(pick(props, 'clientRequestId')),
      duration_ms: num(r.durationMs),
      server_latency_ms: num(pick(props, 'serverLatencyMs')),
      protocol: str(r.protocol),
    };

    return {
      time: r.time,
      category,
      operation: str(r.operationName) ?? 'unknown',
      result: resultOf(status, r.statusText),
      status_code: status !== null ? String(status) : str(r.statusCode),
      principal_id: principalId,
      principal_name: upn,
      app_id: appId,
      principal_type: principalType,
      auth_type: normalizeAuthType(authDetail),
      caller_ip: stripPort(r.callerIpAddress),
      resource_id: splitResourceId(r.resourceId).resource_id,
      target: objectKey,
      role_definition_id: null,
      bytes_out: num(pick(props, 'responseBodySize')),
      bytes_in: num(pick(props, 'requestBodySize')),
      user_agent: str(pick(props, 'userAgentHeader')),
      tls_version: str(pick(props, 'tlsVersion')),
      correlation_id: str(r.correlationId),
      details,
    };
  },
});
