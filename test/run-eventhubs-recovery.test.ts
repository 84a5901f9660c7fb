/**
 * `auditlake run` when its Event Hubs namespace (the AMQP peer) goes away for 15 s and comes
 * back on the same port, with local positions and with blob checkpoints on Azurite: /readyz
 * turns 503 naming the error, and once the namespace answers again the partition reads within
 * a few seconds, from where it stopped (nothing read twice or skipped), /readyz turns 200, and
 * with blob checkpoints the checkpoint moves on; and cut in the middle of a stream, with batches
 * still on their way to the store, it ends with exactly the records sent, none read twice. Before, the SDK's processor restarted the
 * partition's reader only when its own loop reached the namespace again, retrying that 30 s
 * apart: measured 16–26 s (blob) and 5–25 s (local) after the return, 25 s and 16 s for this
 * outage (src/sources/eventhubs-recovery.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteInstance } from './support/azurite.js';
import { queryJsonAsync, tempDir } from './support/db.js';
import { startEventHubsPeer } from './support/eventhubs-peer.js';
import { eventually, freePort, recordsFrom, replayedIdsAsync, SCENARIO_DAYS, startRun, storedIdsAsync, toBodies, writeConfig, type RunningService } from './support/service.js';

/** Longer than it takes either mode's processor loop to fail its first call to the namespace (10 s with local positions). */
const AWAY_MS = 15_000;
/** Namespace back → the resumed partition's first batch committed. Measured 1.4–2.7 s; the SDK's retries are at most ~4 s apart. */
const RESUME_BOUND_MS = 8_000;

let azurite: AzuriteInstance;
const tmp = tempDir('auditlake-recovery-');
const runs: RunningService[] = [];

beforeAll(async () => { azurite = await startAzurite(); });
afterAll(async () => {
  await Promise.all(runs.map((r) => r.stop('SIGKILL')));
  await azurite?.close();
  tmp.cleanup();
});

async function readyz(db: string): Promise<{ status: number; body: { sources?: Record<string, string> } }> {
  const { url } = JSON.parse(readFileSync(`${db}.server.json`, 'utf8')) as { url: string };
  const res = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${readFileSync(`${db}.token`, 'utf8').trim()}` } });
  return { status: res.status, body: JSON.parse(await res.text()) as { sources?: Record<string, string> } };
}

async function blobCheckpoint(container: string, partition: string): Promise<number | undefined> {
  for await (const b of new ContainerClient(azurite.connectionString, container).listBlobsFlat({ includeMetadata: true })) {
    if (b.name.endsWith(`/checkpoint/${partition}`)) return Number(b.metadata?.sequencenumber);
  }
  return undefined;
}

async function outageAndReturn(name: string, checkpoints: object): Promise<{ db: string; run: RunningService }> {
  const port = await freePort();
  let peer = await startEventHubsPeer({ hubs: { back: 2 }, port });
  const records = recordsFrom(SCENARIO_DAYS, 40);
  peer.send('back', '0', toBodies(records.slice(0, 20), 10));
  const db = join(tmp.dir, `${name}.duckdb`);
  const run = startRun(writeConfig(tmp.dir, {
    db,
    sources: { eventhubs: [{ connectionString: peer.connectionString('back'), hubs: ['back'], maxWaitTimeSeconds: 0.2, checkpoints }] },
    server: { port: 0 },
    service: { shutdownTimeoutSeconds: 10 },
  }, `${name}.yaml`));
  runs.push(run);
  try {
    await run.waitForLog(() => run.committed('records') >= 20, 30_000);
    await eventually(async () => (await readyz(db)).status === 200, 10_000, '/readyz 200');
    const goneAt = Date.now();
    await peer.close();
    let down: Awaited<ReturnType<typeof readyz>> | undefined;
    await eventually(async () => (down = await readyz(db)).status === 503, 25_000, '/readyz 503');
    expect(down!.body.sources!['sources.eventhubs.0']).toMatch(/hub back, partition \d: .*ECONNREFUSED/);
    await new Promise((r) => setTimeout(r, goneAt + AWAY_MS - Date.now()));

    peer = await startEventHubsPeer({ hubs: { back: 2 }, port });
    const backAt = Date.now();
    // The partition anew, with 20 records after the 20 stored: the consumer resumes after those.
    peer.send('back', '0', toBodies(records, 10));
    await run.waitForLog(() => run.committed('records') >= 40, 60_000);
    const resumedMs = Date.now() - backAt;
    await eventually(async () => (await readyz(db)).status === 200, 10_000, '/readyz 200 again');
    const readyMs = Date.now() - backAt;
    console.log(`${name}: away ${backAt - goneAt} ms; back → first batch of the resumed partition committed in ${resumedMs} ms, /readyz 200 in ${readyMs} ms`);
    expect(resumedMs).toBeLessThan(RESUME_BOUND_MS);
    expect(readyMs).toBeLessThan(RESUME_BOUND_MS + 2_000);
    expect(run.committed('stored')).toBe(40);
    expect(run.committed('duplicates')).toBe(0);
    return { db, run };
  } finally {
    await peer.close();
  }
}

describe.concurrent('auditlake run: an Event Hubs namespace that goes away and comes back', () => {
  it('local positions: reads again within seconds of its return, from the stored position', async () => {
    const { db, run } = await outageAndReturn('local', { store: 'local' });
    expect((await run.stop('SIGTERM')).code).toBe(0);
    const rows = await queryJsonAsync(db, "SELECT partition, position FROM checkpoints WHERE source LIKE '%/back/%'");
    expect(rows.map((r) => [r.partition, (JSON.parse(String(r.position)) as { sequenceNumber: number }).sequenceNumber])).toEqual([['0', 3]]);
  });

  it('blob checkpoints: reads again within seconds of its return, and moves the blob checkpoint on', async () => {
    const container = 'eh-recovery';
    const { run } = await outageAndReturn('blob', { store: 'blob', connectionString: azurite.connectionString, container, updateIntervalSeconds: 1, ownershipExpirationSeconds: 6 });
    await eventually(async () => (await blobCheckpoint(container, '0')) === 3, 10_000, 'the blob checkpoint of partition 0 at sequence 3');
    expect((await run.stop('SIGTERM')).code).toBe(0);
  });

  it.each([
    ['local positions', { store: 'local' }],
    ['blob checkpoints', { store: 'blob', connectionString: '', container: 'eh-midstream', updateIntervalSeconds: 1, ownershipExpirationSeconds: 6 }],
  ] as const)('%s, cut in the middle of a stream: exactly the records sent, none read twice', async (mode, checkpoints) => {
    const name = `midstream-${mode.split(' ')[0]}`;
    const port = await freePort();
    let peer = await startEventHubsPeer({ hubs: { mid: 3 }, port });
    // A namespace keeps what it holds: the one that comes back is given what was sent before, in the same order.
    const bodies = toBodies(recordsFrom(SCENARIO_DAYS, 1200), 8);
    const expected = replayedIdsAsync(tmp.dir, name, bodies);
    let sent = 0;
    let up = true;
    const producer = setInterval(() => {
      for (let i = 0; i < 2 && up && sent < bodies.length; i++, sent++) peer.send('mid', String(sent % 3), [bodies[sent]!]);
    }, 20);
    const db = join(tmp.dir, `${name}.duckdb`);
    const run = startRun(writeConfig(tmp.dir, {
      db,
      sources: { eventhubs: [{ connectionString: peer.connectionString('mid'), hubs: ['mid'], prefetchCount: 8, maxBatchSize: 4, maxWaitTimeSeconds: 0.2,
        checkpoints: 'connectionString' in checkpoints ? { ...checkpoints, connectionString: azurite.connectionString } : checkpoints }] },
      server: { port: 0 },
      service: { shutdownTimeoutSeconds: 10, queueBatches: 2 },
    }, `${name}.yaml`));
    runs.push(run);
    try {
      await run.waitForLog(() => run.committed('records') >= 200, 30_000);
      up = false;
      await peer.close();
      await new Promise((r) => setTimeout(r, 6_000));
      peer = await startEventHubsPeer({ hubs: { mid: 3 }, port });
      for (let i = 0; i < sent; i++) peer.send('mid', String(i % 3), [bodies[i]!]);
      up = true;
      await eventually(() => sent >= bodies.length, 30_000, 'every body to be sent');
      await run.waitForLog(() => run.committed('records') >= 1200, 30_000);
      expect(run.committed('duplicates')).toBe(0);
      expect((await run.stop('SIGTERM')).code).toBe(0);
      expect(await storedIdsAsync(db)).toEqual(await expected);
    } finally {
      clearInterval(producer);
      await peer.close();
    }
  });
});
