/**
 * `auditlake run` against the AMQP test peer (test/support/eventhubs-peer.ts) with the real
 * EventHubConsumerClient: every record once, across partitions, hubs, poison messages,
 * SIGTERM and kill -9 at random points. The expected rows are what `replay` stores from the
 * very same records, compared event id by event id.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { queryJson, replay, tempDir } from './support/db.js';
import { bodiesFrom, startRun, writeConfig } from './support/service.js';

const HUB = 'insights-logs-auditevent';
const ACTIVITY_HUB = 'insights-activity-logs';

let peer: EventHubsPeer;
const tmp = tempDir('auditlake-run-eh-');

beforeAll(async () => {
  peer = await startEventHubsPeer({ hubs: { [HUB]: 4, [ACTIVITY_HUB]: 2, crash: 3, poison: 1 } });
});
afterAll(async () => {
  await peer?.close();
  tmp.cleanup();
});

function config(db: string, hubs: string[], extra: object = {}) {
  return {
    db,
    sources: { eventhubs: [{ connectionString: peer.connectionString(hubs[0]!), hubs, prefetchCount: 16, maxBatchSize: 8, maxWaitTimeSeconds: 0.2 }] },
    server: { enabled: false },
    service: { shutdownTimeoutSeconds: 20 },
    ...extra,
  };
}

/** Event ids `replay` stores from the same bodies: the exact expected content of `events`. */
function expectedIds(name: string, bodies: string[]): string[] {
  const dir = join(tmp.dir, `${name}-expected`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bodies.ndjson'), `${bodies.join('\n')}\n`);
  const db = join(dir, 'expected.duckdb');
  replay(db, [join(dir, 'bodies.ndjson')]);
  return queryJson(db, 'SELECT event_id FROM events ORDER BY event_id').map((r) => String(r.event_id));
}

function storedIds(db: string): { ids: string[]; rows: number } {
  const ids = queryJson(db, 'SELECT event_id FROM events ORDER BY event_id').map((r) => String(r.event_id));
  return { ids, rows: ids.length };
}

describe('auditlake run with Event Hubs', () => {
  it('stores every record of mixed-category bodies from several partitions and hubs once, and resumes after SIGTERM', async () => {
    const { bodies } = bodiesFrom('fixtures/scenarios/days/day-1.ndjson', 40, 2400);
    const activity = bodiesFrom('fixtures/activity/rbac-and-governance.ndjson', 2);
    bodies.forEach((b, i) => peer.send(HUB, String(i % 4), [b]));
    activity.bodies.forEach((b, i) => peer.send(ACTIVITY_HUB, String(i % 2), [b]));
    const expected = expectedIds('mixed', [...bodies, ...activity.bodies]);
    const db = join(tmp.dir, 'mixed.duckdb');
    const file = writeConfig(tmp.dir, config(db, [HUB, ACTIVITY_HUB]), 'mixed.yaml');

    const first = startRun(file);
    await first.waitForLog((l) => l.msg === 'Consuming.');
    await waitForCommitted(first, expected.length);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(first.logs().some((l) => l.msg === 'Stopped.')).toBe(true);
    expect(storedIds(db).ids).toEqual(expected);

    // A restart resumes from the stored positions: nothing is read again; new bodies arrive.
    const more = bodiesFrom('fixtures/scenarios/days/day-2.ndjson', 40, 400);
    more.bodies.forEach((b, i) => peer.send(HUB, String(i % 4), [b]));
    const second = startRun(file);
    await second.waitForLog((l) => l.msg === 'Consuming.');
    await waitForCommitted(second, more.records);
    await second.stop('SIGTERM');
    expect(second.committed('duplicates')).toBe(0);
    expect(storedIds(db).rows).toBe(expected.length + expectedIds('more', more.bodies).length);
    const positions = queryJson(db, 'SELECT source, partition FROM checkpoints ORDER BY source, partition');
    expect(positions.map((p) => `${String(p.source)}#${String(p.partition)}`)).toEqual([
      `eventhubs:127.0.0.1/${ACTIVITY_HUB}/$Default#0`, `eventhubs:127.0.0.1/${ACTIVITY_HUB}/$Default#1`,
      ...['0', '1', '2', '3'].map((p) => `eventhubs:127.0.0.1/${HUB}/$Default#${p}`),
    ]);
  });

  it('rejects poison messages and keeps consuming: invalid JSON, 1 MB of garbage, non-UTF-8, and a body of 10,000 records', async () => {
    const big = bodiesFrom('fixtures/scenarios/days/day-3.ndjson', 10_000, 10_000);
    const after = bodiesFrom('fixtures/scenarios/days/day-4.ndjson', 50, 100);
    peer.send('poison', '0', ['{"records":[{"time": oops', Buffer.alloc(1 << 20, 0x41), Buffer.from([0xff, 0xfe, 0x00, 0x81]), big.bodies[0]!, ...after.bodies]);
    const db = join(tmp.dir, 'poison.duckdb');
    const file = writeConfig(tmp.dir, config(db, ['poison']), 'poison.yaml');
    const run = startRun(file);
    await waitForCommitted(run, big.records + after.records);
    await run.stop('SIGTERM');
    expect(storedIds(db).ids).toEqual(expectedIds('poison', [big.bodies[0]!, ...after.bodies]));
    const reasons = queryJson(db, 'SELECT reason FROM rejects ORDER BY reason').map((r) => String(r.reason));
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toMatch(/sequence 0\b.*JSON/i);
    expect(reasons[1]).toMatch(/sequence 1\b/);
    expect(reasons[2]).toMatch(/sequence 2: not valid UTF-8/);
  });

  it('kill -9 at random points while consuming, then restarts: exactly the produced records, none missing, none twice', async () => {
    const { bodies } = bodiesFrom('fixtures/scenarios/days/day-5.ndjson', 20, 6000);
    const expected = expectedIds('crash', bodies);
    const db = join(tmp.dir, 'crash.duckdb');
    const file = writeConfig(tmp.dir, config(db, ['crash']), 'crash.yaml');
    // Bodies keep arriving while the consumer is killed and restarted.
    let sent = 0;
    const producer = setInterval(() => {
      for (let i = 0; i < 10 && sent < bodies.length; i++, sent++) peer.send('crash', String(sent % 3), [bodies[sent]!]);
    }, 20);
    try {
      for (let round = 0; round < 4; round++) {
        const run = startRun(file);
        await run.waitForLog((l) => l.msg === 'Consuming.');
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1500));
        await run.stop('SIGKILL');
      }
    } finally {
      await new Promise<void>((res) => {
        const t = setInterval(() => { if (sent >= bodies.length) { clearInterval(t); res(); } }, 50);
      });
      clearInterval(producer);
    }
    const last = startRun(file);
    await waitForStored(db, last, expected.length);
    await last.stop('SIGTERM');
    expect(storedIds(db).ids).toEqual(expected);
  });
});

async function waitForCommitted(run: ReturnType<typeof startRun>, records: number, timeoutMs = 60_000): Promise<void> {
  await run.waitForLog(() => run.committed('records') >= records, timeoutMs);
}

/** After crashes the log of this run alone does not say how much is stored: wait until it is idle at the expected count. */
async function waitForStored(_db: string, run: ReturnType<typeof startRun>, expected: number): Promise<void> {
  await run.waitForLog((l) => l.msg === 'Consuming.');
  let lastCount = -1;
  let stableSince = Date.now();
  await run.waitForLog(() => {
    const n = run.committed('records');
    if (n !== lastCount) { lastCount = n; stableSince = Date.now(); }
    return Date.now() - stableSince > 3000;
  }, 90_000);
  void expected;
}
