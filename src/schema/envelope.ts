/**
 * What every Azure resource-log record shares, whatever its category: the envelope fields the
 * families' schemas start from, and the small object readers they all need.
 */
import { z } from 'zod';
import { eventTime } from './common.js';
import { pick } from './fields.js';

export type Obj = Record<string, unknown>;

/** The value when it is a JSON object, else null. */
export function asObject(v: unknown): Obj | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

/** The value when it is a JSON object, else an empty one: a malformed `properties` must not cost the record. */
export function objectOrEmpty(v: unknown): Obj {
  return asObject(v) ?? {};
}

/**
 * The envelope of a resource-log record. Only `time` is required (a record without a usable
 * time cannot be placed); the rest are read tolerantly by each family, so extra or odd-typed
 * fields are Azure's business, never a reason to reject.
 */
export const envelopeFields = {
  time: eventTime,
  category: z.unknown().optional(),
  operationName: z.unknown().optional(),
  resourceId: z.unknown().optional(),
  resultType: z.unknown().optional(),
  resultSignature: z.unknown().optional(),
  durationMs: z.unknown().optional(),
  callerIpAddress: z.unknown().optional(),
  correlationId: z.unknown().optional(),
  identity: z.unknown().optional(),
  properties: z.unknown().optional(),
};

/**
 * For families whose forwarders sometimes drop the envelope's `time`: use a property that
 * carries the same instant (`activityDateTime`, `createdDateTime`) before validating.
 */
export function withTimeFrom(propertyKey: string): (v: unknown) => unknown {
  return (v) => {
    const o = asObject(v);
    if (o && o.time === undefined) {
      const t = pick(o.properties, propertyKey);
      if (t !== undefined) return { ...o, time: t };
    }
    return v;
  };
}
