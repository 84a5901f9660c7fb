/** Completes a family's fields into the stored `events` row: id, resource parts, source, raw. */
import { hash } from 'node:crypto';
import type { EventFields, EventRow } from './event.js';
import { splitResourceId } from './fields.js';

/**
 * Deterministic from the record's content, so a redelivered record (Event Hubs after a
 * rebalance, a file replayed twice) is stored once. 128 bits of SHA-256 over the compact text.
 */
export function eventId(compactText: string): string {
  return hash('sha256', compactText, 'hex').slice(0, 32);
}

/** Spelled out field by field (no spread): one object shape for every row keeps this hot path fast. */
export function toEventRow(f: EventFields, compactText: string, source: string): EventRow {
  const r = splitResourceId(f.resource_id);
  return {
    event_id: eventId(compactText),
    time: f.time,
    ingested_at: 0, // stamped by the store when the batch commits
    source,
    category: f.category,
    operation: f.operation,
    result: f.result,
    status_code: f.status_code,
    principal_id: f.principal_id,
    principal_name: f.principal_name,
    app_id: f.app_id,
    principal_type: f.principal_type,
    auth_type: f.auth_type,
    caller_ip: f.caller_ip,
    resource_id: r.resource_id,
    subscription_id: r.subscription_id,
    resource_group: r.resource_group,
    resource_type: r.resource_type,
    resource_name: r.resource_name,
    target: f.target,
    role_definition_id: f.role_definition_id,
    bytes_out: f.bytes_out,
    bytes_in: f.bytes_in,
    user_agent: f.user_agent,
    tls_version: f.tls_version,
    correlation_id: f.correlation_id,
    details: f.details,
    raw: compactText,
  };
}
