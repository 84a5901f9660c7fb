/**
 * Message bodies (Event Hubs events, Kafka values) → decode units. A body that is not UTF-8
 * text cannot be a diagnostic-settings record: it becomes a reject here, redacted and capped,
 * rather than reaching the decoder as mojibake.
 */
import { isUtf8 } from 'node:buffer';
import type { Unit } from '../decode/unit.js';
import { redactSecrets } from '../schema/redact.js';
import { rejectRow } from '../schema/reject.js';
import type { RejectRow } from '../schema/event.js';

export interface Message {
  /**
   * Bytes (an AMQP data section, a Kafka value) or text. Event Hubs hands over anything else an
   * AMQP value or sequence section held (an object, an array, a number) as it is: unknown here.
   */
  body: unknown;
  /** Where it sits in its partition, for rejects: `sequence 42`, `offset 17`. */
  where: string;
}

/**
 * Some producers (.NET's `Encoding.UTF8`, PowerShell, Windows editors) write a UTF-8 byte order
 * mark before the JSON, which JSON.parse refuses: it is dropped, as files.ts drops it at the
 * start of a file. Only at the start of a body; anywhere else it is content.
 */
const BOM = '\uFEFF';
const hasBom = (b: Buffer) => b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;

export function unitsFromMessages(messages: readonly Message[], source: string): { units: Unit[]; rejects: RejectRow[] } {
  const units: Unit[] = [];
  const rejects: RejectRow[] = [];
  for (const { body, where } of messages) {
    if (typeof body === 'string') {
      const text = body.startsWith(BOM) ? body.slice(1) : body;
      if (text.length === 0) rejects.push(rejectRow(source, `${where}: empty message body`, ''));
      else units.push({ text, source, where });
      continue;
    }
    if (body !== null && body !== undefined && !(body instanceof Uint8Array)) {
      // Refused here rather than thrown: a throw stops the partition's pump, which re-reads the
      // same batch from its checkpoint and throws again, for ever.
      rejects.push(rejectRow(source, `${where}: not a byte or text body (an AMQP value or sequence section; diagnostic settings send data sections)`, redactSecrets(textOf(body))));
      continue;
    }
    const whole = body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : Buffer.alloc(0);
    const bytes = hasBom(whole) ? whole.subarray(3) : whole;
    if (bytes.length === 0) {
      rejects.push(rejectRow(source, `${where}: empty message body`, ''));
      continue;
    }
    if (!isUtf8(bytes)) {
      rejects.push(rejectRow(source, `${where}: not valid UTF-8`, redactSecrets(bytes.toString('utf8'))));
      continue;
    }
    units.push({ text: bytes.toString('utf8'), source, where });
  }
  return { units, rejects };
}

/** What a non-byte body held, as text for its reject. */
function textOf(body: unknown): string {
  try {
    return JSON.stringify(body, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(body);
  } catch {
    return String(body);
  }
}
