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

describe('a row\'s texts', () => {
  const rowOf = (record: Record<string, unknown>) => {
    const n = normalizeRecord(record);
    if (!n.ok) throw new Error(n.reason);
    // As the decoder gives it: the fields and the record's JSON text.
    return { fields: n.fields, row: toEventRow(n.fields, JSON.stringify(record), 's', n.nativeId) };
  };
  const controlled = (d: Record<string, unknown>) => Object.values(d).filter((v) => typeof v === 'string' && /[\x00-\x1f]/.test(v));

  it('hold no control character (each a space), details\' included, and keep the id the logged fields give', () => {
    const { fields, row } = rowOf({
      time: '2025-11-14T08:15:42Z', category: 'AuditEvent', operationName: 'SecretGet\u001b[2J', resultType: 'Success', resultSignature: 'OK\u009b\u001b]0;x\u0007',
      resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1', callerIpAddress: '203.0.113.7',
      identity: { claim: { upn: 'eve\tadmin\n@contoso.example' } }, properties: { id: 'https://kv1.vault.azure.net/secrets/s\u0007', clientInfo: 'curl\r\n8.0' },
    });
    expect(row.operation).toBe('SecretGet [2J');
    expect(row.principal_name).toBe('eve admin @contoso.example');
    expect(row.user_agent).toBe('curl  8.0');
    expect(controlled(fields.details).length).toBeGreaterThan(0);
    expect(controlled(row.details)).toEqual([]);
    expect(row.details.result_signature).toBe('OK\u009b ]0;x '); // C1 is text to store; printing escapes it
    // The id is the one the fields as logged give (the operation is part of it), as for rows stored before.
    expect(row.event_id).toBe(eventId(eventIdentity(fields, null), ''));
    expect(row.event_id).not.toBe(eventId(eventIdentity({ ...fields, operation: row.operation }, null), ''));
  });

  it('are cleaned when the control character comes from a JSON document inside a string (an Activity record\'s properties)', () => {
    const { row } = rowOf({
      time: '2025-11-14T08:15:42Z', category: 'Administrative', operationName: 'MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE', resultType: 'Success',
      resourceId: '/SUBSCRIPTIONS/S/PROVIDERS/MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/RA1', callerIpAddress: '203.0.113.7',
      identity: { claims: { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'eve@contoso.example' } },
      properties: JSON.stringify({ requestbody: JSON.stringify({ properties: { principalId: 'p\u001b[8m1', roleDefinitionId: '/r/8e3af657' } }) }),
    });
    const texts = [row.target, row.role_definition_id, ...Object.values(row.details)].filter((v) => typeof v === 'string');
    expect(texts.join('')).toContain('p [8m1');
    expect(texts.filter((v) => /[\x00-\x1f]/.test(v as string))).toEqual([]);
  });
});
