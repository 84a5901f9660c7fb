/**
 * The event identity is computed twice: in TypeScript for every record stored (row.ts), and in
 * SQL by migration 003 for rows stored before it. These must agree, or an old database would
 * store again what it already holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsDir } from '../paths.js';
import type { Store } from '../store/duckdb.js';
import { normalizeRecord } from './normalize.js';
import { eventId, eventIdentity, toEventRow } from './row.js';
import { storeWithFixtures } from './test-support.js';

const MIGRATION = readFileSync(join(migrationsDir, '003_event_identity.sql'), 'utf8');

const ids = async (store: Store) => (await store.query('SELECT event_id FROM events ORDER BY event_id')).rows.map((r) => String(r[0]));

describe('event identity', () => {
  it('is the same in TypeScript and in migration 003', async () => {
    const store = await storeWithFixtures();
    const before = await ids(store);
    expect(before.length).toBeGreaterThan(100);
    await store.execute(MIGRATION);
    expect(await ids(store)).toEqual(before);
    store.close();
  });

  it('renames the ids of a database stored before it, in events and in alert evidence, and folds repeats', async () => {
    const store = await storeWithFixtures();
    const expected = await ids(store);
    // What a database from before looked like: other ids, an alert citing them, and a record
    // stored twice under two text hashes (the same record in two shapes).
    await store.execute("UPDATE events SET event_id = 'old-' || event_id");
    await store.execute("INSERT INTO events SELECT * REPLACE ('old-second-copy' AS event_id) FROM events ORDER BY event_id LIMIT 1");
    const cited = expected.slice(0, 3).map((id) => `old-${id}`);
    await store.execute(`INSERT INTO alerts VALUES ('a1', 'keyvault.test', 't', 'low', [], [], now(), now(), now(), NULL, NULL, NULL, NULL, NULL, 3,
      '{"event_ids": ${JSON.stringify([...cited, 'not-an-event'])}, "count": 3}', 'd', 'r')`);
    await store.execute(MIGRATION);
    expect(await ids(store)).toEqual(expected);
    const evidence = JSON.parse(String((await store.query("SELECT evidence FROM alerts WHERE alert_id = 'a1'")).rows[0]![0]));
    expect(evidence).toEqual({ event_ids: [...expected.slice(0, 3), 'not-an-event'], count: 3 });
    store.close();
  });

  it('uses the native id of Entra records, also when properties arrive as a string', () => {
    const record = JSON.parse(readFileSync('fixtures/signin/signins.json', 'utf8')) as Record<string, unknown> | { records: Record<string, unknown>[] };
    const first = ('records' in record ? (record.records as Record<string, unknown>[]) : [record])[0] as Record<string, unknown>;
    const a = normalizeRecord(first);
    const b = normalizeRecord({ ...first, properties: JSON.stringify(first.properties) });
    if (!a.ok || !b.ok) throw new Error('fixture rejected');
    expect(a.nativeId).toBeTruthy();
    expect(b.nativeId).toBe(a.nativeId);
    expect(toEventRow(a.fields, '', 's', a.nativeId).event_id).toBe(toEventRow(b.fields, '', 's', b.nativeId).event_id);
    // Without its native id, two sign-ins of one user in the same millisecond would be one event.
    expect(eventId(eventIdentity(a.fields, 'x'), '')).not.toBe(eventId(eventIdentity(a.fields, 'y'), ''));
  });
});
