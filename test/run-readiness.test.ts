/**
 * `GET /readyz` of `auditlake run` says whether each source consumes now, from its client's
 * own signals, against the real peers: blob checkpoints that Azurite refuses, an Event Hubs
 * namespace (the AMQP peer) that goes away and comes back, an idle hub, and a Kafka broker
 * (librdkafka's mock cluster) that goes away. The runs are independent and run at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccountSASPermissions, AccountSASResourceTypes, AccountSASServices, generateAccountSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT_KEY, AZURITE_ACCOUNT_NAME, startAzurite, type AzuriteInstance } from './support/azurite.js';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { startKafkaMock, type KafkaMock } from './support/kafka-mock.js';
import { startMuteProxy } from './support/mute-proxy.js';
import { tempDir } from './support/db.js';
import { eventually, freePort, recordsFrom, SCENARIO_DAYS, startRun, toBodies, writeConfig, type RunningService } from './support/service.js';

/** The Event Hubs peer's SharedAccessKey: never in a log line, /readyz or /metrics. */
const PEER_KEY = 'not-a-secret';
/** A storage account key that is not Azurite's, base64 like a real one. */
const WRONG_KEY = Buffer.from('readiness-wrong-account-key-0123456789').toString('base64');

let peer: EventHubsPeer;
let azurite: AzuriteInstance;
const tmp = tempDir('auditlake-readiness-');
const runs: RunningService[] = [];

beforeAll(async () => {
  [peer, azurite] = await Promise.all([startEventHubsPeer({ hubs: { idle: 2, refused: 1 } }), startAzurite()]);
});
afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop('SIGKILL')));
  await Promise.all([peer?.close(), azurite?.close()]);
  tmp.cleanup();
});

/** Starts `auditlake run` with its server on a free port; resolves with how to ask it. */
async function run(name: string, sources: object) {
  const db = join(tmp.dir, `${name}.duckdb`);
  const service = startRun(writeConfig(tmp.dir, { db, sources, server: { port: 0 }, service: { shutdownTimeoutSeconds: 10 } }, `${name}.yaml`));
  runs.push(service);
  await service.waitForLog((l) => l.msg.startsWith('Server listening'), 30_000);
  const { url } = JSON.parse(readFileSync(`${db}.server.json`, 'utf8')) as { url: string };
  const token = readFileSync(`${db}.token`, 'utf8').trim();
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, text: await res.text() };
  };
  const readyz = async () => {
    const { status, text } = await get('/readyz');
    return { status, text, body: JSON.parse(text) as { status?: string; error?: string; sources?: Record<string, string> } };
  };
  return { service, db, token, get, readyz };
}

/** Polls /readyz until it answers `status`; returns the answer and when it came. */
async function readyzBecomes(r: Awaited<ReturnType<typeof run>>, status: number, timeoutMs: number) {
  let last: Awaited<ReturnType<typeof r.readyz>> | undefined;
  await eventually(async () => (last = await r.readyz()).status === status, timeoutMs, `/readyz ${status}`).catch((err: Error) => {
    throw new Error(`${err.message}; it answered ${last?.status} ${last?.text}`);
  });
  return { ...last!, atMs: Date.now() };
}

const eventhubs = (connectionString: string, hubs: string[], extra: object = {}) => ({
  connectionString, hubs, maxWaitTimeSeconds: 0.2, ...extra,
});

describe.concurrent('auditlake run: /readyz follows consumption', () => {
  it('blob checkpoints Azurite refuses (a wrong account key; a SAS that cannot list): 503 naming those sources and why, no secret anywhere; a healthy idle source beside them stays ready', async () => {
    // Account SAS that may create the container but not list or write blobs: the source starts,
    // then the processor's every ownership listing is refused (it was 200 then).
    const sas = generateAccountSASQueryParameters({
      services: AccountSASServices.parse('b').toString(),
      resourceTypes: AccountSASResourceTypes.parse('c').toString(),
      permissions: AccountSASPermissions.parse('c'),
      expiresOn: new Date(Date.now() + 3_600_000),
    }, new StorageSharedKeyCredential(AZURITE_ACCOUNT_NAME, AZURITE_ACCOUNT_KEY)).toString();
    const sig = new URLSearchParams(sas).get('sig')!;
    const blob = (connectionString: string, container: string) => ({ store: 'blob', connectionString, container, updateIntervalSeconds: 1, ownershipExpirationSeconds: 6 });
    const r = await run('refused', { eventhubs: [
      eventhubs(peer.connectionString('idle'), ['idle']),
      eventhubs(peer.connectionString('refused'), ['refused'], { checkpoints: blob(azurite.connectionString.replace(AZURITE_ACCOUNT_KEY, WRONG_KEY), 'eh-wrong-key') }),
      eventhubs(peer.connectionString('refused'), ['refused'], { consumerGroup: 'sas', checkpoints: blob(`BlobEndpoint=${azurite.blobUrl};SharedAccessSignature=${sas}`, 'eh-no-list') }),
    ] });
    // Both refused sources are named once the started one has had its errors, the healthy one is not.
    const answer = await readyzBecomes(r, 503, 30_000);
    let { body, text } = answer;
    await eventually(async () => {
      ({ body, text } = await r.readyz());
      return /cannot start/.test(body.sources?.['sources.eventhubs.1'] ?? '') && /not authorized|permission/i.test(body.sources?.['sources.eventhubs.2'] ?? '');
    }, 30_000, 'both refused sources to be named with why').catch((err: Error) => { throw new Error(`${err.message}: ${text}`); });
    expect(Object.keys(body.sources!).sort()).toEqual(['sources.eventhubs.1', 'sources.eventhubs.2']);
    expect(body.sources!['sources.eventhubs.1']).toMatch(/cannot start.*eh-wrong-key.*authenticate/i);
    expect(body.sources!['sources.eventhubs.2']).toMatch(/hub refused.*(not authorized|permission)/i);
    expect(body.error).toContain('sources.eventhubs.2');
    const metrics = (await r.get('/metrics')).text;
    expect(metrics).toMatch(/^auditlake_source_ready\{source="sources\.eventhubs\.0"\} 1$/m);
    expect(metrics).toMatch(/^auditlake_source_ready\{source="sources\.eventhubs\.1"\} 0$/m);
    expect(metrics).toMatch(/^auditlake_source_ready\{source="sources\.eventhubs\.2"\} 0$/m);
    await r.service.waitForLog((l) => l.msg === 'Source not consuming.' && l.source === 'sources.eventhubs.2', 20_000);
    for (const secret of [WRONG_KEY, AZURITE_ACCOUNT_KEY, sig, encodeURIComponent(sig), PEER_KEY, r.token]) {
      expect(answer.text + text + metrics + r.service.output()).not.toContain(secret);
    }
  });

  it('an Event Hubs namespace that goes away: 503 within seconds naming the source, then 200 again within seconds of its return; nothing lost', async () => {
    const port = await freePort();
    let away = await startEventHubsPeer({ hubs: { blip: 2 }, port });
    const records = recordsFrom(SCENARIO_DAYS, 40);
    away.send('blip', '0', toBodies(records.slice(0, 20), 10));
    // A partition reader whose retries all fail on a retryable error keeps trying
    // (src/sources/eventhubs-recovery.ts) rather than wait for the SDK's processor to start it
    // again: that took 16–26 s after the return here (its loop retries the namespace 30 s apart,
    // then waits for the ownership to expire). test/run-eventhubs-recovery.test.ts bounds the
    // return for both kinds of positions.
    const r = await run('blip', { eventhubs: [eventhubs(away.connectionString('blip'), ['blip'], {
      checkpoints: { store: 'blob', connectionString: azurite.connectionString, container: 'eh-blip', updateIntervalSeconds: 1, ownershipExpirationSeconds: 6 },
    })] });
    try {
      await readyzBecomes(r, 200, 30_000);
      await r.service.waitForLog(() => r.service.committed('records') >= 20, 30_000);
      const goneAt = Date.now();
      await away.close();
      const down = await readyzBecomes(r, 503, 30_000);
      // The SDK's retries (~4 s), then the grace of 10 s: bounded, and not at the first error.
      expect(down.atMs - goneAt).toBeLessThan(25_000);
      expect(down.atMs - goneAt).toBeGreaterThan(9_000);
      expect(Object.keys(down.body.sources!)).toEqual(['sources.eventhubs.0']);
      expect(down.body.sources!['sources.eventhubs.0']).toMatch(/hub blip.*(ECONNREFUSED|connect|closed)/i);
      expect(down.text).not.toContain(PEER_KEY);
      // The log says so too (its watch looks every second: waited for here, as the namespace
      // comes back within a second of it and a shorter outage would end unlogged).
      await r.service.waitForLog((l) => l.msg === 'Source not consuming.' && l.source === 'sources.eventhubs.0', 5_000);

      away = await startEventHubsPeer({ hubs: { blip: 2 }, port });
      const backAt = Date.now();
      // The same partition again, with more after what was stored: the consumer resumes after it.
      away.send('blip', '0', toBodies(records, 10));
      const up = await readyzBecomes(r, 200, 30_000);
      await r.service.waitForLog(() => r.service.committed('records') >= 40, 30_000);
      expect(up.atMs - backAt).toBeLessThan(10_000);
      expect(r.service.committed('stored')).toBe(40);
      expect(r.service.committed('duplicates')).toBe(0);
      await r.service.waitForLog((l) => l.msg === 'Source consuming.' && r.service.logs().filter((m) => m.msg === 'Source consuming.').length === 2, 10_000);
      expect(r.service.output()).not.toContain(PEER_KEY);
      expect((await r.service.stop('SIGTERM')).code).toBe(0);
    } finally {
      await away.close();
    }
  });

  it('an Event Hubs namespace that stops answering, its connection still open: 503 within ~30 s naming the hub; once the connection is reset, 200 again and nothing lost', async () => {
    const port = await freePort();
    const mute = await startEventHubsPeer({ hubs: { mute: 1 }, port });
    const proxy = await startMuteProxy(port);
    const records = recordsFrom(SCENARIO_DAYS, 40);
    mute.send('mute', '0', toBodies(records.slice(0, 20), 10));
    const r = await run('mute', { eventhubs: [eventhubs(mute.connectionString('mute').replace(`:${port};`, `:${proxy.port};`), ['mute'])] });
    try {
      await readyzBecomes(r, 200, 30_000);
      await r.service.waitForLog(() => r.service.committed('records') >= 20, 30_000);
      proxy.mute();
      const mutedAt = Date.now();
      mute.send('mute', '0', toBodies(records.slice(20), 10));
      // The readers' idle cycles end on a timer and went on for ~2 minutes (AMQP's idle timeout)
      // with /readyz 200 and the new records waiting; the namespace probe says so within ~30 s,
      // and events arriving after the reset clear it at once.
      const down = await readyzBecomes(r, 503, 45_000);
      expect(down.atMs - mutedAt).toBeLessThan(35_000);
      expect(down.body.sources!['sources.eventhubs.0']).toMatch(/hub mute: the namespace: no answer to a request for the hub's properties in 10 s/);
      expect(r.service.committed('records')).toBe(20);
      proxy.reset();
      const resetAt = Date.now();
      const up = await readyzBecomes(r, 200, 30_000);
      expect(up.atMs - resetAt).toBeLessThan(20_000);
      await r.service.waitForLog(() => r.service.committed('records') >= 40, 60_000);
      expect(r.service.committed('stored')).toBe(40);
      expect(r.service.committed('duplicates')).toBe(0);
      expect(r.service.output()).not.toContain(PEER_KEY);
      // A clean stop exits 0 at once, though the SDK still waits on a request the mute namespace never answered.
      expect((await r.service.stop('SIGTERM')).code).toBe(0);
      expect(r.service.logs().at(-1)?.msg).toBe('Stopped.');
    } finally {
      await proxy.close();
      await mute.close();
    }
  });

  it('an idle, healthy hub stays ready: local positions and blob checkpoints, well past the error grace', async () => {
    const r = await run('idle', { eventhubs: [
      eventhubs(peer.connectionString('idle'), ['idle'], { consumerGroup: 'quiet' }),
      eventhubs(peer.connectionString('idle'), ['idle'], { consumerGroup: 'quiet-blob', checkpoints: { store: 'blob', connectionString: azurite.connectionString, container: 'eh-idle', updateIntervalSeconds: 1 } }),
    ] });
    await readyzBecomes(r, 200, 30_000);
    const until = Date.now() + 13_000;
    while (Date.now() < until) {
      const { status, text } = await r.readyz();
      expect(status, text).toBe(200);
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(r.service.committed('records')).toBe(0);
    expect(r.service.logs().filter((l) => /Event Hubs error|not consuming/.test(l.msg))).toEqual([]);
    expect((await r.service.stop('SIGTERM')).code).toBe(0);
  });

  it('a Kafka broker that goes away: 503 naming the source within the session timeout', async () => {
    let mock: KafkaMock | undefined = await startKafkaMock({ topics: { gone: 1 } });
    try {
      const r = await run('kafka', { kafka: [{ brokers: mock.brokers, topics: ['gone'], groupId: 'readiness', sessionTimeoutSeconds: 6, heartbeatIntervalSeconds: 1 }] });
      await readyzBecomes(r, 200, 40_000);
      const goneAt = Date.now();
      await mock.close();
      mock = undefined;
      const down = await readyzBecomes(r, 503, 30_000);
      // No answer for 10 s (two of kafkajs's idle fetches; the session timeout is 6 s), polled.
      expect(down.atMs - goneAt).toBeLessThan(20_000);
      expect(Object.keys(down.body.sources!)).toEqual(['sources.kafka.0']);
      expect(down.body.sources!['sources.kafka.0']).toMatch(/no answer from the group coordinator for \d+ s/);
      expect(await r.get('/metrics').then((m) => m.text)).toMatch(/^auditlake_source_ready\{source="sources\.kafka\.0"\} 0$/m);
    } finally {
      await mock?.close();
    }
  });
});
