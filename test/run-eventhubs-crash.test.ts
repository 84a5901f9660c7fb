/**
 * `auditlake run` against the AMQP test peer, killed with SIGKILL at random points while
 * bodies keep arriving, then restarted: the database ends with exactly the records produced
 * (what `replay` stores from the same bodies), and a reset position stores nothing twice.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from './support/cli.js';
import { queryJsonAsync, tempDir } from './support/db.js';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { eventually, recordsFrom, replayedIdsAsync, SCENARIO_DAYS, startRun, storedIdsAsync, toBodies, writeConfig } from './support/service.js';

let peer: EventHubsPeer;
const tmp = tempDir('auditlake-run-crash-');
const records = recordsFrom(SCENARIO_DAYS, 2400);

beforeAll(async () => {
  peer = await startEventHubsPeer({ hubs: { crash: 3 } });
});
afterAll(async () => {
  await peer?.close();
  tmp.cleanup();
});

function config(db: string) {
  return {
    db,
    sources: { eventhubs: [{ connectionString: peer.connectionString('crash'), hubs: ['crash'], prefetchCount: 16, maxBatchSize: 8, maxWaitTimeSeconds: 0.2 }] },
    server: { port: 0, tokenFile: `${db}.token` },
    service: { shutdownTimeoutSeconds: 20 },
  };
}

describe('auditlake run with Event Hubs, killed', () => {
  it('kill -9 at random points while consuming, then a restart: exactly the produced records, none missing, none twice', async () => {
    const bodies = toBodies(records.slice(0, 2400), 8);
    const db = join(tmp.dir, 'crash.duckdb');
    const file = writeConfig(tmp.dir, config(db), 'crash.yaml');
    // What `replay` stores from the same bodies, replayed while the consumer is killed and restarted.
    const expectedIds = replayedIdsAsync(tmp.dir, 'crash', bodies);
    // Bodies keep arriving while the consumer is killed and restarted.
    let sent = 0;
    const producer = setInterval(() => {
      for (let i = 0; i < 4 && sent < bodies.length; i++, sent++) peer.send('crash', String(sent % 3), [bodies[sent]!]);
    }, 20);
    try {
      for (let round = 0; round < 3; round++) {
        const run = startRun(file);
        await run.waitForLog((l) => l.msg === 'Consuming.');
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 1500));
        await run.stop('SIGKILL');
      }
      await eventually(() => sent >= bodies.length, 60_000, 'every body to be sent');
    } finally {
      clearInterval(producer);
    }
    const last = startRun(file);
    await last.waitForLog((l) => l.msg === 'Consuming.');
    // Done when the stored position of every partition is its last event (asked through the server).
    await eventually(async () => {
      const rows = await queryJsonAsync(db, "SELECT partition, position FROM checkpoints WHERE source LIKE '%/crash/%'");
      return rows.length === 3 && rows.every((r) => (JSON.parse(String(r.position)) as { sequenceNumber: number }).sequenceNumber === peer.count('crash', String(r.partition)) - 1);
    }, 60_000, 'the consumer to reach the end of every partition');
    await last.stop('SIGTERM');
    const expected = await expectedIds;
    expect(await storedIdsAsync(db)).toEqual(expected);

    // An operator resets one partition: the next run reads it again from the start, and stores nothing twice.
    const list = async () => JSON.parse((await runCliAsync(['checkpoints', 'list', '--db', db, '--format', 'json'])).stdout) as Array<{ partition: string }>;
    expect((await list()).map((c) => c.partition)).toEqual(['0', '1', '2']);
    const source = `eventhubs:127.0.0.1/crash/$Default`;
    expect((await runCliAsync(['checkpoints', 'reset', '--db', db])).stderr).toMatch(/give --source SOURCE \[--partition ID\], or --all/);
    expect((await runCliAsync(['checkpoints', 'reset', '--db', db, '--source', source, '--partition', '0'])).stdout).toBe('Reset 1 position.\n');
    expect((await list()).map((c) => c.partition)).toEqual(['1', '2']);
    const reread = startRun(file);
    await reread.waitForLog(() => reread.committed('duplicates') >= peer.count('crash', '0') * 8 - 8, 60_000);
    await reread.stop('SIGTERM');
    expect(reread.committed('stored')).toBe(0);
    expect(await storedIdsAsync(db)).toHaveLength(expected.length);
  });
});
