/**
 * Migration 007's events_between(since, until) over the live table: an older file read-only
 * says how to upgrade, and a writable open adds it. (Its rows over the live database and a
 * Parquet export are compared in test/export.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { storeWithFixtures } from '../schema/test-support.js';
import { Store } from './duckdb.js';

describe('events_between', () => {
  it('is missing from a file an older version wrote: a read-only query says how to upgrade, and a writable open adds it', async () => {
    const store = await storeWithFixtures();
    const window = "SELECT count(*) FROM events_between('1970-01-01', '2999-01-01')";
    const all = Number((await store.query('SELECT count(*) FROM events')).rows[0]![0]);
    expect(Number((await store.query(window)).rows[0]![0])).toBe(all);
    await store.execute("DROP MACRO TABLE events_between; DELETE FROM schema_migrations WHERE version = '007_events_between.sql'");
    store.close();
    const old = await Store.open(store.path, { readOnly: true });
    await expect(old.query(window)).rejects.toThrow(/events_between.*\n.*lacks migration 007_events_between\.sql: open it once with this version writable/s);
    old.close();
    const upgraded = await Store.open(store.path);
    expect(Number((await upgraded.query(window)).rows[0]![0])).toBe(all);
    upgraded.close();
  });
});
