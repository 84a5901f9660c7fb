/**
 * The fact columns are filled twice: from each row's details as a batch is inserted (stage.ts),
 * and by migration 005 for rows stored before it. Both must give what `details` says, or a
 * saved query would answer differently on an old and a new database.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrationsDir } from '../paths.js';
import { Store } from '../store/duckdb.js';
import { EVENT_COLUMNS } from './event.js';
import { FACT_COLUMNS, factFromDetailsSql, SETTINGS_CHANGE_COLUMN, SETTINGS_FACTS, settingsChangeSql } from './facts.js';
import { storeWithFixtures } from './test-support.js';

const MIGRATION = readFileSync(join(migrationsDir, '005_fact_columns.sql'), 'utf8');
const SETTINGS_MIGRATION = readFileSync(join(migrationsDir, '006_settings_change.sql'), 'utf8');

const number = async (store: Store, sql: string) => Number((await store.query(sql)).rows[0]![0]);

/** Per fact: rows where the column disagrees with details, and rows where it is set. */
async function agreement(store: Store): Promise<Record<string, { differ: number; set: number }>> {
  const out: Record<string, { differ: number; set: number }> = {};
  for (const [name, type] of FACT_COLUMNS) {
    out[name] = {
      differ: await number(store, `SELECT count(*) FROM events WHERE ${name} IS DISTINCT FROM ${factFromDetailsSql(name, type)}`),
      set: await number(store, `SELECT count(${name}) FROM events`),
    };
  }
  return out;
}

describe('fact columns', () => {
  it('follow the row columns in the events table, in FACT_COLUMNS order and types, then settings_change', async () => {
    const store = await storeWithFixtures();
    const described = (await store.query('DESCRIBE events')).rows.map((r) => [String(r[0]), String(r[1])]);
    expect(described.map(([n]) => n)).toEqual([...EVENT_COLUMNS.map(([n]) => n), ...FACT_COLUMNS.map(([n]) => n), SETTINGS_CHANGE_COLUMN]);
    expect(described.slice(EVENT_COLUMNS.length).map(([, t]) => t)).toEqual([...FACT_COLUMNS.map(([, t]) => t), 'BOOLEAN']);
    store.close();
  });

  it('settings_change is true where a settings fact says a change and NULL elsewhere, on insert and after migration 006', async () => {
    const store = await storeWithFixtures();
    // Spelled out, not through settingsChangeSql: the test the migration and the insert must both make.
    const says = SETTINGS_FACTS.map((n) => (n.startsWith('is_') ? `${n} IS TRUE` : `${n} IS NOT NULL`)).join(' OR ');
    const check = async () => ({
      differ: await number(store, `SELECT count(*) FROM events WHERE settings_change IS DISTINCT FROM (CASE WHEN ${says} THEN true END)`),
      set: await number(store, 'SELECT count(settings_change) FROM events'),
      unset: await number(store, 'SELECT count(*) FROM events WHERE settings_change IS NULL'),
    });
    const inserted = await check();
    expect(inserted.differ).toBe(0);
    expect(inserted.set).toBeGreaterThan(3);
    expect(inserted.unset).toBeGreaterThan(inserted.set);
    // The check above covers every fact: each says a change in some fixture record.
    for (const n of SETTINGS_FACTS) {
      expect(await number(store, `SELECT count(*) FROM events WHERE ${settingsChangeSql((f) => (f === n ? n : 'NULL'))}`), n).toBeGreaterThan(0);
    }
    // The table as it was before 006, then the migration.
    await store.execute('ALTER TABLE events DROP COLUMN settings_change');
    await store.execute(SETTINGS_MIGRATION);
    expect(await check()).toEqual(inserted);
    store.close();
  });

  it('hold what details holds, for every stored fixture record, and every fact occurs in them', async () => {
    const store = await storeWithFixtures();
    const facts = await agreement(store);
    for (const [name, { differ, set }] of Object.entries(facts)) {
      expect(differ, `${name} disagrees with details`).toBe(0);
      expect(set, `${name} is set in no fixture record`).toBeGreaterThan(0);
    }
    store.close();
  });

  it('are filled by migration 005 for rows stored before it, keeping every row and its columns', async () => {
    const store = await storeWithFixtures();
    const rowColumns = EVENT_COLUMNS.map(([n]) => n).join(', ');
    const fingerprint = `SELECT count(*), sum(hash(${rowColumns})) FROM events`;
    const before = (await store.query(fingerprint)).rows[0];
    // The table as it was before 005: the row columns only.
    await store.execute(`CREATE TABLE events_before AS SELECT ${rowColumns} FROM events; DROP TABLE events; ALTER TABLE events_before RENAME TO events`);
    await store.execute(MIGRATION);
    expect((await store.query(fingerprint)).rows[0]).toEqual(before);
    for (const [name, { differ, set }] of Object.entries(await agreement(store))) {
      expect(differ, `${name} disagrees with details`).toBe(0);
      expect(set, `${name} was not filled`).toBeGreaterThan(0);
    }
    // The rebuilt table keeps 001's constraints: a row without an id is still refused.
    await expect(store.execute("INSERT INTO events (event_id, time, ingested_at, source, category, operation, result, principal_type) VALUES (NULL, now(), now(), 's', 'c', 'o', 'success', 'user')"))
      .rejects.toThrow(/NOT NULL/i);
    store.close();
  });

  it('are missing from a file an older version wrote: a read-only query says how to upgrade, and a writable open upgrades it', async () => {
    const store = await storeWithFixtures();
    const rowColumns = EVENT_COLUMNS.map(([n]) => n).join(', ');
    await store.execute(`CREATE TABLE events_before AS SELECT ${rowColumns} FROM events; DROP TABLE events; ALTER TABLE events_before RENAME TO events;
      DELETE FROM schema_migrations WHERE version = '005_fact_columns.sql'`);
    store.close();
    const old = await Store.open(store.path, { readOnly: true });
    await expect(old.query("SELECT count(*) FROM events WHERE role_name = 'Owner'"))
      .rejects.toThrow(/role_name.*\n.*lacks migration 005_fact_columns\.sql: open it once with this version writable/s);
    old.close();
    const upgraded = await Store.open(store.path);
    expect(await number(upgraded, 'SELECT count(role_name) FROM events')).toBeGreaterThan(0);
    upgraded.close();
  });
});
