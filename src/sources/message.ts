/**
 * Message bodies (Event Hubs events, Kafka values) → decode units. A body that is not UTF-8
 * text cannot be a diagnostic-settings record: it becomes a reject here, redacted and capped,
 * rather than reaching the decoder as mojibake.
 */
import { isUtf8 } from 'node:buffer';
import type { Unit } from '../decode/unit.js';
import { redactSecrets } from '../schema/redact.js';
import type { RejectRow } from '../schema/event.js';

export interface Message {
  body: Uint8Array | string | null | undefined;
  /** Where it sits in its partition, for rejects: `sequence 42`, `offset 17`. */
  where: string;
}

const MAX_REJECT_TEXT = 64 * 1024;

export function unitsFromMessages(messages: readonly Message[], source: string): { units: Unit[]; rejects: RejectRow[] } {
  const units: Unit[] = [];
  const rejects: RejectRow[] = [];
  for (const { body, where } of messages) {
    if (typeof body === 'string') {
      units.push({ text: body, source, where });
      continue;
    }
    if (!body || body.length === 0) {
      rejects.push({ received_at: Date.now(), source, reason: `${where}: empty message body`, raw: '' });
      continue;
    }
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (!isUtf8(bytes)) {
      const raw = redactSecrets(bytes.subarray(0, MAX_REJECT_TEXT).toString('utf8'));
      rejects.push({ received_at: Date.now(), source, reason: `${where}: not valid UTF-8`, raw });
      continue;
    }
    units.push({ text: bytes.toString('utf8'), source, where });
  }
  return { units, rejects };
}
