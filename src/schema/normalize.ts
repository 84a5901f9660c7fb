/**
 * One record → one `events` row's fields, or the reason it was refused.
 * Parse at the edge, trust inside: exactly one `safeParse` per record, and failures are
 * returned (they become `rejects` rows), never thrown.
 */
import type { z } from 'zod';
import type { EventFields } from './event.js';
import type { Family } from './family.js';
import { families, genericFamily } from './families.js';
import { parseLooseJson } from './fields.js';
import { nameInReason } from './printable.js';

export type Normalized = { ok: true; fields: EventFields; nativeId: string | null } | { ok: false; reason: string };

const byCategory = new Map<string, Family>();
for (const f of families) for (const c of f.categories) byCategory.set(c.toLowerCase(), f as Family);

/** `category` as a string, whether Azure sent `"AuditEvent"` or the REST `{value, localizedValue}`. */
export function categoryOf(record: Record<string, unknown>): string | null {
  const c = record.category;
  if (typeof c === 'string') return c;
  if (c !== null && typeof c === 'object' && typeof (c as { value?: unknown }).value === 'string') {
    return (c as { value: string }).value;
  }
  return null;
}

/** The family that reads this record: by category, else by shape, else the generic one. */
export function familyOf(record: Record<string, unknown>): Family {
  const category = categoryOf(record);
  const named = category === null ? undefined : byCategory.get(category.toLowerCase());
  if (named) return named;
  for (const f of families) if (f.detect?.(record)) return f as Family;
  return genericFamily as Family;
}

/**
 * Repairs quirks that every family shares before validation: `properties` delivered as a
 * string holding (sometimes single-quoted) JSON. Returns a shallow copy when it changes anything.
 */
export function prepareRecord(record: Record<string, unknown>): Record<string, unknown> {
  const props = record.properties;
  if (typeof props === 'string') {
    const parsed = parseLooseJson(props);
    if (parsed !== null && typeof parsed === 'object') return { ...record, properties: parsed };
  }
  return record;
}

export function normalizeRecord(input: unknown): Normalized {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, reason: `record: expected a JSON object, got ${Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input}` };
  }
  const record = prepareRecord(input as Record<string, unknown>);
  const family = familyOf(record);
  const parsed = family.schema.safeParse(record);
  if (!parsed.success) return { ok: false, reason: describeIssue(family, record, parsed.error) };
  return { ok: true, fields: family.toEvent(parsed.data, categoryOf(record) ?? family.name), nativeId: nativeIdOf(record) };
}

/**
 * `properties.id`, the per-record id Entra audit and sign-in records carry (part of the event
 * identity, see row.ts; other categories ignore it). Read after `prepareRecord`, so a
 * `properties` delivered as a string still yields it.
 */
function nativeIdOf(record: Record<string, unknown>): string | null {
  const props = record.properties;
  if (props === null || typeof props !== 'object') return null;
  const id = (props as Record<string, unknown>).id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** `invalid AuditEvent record: time: expected ...` — names the category and the field. */
function describeIssue(family: Family, record: Record<string, unknown>, error: z.ZodError): string {
  const issue = error.issues[0];
  const what = nameInReason(categoryOf(record) ?? family.name);
  if (!issue) return `invalid ${what} record`;
  const path = issue.path.length > 0 ? issue.path.join('.') : '(record)';
  return `invalid ${what} record: ${path}: ${issue.message}`;
}
