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

export function toEventRow(fields: EventFields, compactText: string, source: string): EventRow {
  const parts = splitResourceId(fields.resource_id);
  return {
    ...fields,
    ...parts,
    event_id: eventId(compactText),
    ingested_at: 0, // stamped by the store when the batch commits
    source,
    raw: compactText,
  };
}
