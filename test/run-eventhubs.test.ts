/**
 * `auditlake run` against the AMQP test peer (test/support/eventhubs-peer.ts) with the real
 * EventHubConsumerClient: every record once, across partitions, hubs, poison messages,
 * SIGTERM and kill -9 at random points. The expected rows are what `replay` stores from the
 * very same bodies, compared event id by event id.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { queryJson, queryJsonAsync, tempDir } from './support/db.js';
import { freePort, recordsFrom, replayedIdsAsync, SCENARIO_DAYS, startRun, storedIdsAsync, toBodies, writeConfig, type RunningService } from './support/service.js';

const HUB = 'insights-logs-auditevent';
const ACTIVITY_HUB = 'insights-activity-logs';
/** The peer's SharedAccessKey: it must never reach a log line, an error or /metrics. */
const PEER_KEY = 'not-a-secret';

let peer: EventHubsPeer;
const tmp = tempDir('auditlake-run-eh-');
const records = recordsFrom(SCENARIO_DAYS, 10_000);

beforeAll(async () => {
  peer = await startEventHubsPeer({ hubs: { [HUB]: 4, [ACTIVITY_HUB]: 2, poison: 1, reconnect: 2, backlog: 1, late: 1 } });
});
afterAll(async () => {
  await peer?.close();
  tmp.cleanup();
});

function config(db: string, hubs: string[], server = false) {
  return {
    db,
    sources: { eventhubs: [{ connectionString: peer.connectionString(hubs[0]!), hubs, prefetchCount: 16, maxBatchSize: 8, maxWaitTimeSeconds: 0.2 }] },
    server: server ? { port: 0, tokenFile: `${db}.token` } : { enabled: false },
    service: { shutdownTimeoutSeconds: 20 },
  };
}

// What `replay` stores from the same bodies: started as soon as the bodies are known, so the
// replay runs while the test waits on the consumer.
const expectedIds = (name: string, bodies: string[]) => replayedIdsAsync(tmp.dir, name, bodies);

const committed = (run: RunningService, n: number) => run.waitForLog(() => run.committed('records') >= n, 60_000);

describe('auditlake run with Event Hubs', () => {
  it('stores mixed-category bodies from several partitions and hubs once, answers queries and /metrics while running, and resumes after SIGTERM', async () => {
    const bodies = toBodies(records.slice(0, 1200), 20);
    const activity = toBodies(recordsFrom(['fixtures/activity/rbac-and-governance.ndjson'], 6), 2);
    bodies.forEach((b, i) => peer.send(HUB, String(i % 4), [b]));
    activity.forEach((b, i) => peer.send(ACTIVITY_HUB, String(i % 2), [b]));
    const db = join(tmp.dir, 'mixed.duckdb');
    const file = writeConfig(tmp.dir, config(db, [HUB, ACTIVITY_HUB], true), 'mixed.yaml');
    const expecting = expectedIds('mixed', [...bodies, ...activity]);

    const run = startRun(file);
    await committed(run, 1206);
    const expected = await expecting;
    // While it holds the database: the CLI answers through the server, /metrics counts.
    const [count] = await queryJsonAsync(db, 'SELECT count(*) AS n FROM events');
    expect(count).toEqual({ n: expected.length });
    const info = JSON.parse(readFileSync(`${db}.server.json`, 'utf8')) as { url: string };
    const token = readFileSync(`${db}.token`, 'utf8').trim();
    const metrics = await (await fetch(`${info.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).toMatch(/^auditlake_records_in_total 1206$/m);
    expect(metrics).toContain(`\nauditlake_records_stored_total ${expected.length}\n`);
    expect(metrics).toMatch(/^auditlake_partition_lag\{source="eventhubs:127\.0\.0\.1\/insights-logs-auditevent\/\$Default",partition="0"\} 0$/m);
    expect((await fetch(`${info.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${info.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${info.url}/readyz`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(metrics).not.toContain(PEER_KEY);
    expect(await run.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(run.logs().map((l) => l.msg)).toContain('Stopped.');
    expect(run.output()).not.toContain(PEER_KEY);
    expect(run.output()).not.toContain(token);
    expect(await storedIdsAsync(db)).toEqual(expected);

    // A restart resumes from the stored positions: nothing is read twice; new bodies arrive.
    const more = toBodies(records.slice(1200, 1400), 20);
    const expectedMore = expectedIds('more', more);
    more.forEach((b, i) => peer.send(HUB, String(i % 4), [b]));
    const again = startRun(file);
    await committed(again, 200);
    await again.stop('SIGTERM');
    expect(again.committed('duplicates')).toBe(0);
    expect(await storedIdsAsync(db)).toEqual([...expected, ...await expectedMore].sort());
    const positions = queryJson(db, 'SELECT source, partition FROM checkpoints ORDER BY source, partition');
    expect(positions.map((p) => `${String(p.source)}#${String(p.partition)}`)).toEqual([
      `eventhubs:127.0.0.1/${ACTIVITY_HUB}/$Default#0`, `eventhubs:127.0.0.1/${ACTIVITY_HUB}/$Default#1`,
      ...['0', '1', '2', '3'].map((p) => `eventhubs:127.0.0.1/${HUB}/$Default#${p}`),
    ]);
  });

  it('rejects poison messages and keeps consuming: invalid JSON, 1 MB of garbage, non-UTF-8, and a body of 10,000 records', async () => {
    const [big] = toBodies(records, 10_000);
    const after = toBodies(records.slice(0, 100), 50);
    peer.send('poison', '0', ['{"records":[{"time": oops', Buffer.alloc(1 << 20, 0x41), Buffer.from([0xff, 0xfe, 0x00, 0x81]), big!, ...after]);
    const db = join(tmp.dir, 'poison.duckdb');
    const expected = expectedIds('poison', [big!, ...after]);
    const run = startRun(writeConfig(tmp.dir, config(db, ['poison']), 'poison.yaml'));
    await committed(run, 10_103);
    await run.stop('SIGTERM');
    expect(await storedIdsAsync(db)).toEqual(await expected);
    const reasons = queryJson(db, 'SELECT reason FROM rejects ORDER BY reason').map((r) => String(r.reason));
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toMatch(/sequence 0\b.*JSON/i);
    expect(reasons[1]).toMatch(/sequence 1\b/);
    expect(reasons[2]).toMatch(/sequence 2: not valid UTF-8/);
  });

  it('pauses consumption while the store is behind: deliveries stay within prefetch, queue and look-ahead of what is stored', async () => {
    const bodies = toBodies(recordsFrom(SCENARIO_DAYS, 12_000), 12);
    peer.send('backlog', '0', bodies);
    const db = join(tmp.dir, 'backlog.duckdb');
    const run = startRun(writeConfig(tmp.dir, config(db, ['backlog']), 'backlog.yaml'));
    // What auditlake holds beyond what the client prefetched (the link credit it granted, as the
    // peer counts it): the batch the client is handing over (8), then batches of 8 bodies:
    // queued (8), taken by the reader (1), decoded ahead (4), and — since the log line comes
    // after the commit — one commit group of up to 4 more. The client adds credit on every
    // receive call that finds its queue short, so when the sender lags (this peer on a loaded
    // machine) its prefetch can exceed prefetchCount: that part is the SDK's.
    const bound = 8 + (8 + 1 + 4 + 4) * 8;
    let widest = 0;
    let credit = 0;
    await run.waitForLog(() => {
      const link = peer.receivers().find((r) => r.hub === 'backlog');
      credit = Math.max(credit, link?.maxCredit ?? 0);
      widest = Math.max(widest, (link?.delivered ?? 0) - run.committed('records') / 12);
      return run.committed('records') >= 12_000;
    }, 120_000);
    await run.stop('SIGTERM');
    expect(bodies.length).toBe(1000);
    expect(widest).toBeGreaterThan(8);
    expect(widest).toBeLessThanOrEqual(bound + credit);
    expect(widest).toBeLessThan(bodies.length / 2);
  });

  it('reconnects after the connection drops and loses nothing', async () => {
    const first = toBodies(records.slice(3000, 3600), 20);
    const second = toBodies(records.slice(3600, 4200), 20);
    first.forEach((b, i) => peer.send('reconnect', String(i % 2), [b]));
    const expected = expectedIds('reconnect', [...first, ...second]);
    const db = join(tmp.dir, 'reconnect.duckdb');
    const run = startRun(writeConfig(tmp.dir, config(db, ['reconnect']), 'reconnect.yaml'));
    await committed(run, 600);
    peer.dropConnections();
    second.forEach((b, i) => peer.send('reconnect', String(i % 2), [b]));
    await committed(run, 1200);
    await run.stop('SIGTERM');
    expect(await storedIdsAsync(db)).toEqual(await expected);
  });

  it('keeps retrying a namespace it cannot reach at start, not ready meanwhile, and consumes once it answers', async () => {
    const port = await freePort();
    const db = join(tmp.dir, 'late.duckdb');
    const file = writeConfig(tmp.dir, { ...config(db, ['late'], true), sources: { eventhubs: [{
      connectionString: peer.connectionString('late').replace(`:${peer.port}`, `:${port}`), hubs: ['late'], maxWaitTimeSeconds: 0.2,
    }] } }, 'late.yaml');
    const run = startRun(file);
    await run.waitForLog((l) => l.msg === 'Source could not start; retrying.', 60_000);
    const info = JSON.parse(readFileSync(`${db}.server.json`, 'utf8')) as { url: string };
    const auth = { authorization: `Bearer ${readFileSync(`${db}.token`, 'utf8').trim()}` };
    expect((await fetch(`${info.url}/readyz`, { headers: auth })).status).toBe(503);
    const late = await startEventHubsPeer({ hubs: { late: 1 }, port });
    try {
      late.send('late', '0', toBodies(records.slice(0, 100), 20));
      await committed(run, 100);
      expect((await fetch(`${info.url}/readyz`, { headers: auth })).status).toBe(200);
      await run.stop('SIGTERM');
    } finally {
      await late.close();
    }
  });
});
