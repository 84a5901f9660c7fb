/**
 * Rows for `rejects`, from every source (files, Event Hubs and Kafka bodies, the decoder,
 * backfill rows), built alike: the reason is read in a terminal and grouped by its text, and the
 * raw input may be any size.
 */
import type { RejectRow } from './event.js';
import { printable } from './printable.js';
import { redactSecrets } from './redact.js';

/** How much of refused input `rejects.raw` keeps: enough to see what it was, bounded whatever its size. */
export const MAX_REJECT_TEXT = 64 * 1024;

/**
 * The reason is redacted and made printable here: it may quote input (V8's JSON.parse quotes the
 * characters around an error). `redactedRaw` comes redacted (a secret is found only whole, so
 * redaction goes before the cut) and is cut here, never between the halves of a surrogate pair,
 * and marked so.
 */
export function rejectRow(source: string, reason: string, redactedRaw: string): RejectRow {
  return { received_at: Date.now(), source, reason: printable(redactSecrets(reason)), raw: bounded(redactedRaw) };
}

function bounded(text: string): string {
  if (text.length <= MAX_REJECT_TEXT) return text;
  const end = /[\uD800-\uDBFF]/.test(text[MAX_REJECT_TEXT - 1]!) ? MAX_REJECT_TEXT - 1 : MAX_REJECT_TEXT;
  return `${text.slice(0, end)}…[truncated from ${text.length} chars]`;
}
