/**
 * What every alert sink is (DESIGN.md §1: alerts table → outbox → sinks). The delivery loop
 * (delivery.ts) reads each sink's pending alerts from the outbox, hands them over in batches,
 * and records the outcome; a sink only sends.
 *
 * At least once: a batch that throws is sent again later, whole, after a backoff — so a sink
 * must make repeats harmless downstream (the alert's `alert_id` is stable: Sentinel rows carry it
 * as `AlertId`, webhooks as the idempotency key, Kafka as the message key).
 */
import type { TokenCredential } from '@azure/core-auth';
import { z } from 'zod';
import { AuditlakeError } from '../errors.js';
import type { AlertRow, Severity } from '../detectors/alert.js';
import type { Logger } from '../service/log.js';

export { retryAfterMs } from '../retry-after.js';

export interface Sink {
  /** The configured name (`sinks.<kind>[i].name`, default `<kind>` or `<kind>-<i>`): the outbox's key. */
  readonly name: string;
  /** Alerts per send at most (the loop never hands over more). */
  readonly maxBatch: number;
  /** Whether this sink wants the alert at all (e.g. a severity filter); others are marked skipped. */
  accepts(alert: AlertRow): boolean;
  /** Sends every alert or throws a SinkError; `signal` aborts at the delivery timeout or on shutdown. */
  send(alerts: readonly AlertRow[], signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/** Keys every sink's config has: spread into each sink's own zod object. */
export const sinkCommon = {
  /** Names the sink in the outbox and in `alerts --pending` / `alerts redeliver --sink`; default `<kind>` (`<kind>-<i>` beyond the first). */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').optional(),
  /** Deliver only alerts at least this severe (the others are marked skipped for this sink). */
  minSeverity: z.enum(['informational', 'low', 'medium', 'high']).optional(),
};

/** What a sink is built with, besides its own config. */
export interface SinkContext {
  name: string;
  credential: () => TokenCredential;
  log: Logger;
}

/** A failed send. `retryAfterMs` (from a 429/503 `Retry-After`) overrides the backoff. */
export class SinkError extends AuditlakeError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    super('sink_unavailable', message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs;
  }
}

const RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3 };

/** `minSeverity: high` → only high alerts. */
export function atLeast(minSeverity: Severity | undefined): (alert: AlertRow) => boolean {
  if (!minSeverity) return () => true;
  return (alert) => RANK[alert.severity] >= RANK[minSeverity];
}


/** An alert as JSON outside the database (every JSON sink sends this): ISO-8601 UTC times, evidence as an object. */
export type AlertJson = Omit<AlertRow, 'time_generated' | 'first_event_time' | 'last_event_time'> & {
  time_generated: string;
  first_event_time: string;
  last_event_time: string;
};

export function alertJson(alert: AlertRow): AlertJson {
  return {
    ...alert,
    time_generated: new Date(alert.time_generated).toISOString(),
    first_event_time: new Date(alert.first_event_time).toISOString(),
    last_event_time: new Date(alert.last_event_time).toISOString(),
  };
}
