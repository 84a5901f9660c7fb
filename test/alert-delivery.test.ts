/**
 * Alerts to Microsoft Sentinel through the real LogsIngestionClient and ClientSecretCredential,
 * from the real CLI, against a local HTTPS peer playing the Entra token endpoint and the data
 * collection endpoint: outages (500, 429 with Retry-After, a hang, refused connections) delay
 * delivery but lose nothing, and a kill -9 mid-delivery re-sends under the same AlertId.
 */
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { SENTINEL_COLUMNS } from '../src/sinks/sentinel.js';
import { runCliAsync } from './support/cli.js';
import { queryJsonAsync, tempDir } from './support/db.js';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { startHttpsPeer, testCertificate, tokenEndpoint, type HttpsPeer } from './support/https-peer.js';
import { eventually, freePort, startRun, writeConfig } from './support/service.js';

const RULE = 'dcr-00112233445566778899aabbccddeeff';
const STREAM = 'Custom-AuditLakeAlerts_CL';
const CLIENT_SECRET = 'test-client-secret-value';
const tmp = tempDir('auditlake-delivery-');

type Mode = 'ok' | '500' | '429' | 'hang';

/** A Sentinel endpoint (and the Entra token endpoint on the same host), with what it received: one per test, so the tests can run at once. */
interface SentinelPeer {
  peer: HttpsPeer;
  entra: ReturnType<typeof tokenEndpoint>;
  /** What the endpoint does with the next requests, in order; then 'ok'. */
  script: Mode[];
  received: Array<{ path: string; authorization: string | undefined; rows: Array<Record<string, unknown>> }>;
  hanging: Array<() => void>;
  deliveredIds(): string[];
  close(): Promise<void>;
}

async function startSentinelPeer(port?: number): Promise<SentinelPeer> {
  const entra = tokenEndpoint();
  const script: Mode[] = [];
  const received: SentinelPeer['received'] = [];
  const hanging: Array<() => void> = [];
  const peer = await startHttpsPeer((req, body, res) => {
    if (entra.handle(req, body, res)) return;
    const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString('utf8') : body.toString('utf8');
    received.push({ path: req.url ?? '', authorization: req.headers.authorization, rows: JSON.parse(text) as Array<Record<string, unknown>> });
    const mode = script.shift() ?? 'ok';
    if (mode === 'hang') { hanging.push(() => res.destroy()); return; }
    if (mode === '500') { res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"InternalServerError"}}'); return; }
    if (mode === '429') { res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"error":{"code":"TooManyRequests"}}'); return; }
    res.writeHead(204).end();
  }, port === undefined ? {} : { port });
  return {
    peer, entra, script, received, hanging,
    deliveredIds: () => [...new Set(received.flatMap((r) => r.rows.map((row) => String(row.AlertId))))].sort(),
    close: async () => {
      for (const h of hanging.splice(0)) h();
      await peer.close();
    },
  };
}

function config(db: string, endpoint: string, extra: object = {}) {
  return {
    db,
    azure: { credential: { kind: 'clientSecret', tenantId: 'tenant-1', clientId: 'client-1', clientSecret: '${TEST_CLIENT_SECRET}', authorityHost: endpoint } },
    sinks: { sentinel: [{ endpoint, ruleId: RULE, timeoutSeconds: 2, maxBatch: 4 }] },
    delivery: { initialBackoffSeconds: 0.2, maxBackoffSeconds: 1, replayDeadlineSeconds: 30 },
    ...extra,
  };
}

// Every peer of this test process serves the same certificate (testCertificate), so one trust file does for all.
const env = { NODE_EXTRA_CA_CERTS: testCertificate().file, TEST_CLIENT_SECRET: CLIENT_SECRET };
afterAll(() => tmp.cleanup());

// Never a blocking child process here: the tests' peers share this process's event loop.
const alertIds = async (db: string) => (await queryJsonAsync(db, 'SELECT alert_id FROM alerts ORDER BY alert_id')).map((r) => String(r.alert_id));

async function replayWith(file: string, paths: string[]) {
  const r = await runCliAsync(['replay', '--json', '--quiet', '--config', file, ...paths], { env, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`replay exited ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout) as { delivery?: { delivered: number; pending: number } };
}

// Concurrent: each test has its own endpoint, database and files; much of each is waiting (a
// hung request's time limit, Retry-After, backoff, a refusing endpoint's deadline).
describe.concurrent('alert delivery to Sentinel (Logs Ingestion API)', () => {
  it('rides out a 500, a 429 with Retry-After and a hung request, and delivers every alert with the right columns', async () => {
    const { peer, entra, script, received, deliveredIds, close } = await startSentinelPeer();
    try {
      script.push('500', '429', 'hang');
      const db = join(tmp.dir, 'outage.duckdb');
      const summary = await replayWith(writeConfig(tmp.dir, config(db, peer.url), 'outage.yaml'), ['fixtures/demo']);
      const ids = await alertIds(db);
      expect(ids.length).toBeGreaterThan(5);
      expect(summary.delivery).toEqual({ delivered: ids.length, pending: 0 });
      expect(deliveredIds()).toEqual(ids);
      expect(received.length).toBeGreaterThanOrEqual(Math.ceil(ids.length / 4) + 3);
      for (const r of received) {
        expect(r.path).toMatch(new RegExp(`^/dataCollectionRules/${RULE}/streams/${STREAM}\\?api(-|%2D)version=`));
        expect(r.authorization).toBe(`Bearer ${entra.accessToken}`);
      }
      expect(entra.requests[0]).toMatchObject({ clientId: 'client-1', clientSecret: CLIENT_SECRET, scope: 'https://monitor.azure.com/.default' });
      const row = received.at(-1)!.rows[0]!;
      expect(Object.keys(row).sort()).toEqual(SENTINEL_COLUMNS.map((c) => c.name).filter((n) => n in row).sort());
      expect(row).toMatchObject({ AlertId: expect.any(String), DetectorId: expect.stringMatching(/^[a-z]+\.[a-z-]+$/), Severity: expect.stringMatching(/^(Informational|Low|Medium|High)$/) });
    } finally {
      await close();
    }
  });

  it('keeps alerts pending while the endpoint refuses connections, lists them, and delivers them once it is back', async () => {
    const port = await freePort();
    const endpoint = `https://127.0.0.1:${port}`;
    const db = join(tmp.dir, 'down.duckdb');
    // The deadline bounds the first replay's retries against the refused port, and gives the second replay's
    // deliveries room on a loaded machine (the file's tests run side by side).
    const file = writeConfig(tmp.dir, config(db, endpoint, { delivery: { initialBackoffSeconds: 0.2, maxBackoffSeconds: 1, replayDeadlineSeconds: 6 } }), 'down.yaml');
    const first = await replayWith(file, ['fixtures/demo']);
    const ids = await alertIds(db);
    expect(first.delivery).toEqual({ delivered: 0, pending: ids.length });
    const pending = await runCliAsync(['alerts', '--pending', '--config', file, '--db', db, '--format', 'json'], { env });
    const rows = JSON.parse(pending.stdout) as Array<{ sink: string; alert_id: string; attempts: number; last_error: string }>;
    expect(rows.map((r) => r.alert_id).sort()).toEqual(ids);
    expect(rows[0]).toMatchObject({ sink: 'sentinel', attempts: expect.any(Number) });
    // The token endpoint is the same refusing host: the attempt ends at the sink's time limit or in a connection error.
    expect(rows[0]!.last_error).toMatch(/ECONNREFUSED|could not reach|no answer within \d+ s/);

    const back = await startSentinelPeer(port);
    try {
      const second = await replayWith(file, ['fixtures/demo']);
      expect(second.delivery).toEqual({ delivered: ids.length, pending: 0 });
      expect(back.deliveredIds()).toEqual(ids);
      const none = await runCliAsync(['alerts', '--pending', '--config', file, '--db', db, '--format', 'json'], { env });
      expect(JSON.parse(none.stdout)).toEqual([]);
      // An operator asks for them again (the SOC lost a day, say): pending once more, for that sink only.
      const again = await runCliAsync(['alerts', 'redeliver', '--sink', 'sentinel', '--since', '3650d', '--db', db]);
      expect(again.stdout).toBe(`${ids.length} alerts will be delivered to sentinel again.\n`);
      const listed = await runCliAsync(['alerts', '--pending', '--db', db, '--format', 'json']);
      expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(ids.length);
    } finally {
      await back.close();
    }
  });

  it('loses nothing when run is killed mid-delivery: after a restart every alert arrives, re-sent rows under the same AlertId', async () => {
    const db = join(tmp.dir, 'killed.duckdb');
    // The alerts are already in the database (raised by a replay without sinks): run's loop delivers them.
    expect((await runCliAsync(['replay', '--quiet', '--db', db, 'fixtures/demo'])).code).toBe(0);
    const ids = await alertIds(db);
    const { peer, entra, script, received, hanging, deliveredIds, close } = await startSentinelPeer();
    const hub: EventHubsPeer = await startEventHubsPeer({ hubs: { quiet: 1 } });
    try {
      const file = writeConfig(tmp.dir, config(db, peer.url, {
        sources: { eventhubs: [{ connectionString: hub.connectionString('quiet'), hubs: ['quiet'] }] },
        server: { port: 0 },
        delivery: { pollSeconds: 0.2, initialBackoffSeconds: 0.2, maxBackoffSeconds: 1 },
      }), 'killed.yaml');
      script.push('ok', 'hang');
      const first = startRun(file, [], env);
      await eventually(() => hanging.length > 0, 60_000, 'a request to hang');
      await first.stop('SIGKILL');
      const inFlight = received.at(-1)!.rows.map((r) => String(r.AlertId));

      const second = startRun(file, [], env);
      await eventually(() => deliveredIds().length === ids.length && received.length > 2, 60_000, 'every alert to arrive');
      await eventually(async () => (JSON.parse((await runCliAsync(['alerts', '--pending', '--db', db, '--format', 'json'], { env })).stdout) as unknown[]).length === 0, 30_000, 'nothing pending');
      await second.stop('SIGTERM');
      expect(deliveredIds()).toEqual(ids);
      // The batch that hung was sent again: the same AlertIds, delivered twice, harmless downstream.
      const times = (id: string) => received.filter((r) => r.rows.some((row) => row.AlertId === id)).length;
      for (const id of inFlight) expect(times(id)).toBe(2);
      expect(second.output()).not.toContain(CLIENT_SECRET);
      expect(second.output()).not.toContain(entra.accessToken);
    } finally {
      await Promise.all([hub.close(), close()]);
    }
  });
});
