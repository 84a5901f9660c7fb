/** Completes a family's fields into the stored `events` row: id, resource parts, source, raw. */
import { hash } from 'node:crypto';
import type { Details, EventFields, EventRow } from './event.js';
import { ACTIVITY_CATEGORIES } from './activity.js';
import { splitResourceId } from './fields.js';

/**
 * Categories whose records carry a native, per-record id (`properties.id`): Entra audit logs
 * and every sign-in category. Lower-case. Migration 003 lists the same names.
 */
export const NATIVE_ID_CATEGORIES: ReadonlySet<string> = new Set([
  'auditlogs', 'signinlogs', 'noninteractiveusersigninlogs', 'serviceprincipalsigninlogs', 'managedidentitysigninlogs',
]);

/**
 * Categories whose identity is built from fields: those `auditlake backfill` can also bring in
 * (Key Vault, Storage, Activity, Entra). Lower-case. Records of other categories (Azure ML, and
 * anything the generic family keeps) have no second path and often no field that tells two of
 * them apart (two compute nodes allocated in the same millisecond): their id stays the hash of
 * their compact text. Migration 003 lists the same names.
 */
export const FIELD_IDENTITY_CATEGORIES: ReadonlySet<string> = new Set([
  'auditevent', 'storageread', 'storagewrite', 'storagedelete',
  ...ACTIVITY_CATEGORIES.map((c) => c.toLowerCase()),
  ...NATIVE_ID_CATEGORIES,
]);

/** Joins the key's parts: NULL and '' must differ, and no part can contain the separator's meaning. */
const SEPARATOR = '\x1f';
const NULL_PART = '\x1e';

/**
 * The event identity (`event_id`): what one Azure record is, however it reached us. The same
 * record arrives as an Event Hubs body, a file export, or a Log Analytics row rebuilt by
 * `auditlake backfill`; their texts differ (key order, column flattening, casing of some
 * values), so the id is computed from normalized fields both paths produce identically:
 *
 *   v1 ␟ lower(category) ␟ event time in epoch ms ␟ then either
 *     - the record's native id (`properties.id` of Entra audit and sign-in records), or
 *     - lower(operation) ␟ result ␟ principal_id ␟ caller_ip ␟ resource_id ␟ target ␟ lower(correlation_id)
 *
 * (␟ = U+001F, a NULL part = U+001E), hashed with SHA-256 and cut to 128 bits (32 hex digits).
 * For categories outside FIELD_IDENTITY_CATEGORIES the identity is null and the id is the hash
 * of the record's compact text, as it always was.
 * Two records that agree on all of these are one event: a redelivery, a replayed file, or the
 * backfilled copy of a streamed record. Fields that only one path carries (user agent, bytes,
 * status text, display names) are deliberately left out.
 *
 * Migration 003 computes the same in SQL for rows stored before; keep the two in step
 * (src/schema/row.test.ts checks they agree).
 */
export function eventIdentity(f: Pick<EventFields, 'category' | 'time' | 'operation' | 'result' | 'principal_id' | 'caller_ip' | 'resource_id' | 'target' | 'correlation_id'>, nativeId: string | null): string | null {
  const category = f.category.toLowerCase();
  if (!FIELD_IDENTITY_CATEGORIES.has(category)) return null;
  const head = `v1${SEPARATOR}${category}${SEPARATOR}${Math.round(f.time)}${SEPARATOR}`;
  if (nativeId !== null && NATIVE_ID_CATEGORIES.has(category)) return head + nativeId;
  return head + [
    f.operation.toLowerCase(), f.result, f.principal_id, f.caller_ip, splitResourceId(f.resource_id).resource_id, f.target,
    f.correlation_id?.toLowerCase() ?? null,
  ].map((p) => p ?? NULL_PART).join(SEPARATOR);
}

/** 128 bits of SHA-256 over the identity, or over the compact text when the category has none. */
export function eventId(identity: string | null, compactText: string): string {
  return hash('sha256', identity ?? compactText, 'hex').slice(0, 32);
}

/**
 * Spelled out field by field (no spread): one object shape for every row keeps this hot path fast.
 *
 * Texts lose their control characters here (each becomes a space), `details`' included, so the
 * row the detectors see, the alerts they raise and the stored row agree (an alert's principal is
 * then found among the events by its name), and no column holds a tab, a newline or an escape
 * sequence from the log. The id is computed first, from the fields as logged; `raw` keeps the
 * record as it came.
 */
export function toEventRow(f: EventFields, compactText: string, source: string, nativeId: string | null = null): EventRow {
  const r = splitResourceId(f.resource_id);
  const row: EventRow = {
    event_id: eventId(eventIdentity(f, nativeId), compactText),
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
  if (mayHoldControl(compactText)) withoutControls(row);
  return row;
}

/**
 * Whether the record's text may give a field a control character. JSON text holds one only
 * escaped (`\n`, `\u001b`; in a JSON document inside a string, `\\u001b`), and the fields are
 * read from this text, so only a backslash followed by such an escape can: a look at each
 * backslash costs ~0.5 µs a record here, testing every field ~3 µs (bench/RESULTS.md notes).
 * (A path's `\\new` also says yes: the fields are then read, and none changes.)
 */
function mayHoldControl(text: string): boolean {
  for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', i + 1)) {
    const c = text.charCodeAt(i + 1);
    if (c === 0x6e || c === 0x74 || c === 0x72 || c === 0x62 || c === 0x66) return true; // n t r b f
    if (c === 0x75 && text.charCodeAt(i + 2) === 0x30 && text.charCodeAt(i + 3) === 0x30) {
      const d = text.charCodeAt(i + 4);
      if (d === 0x30 || d === 0x31) return true; // u0000-u001f
    }
  }
  return false;
}

const CONTROL = /[\x00-\x1f]/;
const CONTROLS = /[\x00-\x1f]/g;

/** Texts the log wrote (not `source`, which is ours, nor `raw`). */
const LOGGED_TEXTS = ['category', 'operation', 'status_code', 'principal_id', 'principal_name', 'app_id', 'caller_ip', 'resource_id',
  'subscription_id', 'resource_group', 'resource_type', 'resource_name', 'target', 'role_definition_id', 'user_agent', 'tls_version',
  'correlation_id'] as const satisfies ReadonlyArray<keyof EventRow>;

/** The text with each C0 control character (tab, newline, ESC, …) as a space. */
export function withoutControlChars(s: string): string {
  return CONTROL.test(s) ? s.replace(CONTROLS, ' ') : s;
}

function withoutControls(row: EventRow): void {
  const texts = row as unknown as Record<(typeof LOGGED_TEXTS)[number], string | null>;
  for (const k of LOGGED_TEXTS) {
    const v = texts[k];
    if (v !== null) texts[k] = withoutControlChars(v);
  }
  let details: Details | undefined;
  for (const k in row.details) {
    const v = row.details[k];
    if (typeof v === 'string' && CONTROL.test(v)) (details ??= { ...row.details })[k] = withoutControlChars(v);
  }
  if (details) row.details = details;
}
