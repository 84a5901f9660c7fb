/** Shared by the schema tests: fixture records as files hold them, and a record's normalized fields. */
import { readFileSync } from 'node:fs';
import type { EventFields } from './event.js';
import { normalizeRecord } from './normalize.js';

export type Rec = Record<string, unknown>;

/** `fixtures/<folder>/<name>`: an Event Hubs body, an array of records, or NDJSON of either. */
export function fixtureRecords(folder: string, name: string): Rec[] {
  const text = readFileSync(new URL(`../../fixtures/${folder}/${name}`, import.meta.url), 'utf8');
  const units = name.endsWith('.ndjson') ? text.split('\n').filter((l) => l.trim() !== '') : [text];
  return units.flatMap((u) => {
    const json = JSON.parse(u) as Rec | Rec[];
    return Array.isArray(json) ? json : Array.isArray(json.records) ? (json.records as Rec[]) : [json];
  });
}

/** The fields a record normalizes to; a rejection fails the test with its reason. */
export function fieldsOf(record: unknown): EventFields {
  const n = normalizeRecord(record);
  if (!n.ok) throw new Error(n.reason);
  return n.fields;
}
