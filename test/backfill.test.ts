/**
 * `auditlake backfill`, the real CLI as a subprocess, with the real LogsQueryClient and
 * ClientSecretCredential, against a local HTTPS peer standing in for the Log Analytics query
 * API and Entra (test/support/log-analytics-peer.ts; NODE_EXTRA_CA_CERTS trusts its certificate).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCliAsync } from './support/cli.js';
import { queryJsonAsync, replayAsync, tempDir, writeFile } from './support/db.js';
import { startLogAnalyticsPeer, type LogAnalyticsPeer, type RecordedTable } from './support/log-analytics-peer.js';
import { FACT_COLUMNS, SETTINGS_CHANGE_COLUMN } from '../src/schema/facts.js';

const TABLES = ['AZKVAuditLogs', 'AzureDiagnostics', 'AzureActivity', 'StorageBlobLogs', 'AuditLogs', 'SigninLogs',
  'AADNonInteractiveUserSignInLogs', 'AADServicePrincipalSignInLogs', 'AADManagedIdentitySignInLogs'];
/** The Event Hubs records the recorded tables were laid out from (fixtures/loganalytics/README.md). */
const STREAMED = ['fixtures/keyvault/auditevent.json', 'fixtures/storage/blob.ndjson', 'fixtures/activity/role-assignment-owner.json',
  'fixtures/activity/rbac-and-governance.ndjson', 'fixtures/entra/role-membership.ndjson', 'fixtures/entra/pim-settings.json',
  'fixtures/signin/signins.json', 'fixtures/signin/managed-identity-and-noninteractive.ndjson'];

const recorded = (table: string) => (JSON.parse(readFileSync(`fixtures/loganalytics/${table}.json`, 'utf8')) as { tables: RecordedTable[] }).tables[0]!;

const DAY = 86_400_000;
const HISTORY_START = Date.UTC(2025, 9, 1);
const VAULT = '/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourcegroups/rg-hist/providers/microsoft.keyvault/vaults/kv-hist';
const ADA = { oid: '3c9d1e2f-4a5b-4c6d-8e7f-901a2b3c4d5e', upn: 'ada.park@fabrikam-demo.example', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' };
const PIPELINE = { oid: '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b', appid: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' };
const XAVIER = { oid: 'aa11bb22-cc33-4d44-8e55-ff6677889900', upn: 'xavier.ops@fabrikam-demo.example', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46' };

/** A Key Vault SecretGet as an AZKVAuditLogs row, in the recorded columns. */
function kvRow(time: number, who: Record<string, string>, i: number, ip = '203.0.113.24'): unknown[] {
  const values: Record<string, unknown> = {
    TenantId: 'ws', TimeGenerated: new Date(time).toISOString().replace('Z', '0000Z'), OperationName: 'SecretGet', OperationVersion: '7.4',
    ResultType: 'Success', ResultSignature: 'OK', ResultDescription: '', DurationMs: 12, CallerIpAddress: ip, CorrelationId: `c0ffee00-0000-4000-8000-${String(i).padStart(12, '0')}`,
    Identity: JSON.stringify({ claim: who }), Id: `https://kv-hist.vault.azure.net/secrets/db-password/${i}`, RequestUri: 'https://kv-hist.vault.azure.net/secrets/db-password?api-version=7.4',
    HttpStatusCode: 200, ClientInfo: 'azsdk-python-keyvault-secrets/4.8.0', IsAccessPolicyMatch: null, IsRbacAuthorized: true, IsAddressAuthorized: null,
    TrustedService: '', AppliedAssignmentId: '', Tlsversion: 'TLS1_2', NetworkAcls: null, Properties: null, SourceSystem: 'Azure', Type: 'AZKVAuditLogs', _ResourceId: VAULT,
  };
  return recorded('AZKVAuditLogs').columns.map((c) => values[c.name] ?? null);
}

function kvTable(rows: unknown[][]): RecordedTable {
  return { columns: recorded('AZKVAuditLogs').columns, rows };
}

/** `count` SecretGets spread evenly over [start, start + days). */
function bulk(count: number, start: number, days: number): RecordedTable {
  return kvTable(Array.from({ length: count }, (_, i) => kvRow(start + Math.floor((i * days * DAY) / count), ADA, i)));
}

/** Ada and the pipeline daily for nine days; Xavier too on day 2 when `withXavier`. */
function history(withXavier: boolean): RecordedTable {
  const rows: unknown[][] = [];
  for (let d = 0; d < 9; d++) {
    rows.push(kvRow(HISTORY_START + d * DAY + 9 * 3_600_000, ADA, d * 10));
    rows.push(kvRow(HISTORY_START + d * DAY + 2 * 3_600_000, PIPELINE, d * 10 + 1));
  }
  if (withXavier) rows.push(kvRow(HISTORY_START + 2 * DAY + 11 * 3_600_000, XAVIER, 999, '198.51.100.20'));
  return kvTable(rows);
}

/** A `dynamic` Properties cell holding numbers a double cannot hold as written. */
const NUMBERS = '{"sku":"standard","weird":1e400,"tiny":-1e-400,"big":9007199254740993}';

function withProperties(row: unknown[], properties: string): RecordedTable {
  const cells = [...row];
  cells[recorded('AZKVAuditLogs').columns.findIndex((c) => c.name === 'Properties')] = properties;
  return kvTable([cells]);
}

let peer: LogAnalyticsPeer;
let env: Record<string, string>;
let config: string;
const dir = tempDir('auditlake-backfill-');

beforeAll(async () => {
  const fixtureTables = Object.fromEntries(TABLES.map((t) => [t, recorded(t)]));
  peer = await startLogAnalyticsPeer({
    workspaces: {
      'ws-fixtures': fixtureTables,
      'ws-bulk': { AZKVAuditLogs: bulk(1200, Date.UTC(2025, 10, 1), 2) },
      'ws-burst': { AZKVAuditLogs: bulk(30, Date.UTC(2025, 10, 1), 0) }, // 30 rows at one instant
      'ws-history-x': { AZKVAuditLogs: history(true) },
      'ws-history': { AZKVAuditLogs: history(false) },
      'ws-numbers': { AZKVAuditLogs: withProperties(kvRow(Date.UTC(2025, 10, 14, 5), ADA, 1), NUMBERS) },
    },
  });
  env = { NODE_EXTRA_CA_CERTS: peer.caFile, AZURE_CLIENT_SECRET: 'peer-secret' };
  config = writeFile(dir.dir, 'auditlake.yaml', [
    'azure:',
    `  credential: { kind: clientSecret, tenantId: contoso.example, clientId: 11111111-2222-3333-4444-555555555555, clientSecret: '\${AZURE_CLIENT_SECRET}', authorityHost: '${peer.url}' }`,
    '',
  ].join('\n'));
});
afterAll(async () => {
  await peer?.close();
  dir.cleanup();
});

const backfillArgs = (db: string, workspace: string, extra: string[] = []) => ['backfill', '--db', db, '--config', config, '--endpoint', peer.endpoint,
  '--workspace', workspace, '--json', '--workers', '0', ...extra];

async function backfill(db: string, workspace: string, extra: string[] = []) {
  const r = await runCliAsync(backfillArgs(db, workspace, extra), { env });
  if (r.code !== 0) throw new Error(`backfill exited ${r.code}\n${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as { stored: number; duplicates: number; rejected: number; rows: number; queries: number; splits: number; alerts: { detector_id: string; principal_id: string | null }[] };
}

const COLUMNS = 'event_id, category, operation, result, principal_id, principal_name, app_id, principal_type, auth_type, caller_ip, resource_id, target, role_definition_id, bytes_out, correlation_id, epoch_ms(time) AS t';
/**
 * What the detectors and investigations read besides the columns: every `details` fact and its
 * fact column. The first copy of an event is the one kept, so a backfilled row missing a fact
 * its streamed twin has (a VaultPut's added access policy, a VaultPatch's firewall) loses it
 * for good when the twin arrives later.
 */
const FACTS = `details::VARCHAR AS details, ${[...FACT_COLUMNS.map(([name]) => name), SETTINGS_CHANGE_COLUMN].join(', ')}`;
/** `details` keys a table has no column for: StorageBlobLogs keeps no `identity.delegatedResource`. */
const NOT_IN_TABLE: Record<string, string[]> = { StorageBlobLogs: ['delegated_resource_id', 'delegated_object_id'] };

const detailsOf = (value: unknown, without: string[] = []): Record<string, unknown> => {
  const d = (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(d).filter(([k]) => !without.includes(k)));
};

describe('auditlake backfill', () => {
  it('maps each table\'s rows to the events columns its streamed twin has, and stores a record that came both ways once', async () => {
    const backfilled = `${dir.dir}/fixtures.duckdb`;
    const summary = await backfill(backfilled, 'ws-fixtures', ['--since', '2025-11-13T00:00:00Z', '--until', '2025-11-16T00:00:00Z', '--slice', '1d']);
    const total = TABLES.reduce((n, t) => n + recorded(t).rows.length, 0);
    expect(summary).toMatchObject({ rows: total, stored: total, rejected: 0, splits: 0 });
    expect(peer.unauthorized).toBe(0);
    expect(peer.entra.requests[0]).toMatchObject({ clientId: '11111111-2222-3333-4444-555555555555', scope: 'https://api.loganalytics.io/.default' });

    const bySource = await queryJsonAsync(backfilled, 'SELECT source, count(*) AS n FROM events GROUP BY source');
    expect(Object.fromEntries(bySource.map((r) => [r.source, r.n]))).toEqual(Object.fromEntries(TABLES.map((t) => [`loganalytics:ws-fixtures/${t}`, recorded(t).rows.length])));

    const streamed = `${dir.dir}/streamed.duckdb`;
    await replayAsync(streamed, STREAMED);
    const want = new Map((await queryJsonAsync(streamed, `SELECT ${COLUMNS}, status_code, ${FACTS} FROM events`)).map((r) => [r.event_id, r]));
    for (const got of await queryJsonAsync(backfilled, `SELECT ${COLUMNS}, status_code, ${FACTS}, source FROM events`)) {
      const twin = want.get(got.event_id);
      const table = String(got.source).split('/').pop()!;
      const what = `${table} ${String(got.operation)}`;
      expect(twin, `${what}: no streamed twin`).toBeDefined();
      const { source: _s, status_code: status, details, ...cols } = got;
      const { status_code: twinStatus, details: twinDetails, ...twinCols } = twin!;
      expect({ what, ...cols }).toEqual({ what, ...twinCols });
      expect({ what, details: detailsOf(details, NOT_IN_TABLE[table]) }).toEqual({ what, details: detailsOf(twinDetails, NOT_IN_TABLE[table]) });
      if (table !== 'AzureActivity') expect(status).toEqual(twinStatus);
    }
    // The facts compared above include the Key Vault changes AzureDiagnostics holds flattened (addedAccessPolicy_*_g/_s, networkAcls_*_s).
    expect(await queryJsonAsync(backfilled, "SELECT operation, added_access_policy_object_id AS object_id, added_access_policy_permissions AS permissions, is_access_policy_change AS policy, network_default_action AS action, settings_change FROM events WHERE source LIKE '%/AzureDiagnostics' AND operation IN ('VaultPut', 'VaultPatch') ORDER BY time"))
      .toEqual([
        { operation: 'VaultPatch', object_id: null, permissions: null, policy: null, action: 'Allow', settings_change: true },
        { operation: 'VaultPut', object_id: '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968', permissions: 'secrets:get,list', policy: true, action: null, settings_change: true },
      ]);
    // Spot checks, readable: a Key Vault read and a storage read with its egress.
    expect(await queryJsonAsync(backfilled, "SELECT operation, principal_name, target FROM events WHERE source LIKE '%/AZKVAuditLogs' AND operation = 'SecretGet' ORDER BY time LIMIT 1"))
      .toEqual([expect.objectContaining({ operation: 'SecretGet' })]);

    // The same records streamed first, then backfilled: nothing new.
    const again = await backfill(streamed, 'ws-fixtures', ['--since', '2025-11-13T00:00:00Z', '--until', '2025-11-16T00:00:00Z']);
    expect(again).toMatchObject({ rows: total, stored: 0, duplicates: total });
    expect(await queryJsonAsync(streamed, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events')).toEqual([{ n: want.size, d: want.size }]);
  });

  it('splits a slice whose answer is over the limits and stores every row once, then skips the covered range on a rerun', async () => {
    const db = `${dir.dir}/bulk.duckdb`;
    peer.options.maxRowsPerAnswer = 160;
    peer.options.overLimit = 'partial';
    const first = peer.queries.length;
    try {
      const s = await backfill(db, 'ws-bulk', ['--since', '2025-11-01T00:00:00Z', '--until', '2025-11-03T00:00:00Z', '--tables', 'AZKVAuditLogs', '--slice', '1d', '--no-detect']);
      expect(s).toMatchObject({ stored: 1200, rejected: 0 });
      expect(s.splits).toBeGreaterThan(0);
      expect(peer.queries.slice(first).some((q) => q.answered === 'partial')).toBe(true);
      expect(await queryJsonAsync(db, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events')).toEqual([{ n: 1200, d: 1200 }]);
      // A 'response too large' error splits the same way; the range is covered already, so nothing is asked at all.
      peer.options.overLimit = 'error';
      const before = peer.queries.length;
      const rerun = await backfill(db, 'ws-bulk', ['--since', '2025-11-01T00:00:00Z', '--until', '2025-11-03T00:00:00Z', '--tables', 'AZKVAuditLogs', '--no-detect']);
      expect(rerun).toMatchObject({ rows: 0, stored: 0, queries: 0 });
      expect(peer.queries.length).toBe(before);
      const wider = await backfill(`${dir.dir}/bulk-error.duckdb`, 'ws-bulk', ['--since', '2025-11-01T00:00:00Z', '--until', '2025-11-03T00:00:00Z', '--tables', 'AZKVAuditLogs', '--no-detect']);
      expect(wider).toMatchObject({ stored: 1200 });
      expect(peer.queries.slice(before).some((q) => q.answered === 'too-large')).toBe(true);
      const cp = await queryJsonAsync(db, "SELECT source, partition, position FROM checkpoints WHERE source LIKE 'loganalytics:%'");
      expect(cp).toEqual([{ source: 'loganalytics:ws-bulk/AZKVAuditLogs', partition: 'covered', position: '{"covered":[["2025-11-01T00:00:00.000Z","2025-11-03T00:00:00.000Z"]]}' }]);
    } finally {
      peer.options.maxRowsPerAnswer = undefined;
      peer.options.overLimit = undefined;
    }
  });

  it('names the flag that helps when a slice cannot be made small enough', async () => {
    // More rows at one instant than --max-rows: no smaller slice parts them, only more room does.
    const r = await runCliAsync(backfillArgs(`${dir.dir}/burst.duckdb`, 'ws-burst', ['--since', '2025-11-01T00:00:00Z', '--until', '2025-11-01T01:00:00Z',
      '--tables', 'AZKVAuditLogs', '--max-rows', '10', '--min-slice', '1m', '--no-detect']), { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/AZKVAuditLogs .* is still too large in a slice of 60 s \(more than 10 rows\); raise --max-rows/);
  });

  it('stops on throttling past the SDK\'s retries, saying so, rather than halving slices into a misleading "too large"', async () => {
    peer.options.throttle = true;
    const before = peer.throttled;
    try {
      const r = await runCliAsync(backfillArgs(`${dir.dir}/throttled.duckdb`, 'ws-bulk', ['--since', '2025-11-01T00:00:00Z', '--until', '2025-11-02T00:00:00Z',
        '--tables', 'AZKVAuditLogs', '--no-detect']), { env });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/throttled the query of AZKVAuditLogs .* \(HTTP 429\) after retrying: run backfill again later/);
      expect(r.stderr).not.toMatch(/too large/);
      // The SDK retried (Retry-After: 0) before giving up; then nothing was split and asked again.
      expect(peer.throttled - before).toBeGreaterThan(1);
      expect(peer.throttled - before).toBeLessThan(10);
    } finally {
      peer.options.throttle = undefined;
    }
  });

  it('killed midway (kill -9) and run again, ends with each row once, querying only what was not done', async () => {
    const db = `${dir.dir}/killed.duckdb`;
    const args = backfillArgs(db, 'ws-bulk', ['--since', '2025-11-01T00:00:00Z', '--until', '2025-11-03T00:00:00Z', '--tables', 'AZKVAuditLogs', '--slice', '1h', '--no-detect']);
    peer.options.delayMs = 120;
    const first = peer.queries.length;
    try {
      const child = spawn(process.execPath, [resolve(repoRoot, 'bin/auditlake.js'), ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      while (peer.queries.length - first < 20) await new Promise((r) => setTimeout(r, 25));
      child.kill('SIGKILL');
      await exited;
    } finally {
      peer.options.delayMs = undefined;
    }
    const askedBeforeKill = peer.queries.length - first;
    expect(askedBeforeKill).toBeLessThan(48);
    const rerun = await backfill(db, 'ws-bulk', ['--since', '2025-11-01T00:00:00Z', '--until', '2025-11-03T00:00:00Z', '--tables', 'AZKVAuditLogs', '--slice', '1h', '--no-detect']);
    expect(rerun.queries).toBeLessThan(48); // the hours committed before the kill were not asked again
    expect(await queryJsonAsync(db, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events')).toEqual([{ n: 1200, d: 1200 }]);
  });

  it('keeps numbers a double cannot hold (1e400 in a dynamic cell, which the SDK parses to Infinity) as written, as a streamed record\'s raw does', async () => {
    // Before: the SDK's JSON.parse made 1e400 Infinity, and the stored record said null, with no reject.
    const db = `${dir.dir}/numbers.duckdb`;
    const summary = await backfill(db, 'ws-numbers', ['--since', '2025-11-14T00:00:00Z', '--until', '2025-11-15T00:00:00Z']);
    expect(summary).toMatchObject({ rows: 1, stored: 1, rejected: 0 });
    const [row] = await queryJsonAsync(db, 'SELECT raw FROM events');
    const raw = String(row!.raw);
    expect(raw).toContain('"weird":1e400');
    expect(raw).toContain('"tiny":-1e-400');
    expect(raw).toContain('"big":9007199254740993');
    expect(raw).toContain('"sku":"standard"');
  });

  it('teaches baselines: a principal seen in the backfilled history is not first-seen when it streams in', async () => {
    // Xavier reads the vault on day 9, streamed (an Event Hubs record replayed).
    const xavierStreamed = writeFile(dir.dir, 'xavier.json', JSON.stringify({ records: [{
      time: new Date(HISTORY_START + 9 * DAY + 10 * 3_600_000).toISOString(), resourceId: VAULT.toUpperCase(), operationName: 'SecretGet',
      operationVersion: '7.4', category: 'AuditEvent', resultType: 'Success', resultSignature: 'OK', durationMs: '9', callerIpAddress: '198.51.100.20',
      correlationId: 'c0ffee00-0000-4000-8000-00000000xavi', identity: { claim: XAVIER },
      properties: { id: 'https://kv-hist.vault.azure.net/secrets/db-password/1', httpStatusCode: 200, clientInfo: 'curl/8.5.0' },
    }] }));
    const firstSeen = async (db: string) => (await queryJsonAsync(db, "SELECT principal_id FROM alerts WHERE detector_id = 'keyvault.first-seen-principal'")).map((r) => r.principal_id);
    const since = ['--since', new Date(HISTORY_START).toISOString(), '--until', new Date(HISTORY_START + 9 * DAY).toISOString()];

    const withHistory = `${dir.dir}/history-x.duckdb`;
    await backfill(withHistory, 'ws-history-x', since);
    await replayAsync(withHistory, [xavierStreamed], { detect: true });
    expect(await firstSeen(withHistory)).not.toContain(XAVIER.oid);

    const withoutXavier = `${dir.dir}/history.duckdb`;
    await backfill(withoutXavier, 'ws-history', since);
    await replayAsync(withoutXavier, [xavierStreamed], { detect: true });
    expect(await firstSeen(withoutXavier)).toContain(XAVIER.oid);
  });
});
