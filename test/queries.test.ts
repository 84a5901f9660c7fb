/**
 * Every saved investigation query (queries/*.sql) run through the real CLI against a DuckDB file
 * that the real `auditlake replay` loaded from fixtures/. Expected values come from reading the
 * fixture files (who did what, when, from where, how many bytes), not from the query's output.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMING_CATEGORIES } from '../src/investigate/names.js';
import { referencedParams } from '../src/queries.js';
import { ACTIVITY_CATEGORIES, activityFamily } from '../src/schema/activity.js';
import { repoRoot, runCli, runCliAsync } from './support/cli.js';
import { FIXTURE_DIRS, queryJsonAsync, replayAsync, tempDir, writeFile, type ReplaySummary, type Row } from './support/db.js';

// Principals in the fixtures.
const ADA_ID = '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e'; // ada.park@fabrikam-demo.example (keyvault, storage, aml)
const ADA = 'ada.park@fabrikam-demo.example';
const SP_ML = '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968'; // app: storage-conn Forbidden, ListBlobs, DeleteBlob denied, AML
const MI_TRAINER = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e'; // managed identity id-trainer: KeyGet cmk-training
const AML_COMPUTE = 'd4c3b2a1-0f9e-4d8c-b7a6-95f4e3d2c1b0'; // workspace identity reading metrics.json
const ALICE_ID = 'a1c3e5f7-0b2d-4f6a-8c1e-3a5b7c9d1e2f';
const ALICE = 'alice.admin@contoso-ml.example';
const BOB_ID = 'c3e5a7b9-2d4f-4b6c-8e0a-1f3b5d7f9a1c';
const BOB = 'bob@contoso-ml.example';
const MALLORY_ID = 'b2d4f6a8-1c3e-4a5b-9d7f-0e2a4c6e8a0b';
const MALLORY = 'mallory@contoso-ml.example';
const SP_DEPLOY_ID = 'e5a7c9d1-4f6b-4d8e-8a2c-3b5d7f9b1c3e'; // sp-ml-deploy
const WORKSPACE = '/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourcegroups/rg-fabrikam-ml/providers/microsoft.machinelearningservices/workspaces/mlw-fabrikam';
const PROD_SUB = '/subscriptions/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

// Input that must only produce rejects: two lines that are not JSON (same problem, different
// lines), and a Key Vault record without `time`.
const BAD_LINES = [
  'not json at all',
  '{"category":"AuditEvent","operationName":"SecretGet","resourceId":"/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/z"}',
  'nor is this',
];

let tmp: { dir: string; cleanup(): void };
let db: string; // all fixture families + the bad file, --no-detect
let alertsDb: string; // fixtures/keyvault with the detectors on, for alerts-recent
let loaded: ReplaySummary;
let badFile: string;

beforeAll(async () => {
  tmp = tempDir();
  db = join(tmp.dir, 't.duckdb');
  alertsDb = join(tmp.dir, 'alerts.duckdb');
  badFile = writeFile(tmp.dir, 'bad.ndjson', `${BAD_LINES.join('\n')}\n`);
  [loaded] = await Promise.all([
    replayAsync(db, [...FIXTURE_DIRS, badFile]),
    replayAsync(alertsDb, ['fixtures/keyvault'], { detect: true }),
  ]);
});

afterAll(() => tmp?.cleanup());

const q = (name: string, params: Record<string, string> = {}) => queryJsonAsync(db, name, params);
const col = (rows: Row[], name: string) => rows.map((r) => r[name]);
const ok = async (args: string[]) => {
  const r = await runCliAsync(args);
  expect(r.code, `auditlake ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
};

it('the fixtures load: 59 records stored, the 3 bad lines rejected', () => {
  // Records in fixtures/: activity 2+6+4+2, aml 17, entra 1+2, keyvault 10, signin 2+3, storage 10.
  expect(loaded).toMatchObject({ read: 62, stored: 59, duplicates: 0, rejected: 3 });
});

/** One case per saved query; the folder check below fails when a .sql file has none. */
const cases: Record<string, () => Promise<void>> = {
  'principal-activity': async () => {
    // By UPN, any case: 7 Key Vault + 3 Storage + 10 Azure ML records name ada.
    const byUpn = await q('principal-activity', { principal: ADA.toUpperCase() });
    expect(byUpn).toHaveLength(20);
    expect(byUpn.filter((r) => r.category === 'AuditEvent')).toHaveLength(7);
    expect(byUpn.filter((r) => String(r.category).startsWith('Storage'))).toHaveLength(3);
    const times = col(byUpn, 'time') as string[];
    expect([...times].sort()).toEqual(times);
    // The AML run-status record names her but carries no object id: found by UPN only.
    expect(byUpn.filter((r) => r.principal_id === null).map((r) => r.operation))
      .toEqual(['Microsoft.MachineLearningServices/workspaces/runs/statuschanged']);
    // By object id: the same minus that one.
    expect(await q('principal-activity', { principal: ADA_ID.toUpperCase() })).toHaveLength(19);
    // Time range, until exclusive: the three storage requests between 05:00 and 06:00.
    const window = await q('principal-activity', { principal: ADA, since: '2025-11-14T05:00:00Z', until: '2025-11-14T06:00:00Z' });
    expect(col(window, 'operation')).toEqual(['GetBlob', 'CopyBlob', 'Read']);
    expect(window[0]).toMatchObject({ caller_ip: '2001:db8:4f2a::17', bytes_out: 5368709120, target: '/stfabrikamml01/training-data/2025/corpus-full.parquet' });
  },

  'secret-readers': async () => {
    // cmk-training: the trainer identity's KeyGet from 10.20.1.15, then ada's KeyBackup.
    const cmk = await q('secret-readers', { secret: 'CMK-Training' });
    expect(cmk.map((r) => [r.principal_id, r.principal_type, r.caller_ip, r.operations, r.reads, r.succeeded])).toEqual([
      [MI_TRAINER, 'managedIdentity', '10.20.1.15', 'KeyGet', 1, 1],
      [ADA_ID, 'user', '203.0.113.24', 'KeyBackup', 1, 1],
    ]);
    expect(cmk[0]).toMatchObject({ vault: 'kv-fabrikam-ml', first_read: '2025-11-14T02:06:30.000Z' });
    // storage-conn: the app's one attempt was refused (403 Forbidden).
    expect(await q('secret-readers', { secret: 'storage-conn' })).toEqual([
      expect.objectContaining({ principal_id: SP_ML, caller_ip: '198.51.100.77', reads: 1, succeeded: 0, failed: 1 }),
    ]);
    // vault filter
    expect(await q('secret-readers', { secret: 'db-password', vault: 'KV-FABRIKAM-ML' })).toEqual([
      expect.objectContaining({ principal_name: ADA, reads: 1, first_read: '2025-11-14T01:48:53.000Z' }),
    ]);
    // old-api-key was deleted and purged, never read.
    expect(await q('secret-readers', { secret: 'old-api-key' })).toEqual([]);
  },

  'vault-first-seen-callers': async () => {
    const all = await q('vault-first-seen-callers', { vault: 'kv-fabrikam-ml' });
    expect(all.map((r) => [r.principal_id, r.first_operation, r.first_seen, r.events, r.first_seen_recently])).toEqual([
      [ADA_ID, 'SecretList', '2025-11-14T01:40:02.123Z', 7, true],
      [SP_ML, 'SecretGet', '2025-11-14T02:05:11.500Z', 1, true],
      [MI_TRAINER, 'KeyGet', '2025-11-14T02:06:30.000Z', 1, true],
    ]);
    // "latest" = the vault's newest record (the Event Grid notification, which has no caller).
    expect(all[0]!.as_of).toBe('2025-11-14T04:12:01.000Z');
    // A week ending 2025-11-21T02:00 starts after ada's first call but before the others'.
    const week = await q('vault-first-seen-callers', { vault: 'kv-fabrikam-ml', as_of: '2025-11-21T02:00:00Z', days: '7' });
    expect(week.map((r) => [r.principal_id, r.first_seen_recently])).toEqual([[ADA_ID, false], [SP_ML, true], [MI_TRAINER, true]]);
    // Management plane counts too: kv-ml-prod was only touched by alice's vault write.
    expect((await q('vault-first-seen-callers', { vault: 'kv-ml-prod' })).map((r) => [r.principal_name, r.first_ip])).toEqual([[ALICE, '203.0.113.10']]);
  },

  'storage-top-egress': async () => {
    const rows = await q('storage-top-egress');
    // responseBodySize in fixtures/storage/blob.ndjson: ada 5368709120 (corpus) + 65536 (file share read).
    expect(rows.map((r) => [r.rank, r.caller, r.bytes_out, r.requests, r.distinct_objects])).toEqual([
      [1, ADA, 5368709120 + 65536, 3, 3],
      [2, '(sas from unknown IP)', 73400320, 1, 1], // callerIpAddress "<Redacted>"
      [3, SP_ML, 18231, 2, 2], // ListBlobs + the denied DeleteBlob
      [4, AML_COMPUTE, 4096, 1, 1],
      [5, '(anonymous from 192.0.2.200)', 1024, 1, 1],
      [6, '(accountkey from 10.50.0.204)', 0, 1, 1],
      [7, '(sas from 192.0.2.10)', 0, 1, 1],
    ]);
    expect(new Set(col(rows, 'account'))).toEqual(new Set(['stfabrikamml01']));
    expect(rows[0]).toMatchObject({ principal_id: ADA_ID, auth_types: 'kerberos, oauth', distinct_ips: 3 });
    expect(col(await q('storage-top-egress', { top: '2' }), 'rank')).toEqual([1, 2]);
  },

  'role-assignments': async () => {
    const rows = await q('role-assignments');
    expect(rows.map((r) => [r.grantor_name, r.grantee_id, r.grantee_name, r.role_name, r.scope_type, r.result])).toEqual([
      [ALICE, SP_DEPLOY_ID, 'sp-ml-deploy', 'Key Vault Administrator', 'resource', 'success'],
      [ALICE, BOB_ID, BOB, 'Owner', 'subscription', 'success'],
      [MALLORY, MALLORY_ID, MALLORY, 'User Access Administrator', 'resourceGroup', 'success'],
      [ALICE, SP_DEPLOY_ID, 'sp-ml-deploy', 'Storage Blob Data Owner', 'resourceGroup', 'success'],
    ]);
    // role-assignment-owner.json has Start and Success under one correlation id: one row, the Success.
    const owner = rows[1]!;
    expect(owner).toMatchObject({ time: '2025-11-14T09:12:03.640Z', scope: PROD_SUB, role_definition_id: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', grantor_id: ALICE_ID });
    expect(rows[2]).toMatchObject({ self_assignment: true, grantor_ip: '198.51.100.23' });
    expect(rows[0]!.scope).toBe(`${PROD_SUB}/resourcegroups/rg-ml-prod/providers/microsoft.keyvault/vaults/kv-ml-prod`);
    const period = await q('role-assignments', { since: '2025-11-14T09:00:00Z', until: '2025-11-14T12:00:00Z' });
    expect(col(period, 'role_name')).toEqual(['Owner', 'User Access Administrator']);
  },

  'storage-key-and-sas-access': async () => {
    const rows = await q('storage-key-and-sas-access');
    expect(rows.map((r) => [r.auth_type, r.caller_ip, r.operations, r.requests, r.bytes_out, r.bytes_in])).toEqual([
      ['accountkey', '10.50.0.204', 'PutBlob', 1, 0, 1048576], // requestBodySize in the single-quoted properties
      ['anonymous', '192.0.2.200', 'GetBlob', 1, 1024, 0],
      ['sas', '192.0.2.10', 'GetBlobProperties', 1, 0, 0],
      ['sas', null, 'GetBlob', 1, 73400320, 0],
    ]);
    expect(rows[3]).toMatchObject({ account: 'stfabrikamml01', sas_permissions: 'rl', latest_sas_expiry: '2026-12-31T00:00:00Z' });
  },

  'ip-activity': async () => {
    // Everything mallory did, all from 198.51.100.23 (sign-in, elevation, role writes, diag/policy deletes, storage).
    const rows = await q('ip-activity', { ip: '198.51.100.23' });
    expect(rows).toHaveLength(9);
    expect(new Set(col(rows, 'principal_name'))).toEqual(new Set([MALLORY]));
    expect(col(rows, 'operation')).toContain('MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION');
    expect(rows[0]).toMatchObject({ time: '2025-11-14T09:55:31.002Z', category: 'SignInLogs' });
    // Two identities on the AML compute subnet address; IPv6 matches in any case.
    expect((await q('ip-activity', { ip: '10.20.1.15' })).map((r) => [r.principal_id, r.operation])).toEqual([[MI_TRAINER, 'KeyGet'], [AML_COMPUTE, 'GetBlob']]);
    expect((await q('ip-activity', { ip: '2001:DB8:4F2A::17', until: '2025-11-14T05:00:02Z' })).map((r) => r.principal_name)).toEqual([ADA]);
    // As pasted from a firewall or proxy log: with a port, bracketed, padded — read as ingestion reads a caller.
    for (const ip of ['198.51.100.23:51234', ' 198.51.100.23 ', '[198.51.100.23]:443']) expect(await q('ip-activity', { ip }), ip).toHaveLength(9);
    expect((await q('ip-activity', { ip: '[2001:db8:4f2a::17]:8443', until: '2025-11-14T05:00:02Z' })).map((r) => r.principal_name)).toEqual([ADA]);
    expect(await q('ip-activity', { ip: '198.51.100.2' })).toEqual([]);
  },

  'failed-then-succeeded': async () => {
    // The app's dataset read failed at 06:13, its scoring call on the same workspace succeeded at 06:15.
    // Its other failures (storage-conn on the vault, DeleteBlob) were never followed by a success there.
    const rows = await q('failed-then-succeeded');
    expect(rows).toEqual([
      expect.objectContaining({
        principal: SP_ML,
        resource_id: WORKSPACE,
        failures: 1,
        first_failure: '2025-11-14T06:13:00.000Z',
        succeeded_at: '2025-11-14T06:15:00.000Z',
        success_operation: 'Microsoft.MachineLearningServices/workspaces/services/aks/score/action',
        seconds_to_success: 120,
      }),
    ]);
    expect(await q('failed-then-succeeded', { window_minutes: '1' })).toEqual([]);
  },

  'principal-timeline': async () => {
    // bob by UPN also finds the Owner assignment that names him only by object id.
    const bob = await q('principal-timeline', { principal: BOB });
    expect(bob.map((r) => [r.time, r.family, r.role])).toEqual([
      ['2025-11-14T07:58:10.441Z', 'signin', 'actor'],
      ['2025-11-14T08:15:42.118Z', 'entra', 'subject'], // alice adds him to Global Administrator
      ['2025-11-14T09:12:03.640Z', 'rbac', 'subject'], // alice grants him Owner (the Start record is folded)
      ['2025-11-14T13:48:53.000Z', 'signin', 'actor'],
    ]);
    expect(bob[1]!.summary).toContain('Global Administrator');
    expect(bob[2]!.summary).toMatch(/alice\.admin@contoso-ml\.example granted Owner to c3e5a7b9-.* → success/);
    expect(bob[0]!.summary).toContain('mfa=false');
    expect(await q('principal-timeline', { principal: BOB.toUpperCase() }), 'case-insensitive').toEqual(bob);
    // A window that ends between the Start record and its completion keeps the Start: it is the only trace there.
    const beforeDone = await q('principal-timeline', { principal: BOB, until: '2025-11-14T09:12:03Z' });
    expect(beforeDone.map((r) => [r.family, r.role, r.result])).toEqual([['signin', 'actor', 'success'], ['entra', 'subject', 'success'], ['rbac', 'subject', 'start']]);
    // ada by object id: all 20 of her records, the UPN-only AML one included.
    const ada = await q('principal-timeline', { principal: ADA_ID });
    expect(ada).toHaveLength(20);
    expect(ada.find((r) => r.operation === 'SecretPurge')!.summary).toBe('SecretPurge old-api-key in vault kv-fabrikam-ml → success');
    expect(ada.find((r) => r.operation === 'GetBlob')!.summary)
      .toBe('GetBlob /stfabrikamml01/training-data/2025/corpus-full.parquet (5368709120 bytes out, oauth) → success');
    expect(new Set(col(ada, 'family'))).toEqual(new Set(['keyvault', 'storage', 'aml']));
  },

  'rejects-summary': async () => {
    const rows = await q('rejects-summary');
    // The two non-JSON lines (1 and 3) are one reason once line numbers are folded.
    expect(rows.map((r) => [r.rejects, r.source])).toEqual([[2, `file:${badFile}`], [1, `file:${badFile}`]]);
    expect(rows[0]!.reason_kind).toMatch(/^invalid JSON: line N: /);
    expect(rows[0]!.example_raw).toBe('not json at all');
    expect(rows[1]!.reason_kind).toMatch(/time: missing/);
    expect(rows.reduce((n, r) => n + Number(r.rejects), 0)).toBe(loaded.rejected);
    expect(await q('rejects-summary', { since: '2999-01-01T00:00:00Z', until: '2999-12-31T00:00:00Z' })).toEqual([]);
  },

  'alerts-recent': async () => {
    // Replayed with --no-detect: no alerts.
    expect(await q('alerts-recent')).toEqual([]);
    // With the detectors on, ada's Key Vault activity raises three alerts: the delete/purge/backup
    // (03:00–03:01, 3 records), the network/access-policy change (04:10–04:12, 2 records), and the
    // 04:12 VaultPatch that also turns soft delete off (high, so listed first).
    const all = await queryJsonAsync(alertsDb, 'alerts-recent');
    expect(all.map((r) => [r.severity, r.detector_id, r.principal_name, r.event_count, r.last_event_time])).toEqual([
      ['high', 'encryption.cmk-disabled-or-purge-protection-off', ADA, 1, '2025-11-14T04:12:00.000Z'],
      ['medium', 'keyvault.policy-or-network-change', ADA, 2, '2025-11-14T04:12:00.000Z'],
      ['medium', 'keyvault.sensitive-operation', ADA, 3, '2025-11-14T03:01:00.000Z'],
    ]);
    expect(col(await queryJsonAsync(alertsDb, 'alerts-recent', { since: '2025-11-14T04:00:00Z', min_severity: 'MEDIUM' }), 'detector_id'))
      .toEqual(['encryption.cmk-disabled-or-purge-protection-off', 'keyvault.policy-or-network-change']);
    const bad = await runCliAsync(['query', '--db', alertsDb, 'alerts-recent', '--param', 'min_severity=urgent']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/min_severity.*urgent/);
  },

  'privileged-signins-without-mfa': async () => {
    // bob: single-factor sign-ins; he was made Global Administrator (08:15) and Owner (09:12).
    // mallory signed in with MFA; the other sign-ins are a service principal and a managed identity.
    const rows = await q('privileged-signins-without-mfa');
    expect(rows.map((r) => [r.time, r.principal_id, r.category, r.interactive, r.granted_before_signin])).toEqual([
      ['2025-11-14T07:58:10.441Z', BOB_ID, 'SignInLogs', true, false],
      ['2025-11-14T13:48:53.000Z', BOB_ID, 'NonInteractiveUserSignInLogs', false, true],
    ]);
    expect(rows[0]).toMatchObject({ privileges: 'Entra Global Administrator, RBAC Owner', privileged_since: '2025-11-14T08:15:42.118Z', auth_methods: 'Password' });
    expect(col(await q('privileged-signins-without-mfa', { interactive_only: 'true' }), 'time')).toEqual(['2025-11-14T07:58:10.441Z']);
  },

  'entra-role-changes': async () => {
    const rows = await q('entra-role-changes');
    expect(rows.map((r) => [r.change, r.via, r.role_name, r.target, r.actor_name])).toEqual([
      ['add', 'direct', 'Global Administrator', BOB, ALICE],
      ['add', 'PIM', 'Global Administrator', 'carol.ops@contoso-ml.example', ALICE],
      ['setting', 'PIM', 'Global Administrator', 'Global Administrator', ALICE],
    ]);
    expect(rows[0]).toMatchObject({ target_id: BOB_ID, role_template_id: '62e90394-69f5-4237-9190-012177145e10' });
    expect(rows[1]).toMatchObject({ reason: 'Onboarding new operations lead' });
  },

  'governance-changes': async () => {
    const rows = await q('governance-changes');
    expect(rows.map((r) => [r.time, r.kind, r.resource_name, r.weakens])).toEqual([
      ['2025-11-14T04:10:00.000Z', 'resource-settings', 'kv-fabrikam-ml', true], // VaultPatch: public access on, firewall Allow
      ['2025-11-14T04:12:00.000Z', 'resource-settings', 'kv-fabrikam-ml', true], // VaultPut: purge protection off, access policy added
      ['2025-11-14T10:07:45.991Z', 'diagnostic-settings', 'to-sentinel', true],
      ['2025-11-14T10:08:10.447Z', 'policy', 'deny-public-storage', true],
      ['2025-11-14T11:20:01.000Z', 'resource-settings', 'stmlprodtraining', true],
      ['2025-11-14T11:21:15.000Z', 'resource-settings', 'stmlprodtraining', true], // TLS1_0, a Start with no completion
      ['2025-11-14T11:30:02.700Z', 'resource-settings', 'kv-ml-prod', false], // hardening
    ]);
    expect(rows[0]!.settings).toBe('public_network_access=Enabled, network_default_action=Allow');
    expect(rows[1]!.settings).toContain(`purge_protection=false`);
    expect(rows[1]!.settings).toContain(`access_policy+=${SP_ML}:secrets:get,list`);
    expect(rows[5]).toMatchObject({ result: 'start', principal_name: MALLORY });
    expect(rows[5]!.settings).toBe('minimum_tls_version=TLS1_0, allow_blob_public_access=true, https_only=false');
  },
};

// Each CLI call spends ~1 s loading Node modules and DuckDB; the cases overlap to use both cores.
describe.concurrent('saved queries', () => {
  for (const [name, check] of Object.entries(cases)) it(name, check);

  it('every queries/*.sql has a test case here, and its header names it after its file', async () => {
    const files = readdirSync(join(repoRoot, 'queries')).filter((f) => f.endsWith('.sql')).sort();
    expect(files.length).toBeGreaterThanOrEqual(12);
    const names = files.map((f) => f.replace(/\.sql$/, ''));
    expect(names.filter((n) => !(n in cases))).toEqual([]); // a query without a case
    expect(Object.keys(cases).filter((n) => !names.includes(n))).toEqual([]); // a case without a query
    for (const f of files) {
      const text = readFileSync(join(repoRoot, 'queries', f), 'utf8');
      expect(text, f).toMatch(new RegExp(`^-- name: ${f.replace(/\.sql$/, '')}$`, 'm'));
      expect(text, f).toMatch(/^-- description: \S/m);
      expect(text, f).toMatch(/^-- params: /m);
    }
    const listed = (await runCliAsync(['query', '--list'])).stdout;
    for (const n of names) expect(listed).toContain(`${n}\n`);
  });

  it('a query that names callers from Entra ID reads the categories the console and alerts read names from', () => {
    let lists = 0;
    for (const f of readdirSync(join(repoRoot, 'queries')).filter((n) => n.endsWith('.sql'))) {
      const text = readFileSync(join(repoRoot, 'queries', f), 'utf8');
      for (const [, list] of text.matchAll(/category IN \(([^)]*)\)/g)) {
        const named = [...list!.matchAll(/'([^']*)'/g)].map((m) => m[1]);
        if (!named.includes('ServicePrincipalSignInLogs') || !named.includes('AuditLogs')) continue;
        lists++;
        expect(named, `${f}: category IN (${list})`).toEqual([...NAMING_CATEGORIES]);
      }
    }
    expect(lists).toBe(3);
  });

  it("a query that looks in the Activity log's categories names every one the normalizer gives", () => {
    // Its documented categories, in any case, and the family's name for a record that names none
    const given = [...ACTIVITY_CATEGORIES, activityFamily.name];
    let lists = 0;
    for (const f of readdirSync(join(repoRoot, 'queries')).filter((n) => n.endsWith('.sql'))) {
      const text = readFileSync(join(repoRoot, 'queries', f), 'utf8');
      for (const [, list] of text.matchAll(/category IN \(([^)]*)\)/g)) {
        const named = [...list!.matchAll(/'([^']*)'/g)].map((m) => m[1]);
        if (!named.some((c) => (ACTIVITY_CATEGORIES as readonly string[]).includes(c!))) continue;
        lists++;
        expect(named, `${f}: category IN (${list})`).toEqual(expect.arrayContaining(given));
      }
    }
    expect(lists).toBeGreaterThanOrEqual(6);
  });
});

describe('callers Key Vault logs by object id alone, over the demo day', () => {
  it('are named as Entra ID names them, in secret-readers, vault-first-seen-callers and role-assignments', async () => {
    const demo = join(tmp.dir, 'demo.duckdb');
    await replayAsync(demo, ['fixtures/demo']);
    const [readers, callers, grants] = await Promise.all([
      queryJsonAsync(demo, 'secret-readers', { secret: 'openai-api-key' }),
      queryJsonAsync(demo, 'vault-first-seen-callers', { vault: 'kv-research-apps' }),
      queryJsonAsync(demo, 'role-assignments'),
    ]);
    // The grantees, as the others show a caller.
    expect(grants.length).toBeGreaterThan(0);
    callers.push(...grants.map((g) => ({ principal_id: g.grantee_id, principal_name: g.grantee_name })));
    // What the database holds, read apart: which ids Key Vault names, and Entra's latest name for each.
    const ids = [...new Set([...readers, ...callers].map((r) => r.principal_id as string))];
    const held = await queryJsonAsync(demo, `SELECT principal_id,
        count(*) FILTER (WHERE category = 'AuditEvent' AND principal_name IS NOT NULL) AS named_by_vault,
        arg_max(principal_name, time) FILTER (WHERE principal_name IS NOT NULL AND category IN
          ('SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'AuditLogs')) AS entra_name
      FROM events WHERE principal_id IN (SELECT unnest(from_json($ids, '["VARCHAR"]'))) GROUP BY principal_id`, { ids: JSON.stringify(ids) });
    const byVaultOnly = held.filter((h) => h.named_by_vault === 0);
    // The demo has both kinds: named by Entra only, and named nowhere (those stay unnamed).
    expect(byVaultOnly.filter((h) => h.entra_name !== null).length).toBeGreaterThan(1);
    expect(byVaultOnly.filter((h) => h.entra_name === null).length).toBeGreaterThan(0);
    for (const h of byVaultOnly) {
      for (const r of [...readers, ...callers].filter((x) => x.principal_id === h.principal_id)) expect(r.principal_name, String(h.principal_id)).toBe(h.entra_name);
    }
  });
});

describe.concurrent('parameters', () => {
  it('a missing required parameter exits non-zero and names it', () => {
    const r = runCli(['query', '--db', db, 'principal-activity', '--format', 'json']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('principal');
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('saved query principal-activity needs a value for $principal (give it with --param, as NAME=VALUE)');
  });

  it('an unknown parameter is an error naming it', () => {
    const r = runCli(['query', '--db', db, 'ip-activity', '--param', 'ip=1.2.3.4', '--param', 'bogus=1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bogus');
  });

  it('only $names outside strings, quoted identifiers and comments are parameters', async () => {
    expect(referencedParams(`SELECT 'a--b' AS s, $p AS p, "$col" /* $x */ -- it's $y\n, $q`)).toEqual(new Set(['p', 'q']));
    // Through the CLI: the string containing -- does not hide $p, the comment's $x needs no value.
    expect(await queryJsonAsync(db, "SELECT 'a--b' AS s, $p AS p /* $x */", { p: '1' })).toEqual([{ s: 'a--b', p: '1' }]);
  });

  it('values are bound, not spliced into the SQL', async () => {
    const inject = "x' OR '1'='1";
    expect(await q('principal-activity', { principal: inject })).toEqual([]);
    // A value that is valid SQL text is still one literal value.
    const v = "'); DROP TABLE events; --";
    expect(await queryJsonAsync(db, 'SELECT $v AS v, (SELECT count(*) FROM events) AS n', { v })).toEqual([{ v, n: 59 }]);
  });
});

describe.concurrent('output formats on a saved query (role-assignments)', () => {
  const base = () => ['query', '--db', db, 'role-assignments'];
  const roles = ['Key Vault Administrator', 'Owner', 'User Access Administrator', 'Storage Blob Data Owner'];

  it('csv', async () => {
    const out = (await ok([...base(), '--format', 'csv'])).stdout;
    const lines = out.split('\r\n').filter((l) => l !== '');
    expect(lines).toHaveLength(5);
    expect(lines[0]!.split(',').slice(0, 3)).toEqual(['time', 'grantor_id', 'grantor_name']);
    roles.forEach((role, i) => expect(lines[i + 1]).toContain(`,${role},`));
  });

  it('ndjson', async () => {
    const out = (await ok([...base(), '--format', 'ndjson'])).stdout;
    const rows = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Row);
    expect(col(rows, 'role_name')).toEqual(roles);
  });

  it('parquet (--out), read back through the CLI with read_parquet', async () => {
    const file = join(tmp.dir, 'roles.parquet');
    const r = await ok([...base(), '--format', 'parquet', '--out', file]);
    expect(r.stdout).toBe('');
    const back = await queryJsonAsync(db, 'SELECT role_name, grantee_id, self_assignment FROM read_parquet($file) ORDER BY time', { file });
    expect(col(back, 'role_name')).toEqual(roles);
    expect(back[2]).toEqual({ role_name: 'User Access Administrator', grantee_id: MALLORY_ID, self_assignment: true });
  });

  it('arrow (--out), read back with apache-arrow', async () => {
    const file = join(tmp.dir, 'roles.arrow');
    await ok([...base(), '--format', 'arrow', '--out', file]);
    const table = tableFromIPC(readFileSync(file));
    expect(table.numRows).toBe(4);
    expect(table.getChild('role_name')!.toArray()).toEqual(roles);
    expect(table.getChild('grantee_name')!.get(1)).toBe(BOB);
    // times are Arrow timestamps (epoch ms)
    expect(new Date(Number(table.getChild('time')!.get(1))).toISOString()).toBe('2025-11-14T09:12:03.640Z');
  });

  it('a reader that stops early (`| head`) ends the command quietly, exit 0', async () => {
    // 20 MB of output, far more than a pipe holds: the CLI is still writing when the reader goes.
    const child = spawn(process.execPath, [join(repoRoot, 'bin/auditlake.js'), 'query', '--db', db, '--format', 'ndjson',
      "SELECT i, repeat('x', 200) AS x FROM range(100000) r(i)"], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(b.toString())));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(first.startsWith('{"i":0,')).toBe(true);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
