/**
 * Records of a category no family reads yet are still stored (issue: nothing dropped): the
 * fields every Azure resource log shares are mapped, and `raw` keeps the rest.
 */
import { z } from 'zod';
import { principalFromClaims } from './common.js';
import { asObject, envelopeFields } from './envelope.js';
import { defineFamily } from './family.js';
import { normalizeResult, stripPort, str } from './fields.js';

const schema = z.looseObject(envelopeFields);

/** A string, or the `.value` of a `{value, localizedValue}` object. */
function text(v: unknown): string | null {
  return str(asObject(v)?.value ?? v);
}

export const genericFamily = defineFamily({
  name: 'generic',
  categories: [],
  schema,
  toEvent(r, category) {
    const identity = asObject(r.identity);
    return {
      time: r.time,
      category,
      operation: text(r.operationName) ?? 'unknown',
      result: normalizeResult(text(r.resultType)),
      status_code: text(r.resultSignature),
      ...principalFromClaims(identity?.claim ?? identity?.claims),
      auth_type: null,
      caller_ip: stripPort(r.callerIpAddress),
      resource_id: str(r.resourceId),
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
