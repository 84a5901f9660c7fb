/** Shared by the schema tests: fixture records as files hold them, a record's normalized fields, a store holding them all. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { DecodePool } from '../decode/pool.js';
import { runPipeline } from '../pipeline.js';
import { readFiles } from '../sources/files.js';
import { Store } from '../store/duckdb.js';
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

const FIXTURE_FOLDERS = ['fixtures/keyvault', 'fixtures/storage', 'fixtures/activity', 'fixtures/entra', 'fixtures/signin', 'fixtures/aml', 'fixtures/demo'];

/** In a test: a new database holding every fixture record, stored through the pipeline, deleted when the test ends. */
export async function storeWithFixtures(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-schema-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(join(dir, 'fixtures.duckdb'));
  await runPipeline(readFiles(FIXTURE_FOLDERS), store, { pool: new DecodePool({ maxRecordBytes: 1 << 20 }, 0) });
  return store;
}
