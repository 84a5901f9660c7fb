/** What the governance and encryption detectors share: categories, the setting, write facts. */
import type { EventRow } from '../../schema/event.js';
import { activityOperation } from '../keys.js';

export const ACTIVITY_SETTING = 'The subscription\'s Activity log (Administrative category) exported by a diagnostic setting to the Event Hub auditlake reads.';

/**
 * A completed ARM write or delete. Start records carry the request but may still fail; the
 * Success record (with the request or the resulting state) is the change.
 */
export function isCompleted(e: EventRow): boolean {
  return e.result === 'success';
}

export function text(e: EventRow, key: string): string | null {
  const v = e.details[key];
  return typeof v === 'string' ? v : null;
}

export function opIs(e: EventRow, ...ops: string[]): boolean {
  const op = activityOperation(e);
  return ops.includes(op);
}
