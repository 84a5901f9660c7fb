/**
 * Records of a category no family reads yet are still stored (issue: nothing dropped): the
 * fields every Azure resource log shares are mapped, and `raw` keeps the rest.
 */
import { z } from 'zod';
import { eventTime, looseObject, principalFromClaims } from './common.js';
import { defineFamily } from './family.js';
import { normalizeResult, stripPort, str } from './fields.js';

const schema = z.looseObject({
  time: eventTime,
  category: z.unknown().optional(),
  operationName: z.unknown().optional(),
  resourceId: z.string().optional(),
  resultType: z.unknown().optional(),
  resultSignature: z.unknown().optional(),
  callerIpAddress: z.string().optional(),
  correlationId: z.string().optional(),
  identity: z.unknown().optional(),
  properties: looseObject.optional(),
});

function text(v: unknown): string | null {
  if (v !== null && typeof v === 'object') return str((v as { value?: unknown }).value);
  return str(v);
}

export const genericFamily = defineFamily({
  name: 'generic',
  categories: [],
  schema,
  toEvent(r, category) {
    const identity = r.identity;
    const claims = identity !== null && typeof identity === 'object'
      ? ((identity as Record<string, unknown>).claim ?? (identity as Record<string, unknown>).claims)
      : undefined;
    return {
      time: r.time,
      category,
      operation: text(r.operationName) ?? 'unknown',
      result: normalizeResult(text(r.resultType)),
      status_code: text(r.resultSignature),
      ...principalFromClaims(claims),
      auth_type: null,
      caller_ip: stripPort(r.callerIpAddress),
      resource_id: r.resourceId ?? null,
      target: null,
      role_definition_id: null,
      bytes_out: null,
      bytes_in: null,
      user_agent: null,
      tls_version: null,
      correlation_id: str(r.correlationId),
      details: {},
    };
  },
});
