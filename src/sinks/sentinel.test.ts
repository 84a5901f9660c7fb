import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startLogsIngestionPeer, type LogsIngestionPeer } from '../../test/support/logs-ingestion-peer.js';
import { credentialFrom } from '../azure/credential.js';
import type { AlertRow } from '../detectors/alert.js';
import { createLogger } from '../service/log.js';
import {
  createSentinelSink,
  MAX_FIELD_BYTES,
  MAX_REQUEST_BYTES,
  SENTINEL_COLUMNS,
  sentinelRow,
  sentinelTactic,
  splitRows,
} from './sentinel.js';
import { sentinelSchema, type SentinelSinkConfig } from './sentinel-config.js';
import { SinkError, type Sink } from './sink.js';

const RULE_ID = 'dcr-00112233445566778899aabbccddeeff';
const CLIENT_SECRET = 'peer-client-secret-Zq7~xY.9';
const RESOURCE = '/subscriptions/6f1c2a4e-0b7d-4c33-9a1e-2d5f8e7c1b90/resourcegroups/ml-prod/providers/microsoft.keyvault/vaults/kv-ml-prod';

function alert(overrides: Partial<AlertRow> = {}): AlertRow {
  return {
    alert_id: 'a1f3c9e2b7d54e10',
    detector_id: 'keyvault.list-then-get',
    title: 'Secrets listed, then read in bulk, by one principal',
    severity: 'high',
    tactics: ['Credential Access'],
    techniques: ['T1555.006'],
    time_generated: Date.parse('2025-11-14T01:52:10.000Z'),
    first_event_time: Date.parse('2025-11-14T01:48:53.000Z'),
    last_event_time: Date.parse('2025-11-14T01:51:02.250Z'),
    principal_id: '3c8f0a52-7d1e-4f6b-9a24-6e0b1d9c5f33',
    principal_name: 'mei.chen@contoso-research.example',
    app_id: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
    caller_ip: '203.0.113.45',
    resource_id: RESOURCE,
    event_count: 13,
    evidence: { event_ids: ['e1', 'e2', 'e3'], secrets_read: 12, distinct_secrets: 12, baseline_daily_reads: 0.4 },
    description: 'mei.chen@contoso-research.example listed the secrets of kv-ml-prod and then read 12 of them within 10 minutes.',
    remediation: 'Confirm with the principal; if unexpected, rotate the secrets read and review the principal\'s sign-ins.',
    ...overrides,
  };
}

const alerts = (n: number, size = 0): AlertRow[] =>
  Array.from({ length: n }, (_, i) => alert({
    alert_id: `alert-${String(i).padStart(5, '0')}`,
    evidence: { event_ids: Array.from({ length: 10 }, (_, j) => `${i}-${j}-${'e'.repeat(40)}`), note: 'x'.repeat(size) },
  }));

let peer: LogsIngestionPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

async function setup(config: Partial<SentinelSinkConfig> = {}, token = {}): Promise<{ peer: LogsIngestionPeer; sink: Sink }> {
  peer = await startLogsIngestionPeer({ token });
  return { peer, sink: makeSink(peer, config) };
}

/** The real LogsIngestionClient and a real ClientSecretCredential, both trusting the peer. */
function makeSink(p: LogsIngestionPeer, config: Partial<SentinelSinkConfig> = {}): Sink {
  const parsed = sentinelSchema.parse({ endpoint: p.url, ruleId: RULE_ID, ...config });
  return createSentinelSink(parsed, {
    name: 'sentinel',
    credential: () => credentialFrom(
      { kind: 'clientSecret', tenantId: 'tenant-1', clientId: 'client-1', clientSecret: CLIENT_SECRET, authorityHost: p.url },
      { tlsOptions: { ca: p.ca } },
    ),
    log: createLogger('silent'),
  }, { tlsOptions: { ca: p.ca } });
}

const never = (): AbortSignal => new AbortController().signal;

async function sendError(sink: Sink, batch: AlertRow[], signal = never()): Promise<SinkError> {
  const err = await sink.send(batch, signal).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SinkError);
  return err as SinkError;
}

describe('sentinelSchema', () => {
  it('fills the defaults and checks the DCR id and the endpoint', () => {
    expect(sentinelSchema.parse({ endpoint: 'https://x.westeurope-1.ingest.monitor.azure.com', ruleId: RULE_ID })).toEqual({
      endpoint: 'https://x.westeurope-1.ingest.monitor.azure.com', ruleId: RULE_ID, streamName: 'Custom-AuditLakeAlerts_CL', timeoutSeconds: 30, maxBatch: 500,
    });
    const issue = (input: object): string => {
      const r = sentinelSchema.safeParse({ endpoint: 'https://x.ingest.monitor.azure.com', ruleId: RULE_ID, ...input });
      return r.success ? 'ok' : `${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`;
    };
    expect(issue({ ruleId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Insights/dataCollectionRules/z' })).toBe('ruleId: expected the DCR immutable id: dcr- and 32 hex digits');
    expect(issue({ endpoint: 'http://x.ingest.monitor.azure.com' })).toBe('endpoint: expected the https:// logs ingestion endpoint of the DCE or DCR');
    expect(issue({ streamName: 'AuditLakeAlerts_CL' })).toBe('streamName: expected a custom stream name: Custom-<name>');
    expect(issue({ minSeverity: 'medium', name: 'soc' })).toBe('ok');
    expect(issue({ workspaceId: 'x' })).toMatch(/^: Unrecognized key/);
  });
});

describe('sentinelRow', () => {
  it('maps an alert to the columns of AuditLakeAlerts_CL', () => {
    const { row, truncated } = sentinelRow(alert());
    expect(truncated).toEqual([]);
    expect(row).toEqual({
      TimeGenerated: '2025-11-14T01:52:10.000Z',
      AlertId: 'a1f3c9e2b7d54e10',
      DetectorId: 'keyvault.list-then-get',
      AlertName: 'Secrets listed, then read in bulk, by one principal',
      Severity: 'High',
      Tactics: ['CredentialAccess'],
      Techniques: ['T1555.006'],
      StartTime: '2025-11-14T01:48:53.000Z',
      EndTime: '2025-11-14T01:51:02.250Z',
      AccountObjectId: '3c8f0a52-7d1e-4f6b-9a24-6e0b1d9c5f33',
      AccountUPN: 'mei.chen@contoso-research.example',
      AccountName: 'mei.chen@contoso-research.example',
      AccountAppId: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      IPAddress: '203.0.113.45',
      AzureResourceId: RESOURCE,
      SubscriptionId: '6f1c2a4e-0b7d-4c33-9a1e-2d5f8e7c1b90',
      EventCount: 13,
      Description: alert().description,
      Remediation: alert().remediation,
      Evidence: alert().evidence,
    });
    // Every value has its column's type.
    for (const { name, type } of SENTINEL_COLUMNS) {
      const v = row[name];
      if (type === 'datetime') expect(new Date(v as string).toISOString(), name).toBe(v);
      if (type === 'int') expect(Number.isInteger(v), name).toBe(true);
      if (type === 'string') expect(typeof v, name).toBe('string');
      if (type === 'dynamic') expect(typeof v, name).toBe('object');
    }
  });

  it('keeps a non-UPN name as AccountName only and leaves absent values out', () => {
    const { row } = sentinelRow(alert({ principal_name: 'deploy-pipeline', principal_id: null, app_id: null, caller_ip: null, resource_id: null, severity: 'informational', tactics: ['Command and Control', 'Privilege Escalation'] }));
    expect(row.AccountName).toBe('deploy-pipeline');
    expect(Object.keys(row)).not.toContain('AccountUPN');
    for (const k of ['AccountObjectId', 'AccountAppId', 'IPAddress', 'AzureResourceId', 'SubscriptionId']) expect(Object.keys(row)).not.toContain(k);
    expect(row.Severity).toBe('Informational');
    expect(row.Tactics).toEqual(['CommandAndControl', 'PrivilegeEscalation']);
    expect(sentinelTactic('Initial Access')).toBe('InitialAccess');
  });

  it('cuts every field to 32 KB of JSON; oversize evidence stays a parseable object with its first event ids', () => {
    const ids = Array.from({ length: 50 }, (_, i) => `${String(i).padStart(2, '0')}${'f'.repeat(62)}`);
    const objects = Array.from({ length: 50_000 }, (_, i) => `/mlprod/datasets/train/part-${String(i).padStart(6, '0')}.parquet`);
    const evidence = { bytes_out: 5.2e9, baseline_bytes: 1.1e6, objects, event_ids: ids, raw_sample: '"quoted" \u0001 '.repeat(200_000) };
    expect(Buffer.byteLength(JSON.stringify(evidence))).toBeGreaterThan(5_000_000);
    const { row, truncated } = sentinelRow(alert({ evidence, description: 'é'.repeat(100_000), title: '😀'.repeat(20_000) }));
    expect(truncated.sort()).toEqual(['AlertName', 'Description', 'Evidence']);
    for (const [k, v] of Object.entries(row)) expect(Buffer.byteLength(JSON.stringify(v)), k).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    const e = JSON.parse(JSON.stringify(row.Evidence)) as Record<string, unknown>;
    expect(e.truncated).toBe(true);
    expect(e.event_ids).toEqual(ids);
    expect(e.bytes_out).toBe(5.2e9);
    expect(e.baseline_bytes).toBe(1.1e6);
    expect((e.objects as string[]).length).toBeGreaterThan(10);
    expect(e.objects as string[]).toEqual(objects.slice(0, (e.objects as string[]).length));
    expect(e.truncation).toMatchObject({ original_bytes: Buffer.byteLength(JSON.stringify(evidence)) });
    expect((e.truncation as { shortened?: object; omitted?: string[] })).toMatchObject({ shortened: { objects: 50_000 } });
    expect(row.Description).toMatch(/^é+ …\[truncated by auditlake: 200000 bytes\]$/);
    expect(row.AlertName).toMatch(/^(😀)+ …\[truncated by auditlake: 80000 bytes\]$/u); // whole code points only
  });
});

describe('splitRows', () => {
  it('keeps each JSON array, brackets and commas included, within the limit', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ i, pad: 'p'.repeat(i % 97) }));
    for (const max of [200, 1000, 4096]) {
      const groups = splitRows(rows, max);
      expect(groups.flat()).toEqual(rows);
      for (const g of groups) expect(Buffer.byteLength(JSON.stringify(g))).toBeLessThanOrEqual(max);
      for (const [i, g] of groups.slice(0, -1).entries()) { // a group closes only when the next row would not fit
        expect(Buffer.byteLength(JSON.stringify([...g, groups[i + 1]![0]]))).toBeGreaterThan(max);
      }
    }
    expect(splitRows([{ big: 'x'.repeat(500) }, { a: 1 }], 100)).toEqual([[{ big: 'x'.repeat(500) }], [{ a: 1 }]]); // alone, never dropped
  });
});

describe('createSentinelSink against a local Logs Ingestion endpoint', () => {
  it('uploads gzipped rows to /dataCollectionRules/{id}/streams/{stream} with the bearer token from Entra', async () => {
    const { peer, sink } = await setup({ minSeverity: 'medium' });
    expect(sink.name).toBe('sentinel');
    expect(sink.maxBatch).toBe(500);
    expect(sink.accepts(alert({ severity: 'low' }))).toBe(false);
    expect(sink.accepts(alert({ severity: 'medium' }))).toBe(true);

    const batch = [alert(), alert({ alert_id: 'b2', principal_name: 'svc-trainer', severity: 'medium' })];
    await sink.send(batch, never());

    expect(peer.entra.requests).toEqual([expect.objectContaining({
      tenant: 'tenant-1', grantType: 'client_credentials', clientId: 'client-1', clientSecret: CLIENT_SECRET,
      scope: 'https://monitor.azure.com/.default', // what the SDK asks for: the audience + '/.default'
    })]);
    expect(peer.uploads).toHaveLength(1);
    const up = peer.uploads[0]!;
    const request = peer.http.requests.find((r) => r.path.startsWith('/dataCollectionRules/'))!;
    expect(request.method).toBe('POST');
    // The SDK's URL template writes the query key as `api%2Dversion`; servers decode it to api-version.
    const url = new URL(request.path, peer.url);
    expect(url.pathname).toBe(`/dataCollectionRules/${RULE_ID}/streams/Custom-AuditLakeAlerts_CL`);
    expect([...url.searchParams]).toEqual([['api-version', '2023-01-01']]);
    expect([up.ruleId, up.stream, up.apiVersion]).toEqual([RULE_ID, 'Custom-AuditLakeAlerts_CL', '2023-01-01']);
    expect(up.headers.authorization).toBe(`Bearer ${peer.entra.accessToken}`);
    expect(up.headers['content-encoding']).toBe('gzip');
    expect(up.headers['content-type']).toMatch(/^application\/json/);
    expect(up.headers['user-agent']).toMatch(/^auditlake /);
    expect(up.rows).toEqual(batch.map((a) => sentinelRow(a).row));
    const names = new Set<string>(SENTINEL_COLUMNS.map((c) => c.name));
    expect(Object.keys(up.rows[0]!).sort()).toEqual([...names].sort()); // a full alert fills every column
    expect(up.rows[1]).toMatchObject({ AlertId: 'b2', AccountName: 'svc-trainer', Severity: 'Medium' });
    expect(up.rows[1]).not.toHaveProperty('AccountUPN');

    await sink.send([alert({ event_count: 20 })], never()); // an update: same AlertId, token reused
    expect(peer.entra.requests).toHaveLength(1);
    expect(peer.uploads[1]!.rows[0]).toMatchObject({ AlertId: 'a1f3c9e2b7d54e10', EventCount: 20 });
  });

  it('splits 10,000 alerts into requests under 1 MB, in order, none lost', async () => {
    const { peer, sink } = await setup({ maxBatch: 10_000 });
    const batch = alerts(10_000, 600);
    await sink.send(batch, never());
    expect(peer.uploads.length).toBeGreaterThan(10);
    for (const [i, up] of peer.uploads.entries()) {
      expect(up.status).toBe(204);
      expect(up.rawBytes).toBeLessThan(1_000_000); // on the wire (gzipped)
      expect(up.jsonBytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES); // uncompressed
      if (i < peer.uploads.length - 1) expect(up.jsonBytes).toBeGreaterThan(MAX_REQUEST_BYTES * 0.99); // and not needlessly small
      expect(Number(up.headers['content-length'])).toBe(up.rawBytes);
    }
    expect(peer.uploads.flatMap((u) => u.rows.map((r) => r.AlertId))).toEqual(batch.map((a) => a.alert_id));
  });

  it('truncates an alert with 5 MB of evidence rather than have it rejected', async () => {
    const { peer, sink } = await setup();
    const ids = Array.from({ length: 50 }, (_, i) => `evt-${i}`);
    const huge = alert({ evidence: { event_ids: ids, blobs: Array.from({ length: 100_000 }, (_, i) => `/mlprod/raw/${i}-${'b'.repeat(40)}`), total_bytes: 9e9 } });
    expect(Buffer.byteLength(JSON.stringify(huge.evidence))).toBeGreaterThan(5_000_000);
    await sink.send([huge, alert({ alert_id: 'small' })], never());
    expect(peer.uploads).toHaveLength(1);
    const [row, small] = peer.uploads[0]!.rows;
    for (const [k, v] of Object.entries(row!)) expect(Buffer.byteLength(JSON.stringify(v)), k).toBeLessThanOrEqual(MAX_FIELD_BYTES);
    expect(row!.Evidence).toMatchObject({ truncated: true, event_ids: ids, total_bytes: 9e9, truncation: { shortened: { blobs: 100_000 } } });
    expect(small).toMatchObject({ AlertId: 'small', Evidence: alert().evidence });
  });

  it('a 500 fails the send once (no SDK retries: the outbox retries); the next send succeeds', async () => {
    const { peer, sink } = await setup();
    peer.replies.push({ status: 500, error: { code: 'InternalServerError', message: 'An internal error occurred.' } });
    const err = await sendError(sink, [alert()]);
    expect(err.message).toMatch(/^sentinel \(127\.0\.0\.1:\d+, dcr-0011\S+\/Custom-AuditLakeAlerts_CL\): Logs Ingestion answered HTTP 500 InternalServerError: An internal error occurred\. \(0 of 1 alerts sent\)$/);
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.code).toBe('sink_unavailable');
    expect(peer.uploads.map((u) => u.status)).toEqual([500]);
    await sink.send([alert()], never());
    expect(peer.uploads.map((u) => u.status)).toEqual([500, 204]);
    expect(peer.uploads[1]!.rows[0]!.AlertId).toBe('a1f3c9e2b7d54e10');
  });

  it('a 429 with Retry-After becomes retryAfterMs, without the SDK sleeping on it', async () => {
    const { peer, sink } = await setup();
    peer.replies.push({ status: 429, headers: { 'retry-after': '120' }, error: { code: 'TooManyRequests', message: 'Rate limit exceeded for the DCR.' } });
    const started = Date.now();
    const err = await sendError(sink, [alert()]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.retryAfterMs).toBe(120_000);
    expect(err.message).toMatch(/HTTP 429 TooManyRequests: Rate limit exceeded for the DCR\./);
    expect(peer.uploads).toHaveLength(1);

    peer.replies.push({ status: 503, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } });
    const unavailable = await sendError(sink, [alert()]);
    expect(unavailable.retryAfterMs).toBeGreaterThan(25_000);
    expect(unavailable.retryAfterMs).toBeLessThanOrEqual(30_000);
    peer.replies.push({ status: 429, headers: { 'retry-after-ms': '1500' } });
    expect((await sendError(sink, [alert()])).retryAfterMs).toBe(1500);
    peer.replies.push({ status: 429 }); // no header: the outbox's own backoff
    expect((await sendError(sink, [alert()])).retryAfterMs).toBeUndefined();
  });

  it('stops a batch at the first failed request and says how far it got', async () => {
    const { peer, sink } = await setup({ maxBatch: 5000 });
    peer.replies.push({ status: 204 }, { status: 403, error: { code: 'Forbidden', message: 'The authentication token provided does not have access to ingest data for the data collection rule.' } });
    const batch = alerts(3000, 600);
    const err = await sendError(sink, batch);
    expect(peer.uploads).toHaveLength(2);
    const first = peer.uploads[0]!.rows.length;
    expect(err.message).toContain(`HTTP 403 Forbidden (the identity needs 'Monitoring Metrics Publisher' on the DCR)`);
    expect(err.message).toContain(`(${first} of 3000 alerts sent)`);
  });

  it('aborts a hanging endpoint at timeoutSeconds, and on the caller\'s signal', async () => {
    const { peer, sink } = await setup({ timeoutSeconds: 0.5 });
    peer.replies.push('hang');
    const started = Date.now();
    const err = await sendError(sink, [alert()]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.message).toMatch(/: no answer within 0\.5 s \(0 of 1 alerts sent\)$/);
    expect(err.retryAfterMs).toBeUndefined();

    const patient = makeSink(peer, { timeoutSeconds: 60 });
    peer.replies.push('hang');
    const stop = new AbortController();
    setTimeout(() => stop.abort(new SinkError('shutting down')), 300);
    const aborted = await sendError(patient, [alert()], stop.signal);
    expect(aborted.message).toMatch(/: upload aborted \(0 of 1 alerts sent\)$/);
  });

  it('an unreachable endpoint or a refused credential is a SinkError that quotes neither token nor secret', async () => {
    const { peer: up, sink } = await setup();
    await sink.send([alert()], never());
    const token = up.entra.accessToken;
    up.replies.push({ status: 401, error: { code: 'InvalidToken', message: 'The provided token is not valid.' } });
    const refused = await sendError(sink, [alert()]);
    expect(refused.message).toContain('HTTP 401 InvalidToken (the token was refused)');
    for (const text of [refused.message, inspect(refused, { depth: 10 }), JSON.stringify(refused)]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(CLIENT_SECRET);
    }
    await up.close();
    peer = undefined;
    const down = await sendError(sink, [alert()]);
    expect(down.message).toMatch(/: could not reach the endpoint: .*ECONNREFUSED/);

    const { sink: badSecret } = await setup({}, { failWith: { status: 401, error: 'invalid_client', description: 'AADSTS7000215: Invalid client secret provided.' } });
    const auth = await sendError(badSecret, [alert()]);
    expect(auth.message).toMatch(/: could not get a token for Azure Monitor: .*AADSTS7000215/);
    for (const text of [auth.message, inspect(auth, { depth: 10 })]) expect(text).not.toContain(CLIENT_SECRET);
  });
});

