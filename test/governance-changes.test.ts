/**
 * queries/governance-changes.sql leaves out a Start record whose operation completed, and looks
 * for the completion in the Start's own category (where the Activity log records it, in either
 * of its shapes): over the live database and over its Parquet export alike. Changes are
 * found in both shapes' categories, in a record that named none, and (settings) in Key Vault's
 * own log. (The query over the
 * replayed fixtures is in test/queries.test.ts; they hold no completed Start.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bindParams, findSavedQuery } from '../src/queries.js';
import { Store } from '../src/store/duckdb.js';

const dir = mkdtempSync(join(tmpdir(), 'auditlake-gov-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DIAGNOSTICS = 'Microsoft.Insights/diagnosticSettings/write';
const POLICY = 'Microsoft.Authorization/policyAssignments/write';
const STORAGE = 'Microsoft.Storage/storageAccounts/write';
const VAULT = 'Microsoft.KeyVault/vaults/write';

/** [minutes after 10:00, category, operation, result, correlation id, minimum_tls_version] */
const RECORDS: [number, string, string, string, string, string | null][] = [
  [0, 'Administrative', DIAGNOSTICS, 'start', 'c1', null], // completed next: left out
  [1, 'Administrative', DIAGNOSTICS, 'success', 'c1', null],
  [5, 'Administrative', POLICY, 'start', 'c2', null], // never completed: kept
  [6, 'AuditEvent', 'SecretGet', 'success', 'c2', null], // the same correlation id, another operation: no completion
  [10, 'Administrative', STORAGE.toUpperCase(), 'start', 'c3', 'TLS1_0'], // a settings change completed ...
  [11, 'Administrative', STORAGE, 'success', 'c3', 'TLS1_0'], // ... in another case: left out
  [20, 'Write', VAULT.toUpperCase(), 'start', 'c4', 'TLS1_2'], // the older storage shape's category ...
  [21, 'Write', VAULT, 'success', 'c4', 'TLS1_2'], // ... holds its completion too
  [30, 'AuditEvent', 'VaultPatch', 'success', 'c5', 'TLS1_2'], // Key Vault's own log of a settings change: kept
  [40, 'activity', POLICY, 'success', 'c6', null], // an Activity record that named no category: kept
];

async function governanceChanges(store: Store): Promise<unknown[][]> {
  const saved = findSavedQuery('governance-changes')!;
  const { columns, rows } = await store.query(saved.sql, bindParams(saved.sql, {}, saved));
  const at = (name: string) => columns.findIndex((c) => c.name === name);
  return rows.map((r) => [(r[at('time')] as Date).toISOString().slice(11, 16), r[at('operation')], r[at('result')]]);
}

describe('governance-changes', () => {
  it('folds a Start into its completion, found in the same category, live and over Parquet', async () => {
    const store = await Store.open(join(dir, 'gov.duckdb'));
    for (const [i, [minutes, category, operation, result, correlation, tls]] of RECORDS.entries()) {
      await store.execute(
        `INSERT INTO events (event_id, time, ingested_at, source, category, operation, result, principal_type, correlation_id, minimum_tls_version, settings_change)
         VALUES ($id, TIMESTAMPTZ '2025-11-14 10:00:00+00' + to_minutes($minutes::INTEGER), now(), 'test', $category, $operation, $result, 'user', $correlation, $tls,
                 CASE WHEN $tls IS NOT NULL THEN true END)`,
        { id: `e${i}`, minutes, category, operation, result, correlation, tls: tls as string },
      );
    }
    const expected = [
      ['10:01', DIAGNOSTICS, 'success'],
      ['10:05', POLICY, 'start'],
      ['10:11', STORAGE, 'success'],
      ['10:21', VAULT, 'success'],
      ['10:30', 'VaultPatch', 'success'],
      ['10:40', POLICY, 'success'],
    ];
    try {
      expect(await governanceChanges(store)).toEqual(expected);
      await store.exportParquet(join(dir, 'export'), Date.parse('2025-11-14T00:00:00Z'), Date.parse('2025-11-15T00:00:00Z'));
    } finally {
      store.close();
    }
    const parquet = await Store.overParquet(join(dir, 'export'));
    try {
      expect(await governanceChanges(parquet)).toEqual(expected);
    } finally {
      parquet.close();
    }
  });
});
