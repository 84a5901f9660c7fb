/**
 * queries/failed-then-succeeded.sql pairs by one key per principal, the object id or else the
 * lower-cased name, and splits the successes on whether they carry an id: records with a name
 * only must pair as they did, including a name that is another record's object id. (The query
 * over the replayed fixtures is in test/queries.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bindParams, findSavedQuery } from '../src/queries.js';
import { Store } from '../src/store/duckdb.js';

const dir = mkdtempSync(join(tmpdir(), 'auditlake-fts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const VAULT = '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv';
const OTHER = '/subscriptions/s/resourcegroups/rg/providers/microsoft.storage/storageaccounts/st';
const GUID = '0bd0c7a4-5b1e-4f0a-9d3c-2a6e8f1b4c7d';

/** [time (minutes after 10:00), principal_id, principal_name, resource_id, result] */
const ATTEMPTS: [number, string | null, string | null, string, string][] = [
  [0, null, 'Svc-Name', VAULT, 'failure'], // a name only ...
  [5, null, 'svc-name', VAULT, 'success'], // ... pairs with the same name in another case
  [60, null, GUID, VAULT, 'failure'], // a name that is an object id ...
  [62, GUID, 'app-x', VAULT, 'success'], // ... pairs with the record carrying that id
  [120, 'id-a', 'a@x.example', VAULT, 'failure'], // an id ...
  [121, 'id-a', 'a@x.example', OTHER, 'success'], // ... succeeding on another resource: no pair
  [122, 'id-b', 'b@x.example', VAULT, 'success'], // a principal that never failed: no pair
  [180, 'id-c', 'c@x.example', VAULT, 'failure'], // an id ...
  [181, 'id-c', null, VAULT, 'success'], // ... pairs with the same id
];

describe('failed-then-succeeded', () => {
  it('pairs failures and successes by object id, or by name where a record has none', async () => {
    const store = await Store.open(join(dir, 'fts.duckdb'));
    for (const [i, [minutes, id, name, resource, result]] of ATTEMPTS.entries()) {
      await store.execute(
        `INSERT INTO events (event_id, time, ingested_at, source, category, operation, result, principal_type, principal_id, principal_name, resource_id)
         VALUES ($id, TIMESTAMPTZ '2025-11-14 10:00:00+00' + to_minutes($minutes::INTEGER), now(), 'test', 'AuditEvent', 'SecretGet', $result, 'user', $pid, $name, $resource)`,
        { id: `e${i}`, minutes, result, pid: id as string, name: name as string, resource },
      );
    }
    const saved = findSavedQuery('failed-then-succeeded')!;
    const rows = (await store.query(saved.sql, bindParams(saved.sql, {}, saved))).rows;
    store.close();
    // principal, resource_id, failures
    expect(rows.map((r) => [r[0], r[2], r[3]])).toEqual([
      ['svc-name', VAULT, 1n],
      [GUID, VAULT, 1n],
      ['id-c', VAULT, 1n],
    ]);
  });

  it('of successes at the same instant shows the one with the lowest event_id, however they were stored', async () => {
    const answers: unknown[][][] = [];
    for (const order of [['z-late', 'a-early'], ['a-early', 'z-late']]) {
      const store = await Store.open(join(dir, `tie-${order[0]}.duckdb`));
      const insert = (id: string, minutes: number, result: string, operation: string) => store.execute(
        `INSERT INTO events (event_id, time, ingested_at, source, category, operation, result, principal_type, principal_id, principal_name, resource_id)
         VALUES ($id, TIMESTAMPTZ '2025-11-14 10:00:00+00' + to_minutes($minutes::INTEGER), now(), 'test', 'AuditEvent', $operation, $result, 'user', 'id-t', 't@x.example', $resource)`,
        { id, minutes, result, operation, resource: VAULT });
      await insert('f1', 0, 'failure', 'SecretGet');
      await insert('f2', 1, 'failure', 'SecretList');
      for (const id of order) await insert(id, 2, 'success', id === 'a-early' ? 'SecretGet' : 'SecretSet');
      const saved = findSavedQuery('failed-then-succeeded')!;
      answers.push((await store.query(saved.sql, bindParams(saved.sql, {}, saved))).rows);
      store.close();
    }
    // One row (both failures lead to the same success), the success of the lower id, in either storage order.
    expect(answers[0]!.map((r) => [r[0], r[3], r[8]])).toEqual([['id-t', 2n, 'SecretGet']]);
    expect(answers[1]).toEqual(answers[0]);
  });
});
