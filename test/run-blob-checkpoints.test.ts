/**
 * Two `auditlake run` processes share a consumer group through a blob checkpoint store on
 * Azurite: they split the partitions; when one is killed, the other takes its partitions over
 * and no record is lost. Each instance has its own database (positions still stored with its rows).
 */
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteInstance } from './support/azurite.js';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { queryJsonAsync, tempDir } from './support/db.js';
import { eventually, recordsFrom, replayedIdsAsync, SCENARIO_DAYS, startRun, storedIdsAsync, toBodies, writeConfig, type RunningService } from './support/service.js';

const HUB = 'shared';
const STOP_HUB = 'stopping';
let peer: EventHubsPeer;
let azurite: AzuriteInstance;
const tmp = tempDir('auditlake-run-blob-');

beforeAll(async () => {
  [peer, azurite] = await Promise.all([startEventHubsPeer({ hubs: { [HUB]: 4, [STOP_HUB]: 1 } }), startAzurite()]);
});
afterAll(async () => {
  await Promise.all([peer?.close(), azurite?.close()]);
  tmp.cleanup();
});

function instanceConfig(name: string): string {
  return writeConfig(tmp.dir, {
    db: join(tmp.dir, `${name}.duckdb`),
    sources: { eventhubs: [{
      connectionString: peer.connectionString(HUB), hubs: [HUB], consumerGroup: 'auditlake', maxWaitTimeSeconds: 0.2,
      checkpoints: { store: 'blob', connectionString: azurite.connectionString, container: 'eh-checkpoints', updateIntervalSeconds: 1, ownershipExpirationSeconds: 6 },
    }] },
    server: { port: 0 },
  }, `${name}.yaml`);
}

/** Partitions an instance holds now, from its 'Partition claimed.' / 'Partition released.' lines. */
function owned(run: RunningService): Set<string> {
  const held = new Set<string>();
  for (const l of run.logs()) {
    if (l.msg === 'Partition claimed.') held.add(String(l.partition));
    if (l.msg === 'Partition released.') held.delete(String(l.partition));
  }
  return held;
}

/** The blob checkpoints' sequence numbers of a hub, by partition (BlobCheckpointStore keeps them in metadata). */
async function blobCheckpoints(container: string, hub: string): Promise<Record<string, number>> {
  const client = new ContainerClient(azurite.connectionString, container);
  const out: Record<string, number> = {};
  for await (const blob of client.listBlobsFlat({ includeMetadata: true })) {
    const m = new RegExp(`/${hub}/[^/]+/checkpoint/(\\d+)$`, 'i').exec(blob.name);
    if (m) out[m[1]!] = Number(blob.metadata?.sequencenumber);
  }
  return out;
}

describe('auditlake run with blob checkpoints (Azurite)', () => {
  it('SIGTERM with batches queued: they commit and move the blob checkpoint before the partition is released', async () => {
    const bodies = toBodies(recordsFrom(SCENARIO_DAYS, 1200), 3);
    peer.send(STOP_HUB, '0', bodies);
    const db = join(tmp.dir, 'stop.duckdb');
    const file = writeConfig(tmp.dir, {
      db,
      // One event per batch: the queue is full of them when the signal comes.
      sources: { eventhubs: [{
        connectionString: peer.connectionString(STOP_HUB), hubs: [STOP_HUB], consumerGroup: 'auditlake', maxBatchSize: 1, maxWaitTimeSeconds: 0.2,
        checkpoints: { store: 'blob', connectionString: azurite.connectionString, container: 'eh-stop', updateIntervalSeconds: 1, ownershipExpirationSeconds: 6 },
      }] },
      server: { enabled: false },
    }, 'stop.yaml');
    const run = startRun(file);
    await run.waitForLog((l) => l.msg === 'Batch committed.', 60_000);
    expect((await run.stop('SIGTERM')).code).toBe(0);
    const [stored] = await queryJsonAsync(db, 'SELECT position FROM checkpoints');
    const { sequenceNumber } = JSON.parse(String(stored!.position)) as { sequenceNumber: number };
    // The instance taking the partition over starts where this one's rows end, not batches before.
    expect(await blobCheckpoints('eh-stop', STOP_HUB)).toEqual({ 0: sequenceNumber });
  });


  it('two instances split the partitions; after one is killed the other takes over and nothing is lost', async () => {
    const records = recordsFrom(SCENARIO_DAYS, 3000);
    const before = toBodies(records.slice(0, 2000), 20);
    const after = toBodies(records.slice(2000), 20);
    before.forEach((b, i) => peer.send(HUB, String(i % 4), [b]));
    // What `replay` stores from the same bodies, replayed while the instances run.
    const expected = replayedIdsAsync(tmp.dir, 'all', [...before, ...after]);

    const a = startRun(instanceConfig('a'));
    const b = startRun(instanceConfig('b'));
    // While a partition moves, its new owner can log the claim before the old owner logs the
    // release (it learns of the loss only when its link is stolen): wait for a disjoint split.
    const split = () => [...owned(a), ...owned(b)].sort().join();
    await eventually(() => owned(a).size === 2 && owned(b).size === 2 && split() === '0,1,2,3', 60_000, 'the instances to hold two different partitions each');
    await eventually(() => a.committed('records') + b.committed('records') >= 2000, 60_000, 'the backlog to be stored');

    await a.stop('SIGKILL');
    after.forEach((body, i) => peer.send(HUB, String(i % 4), [body]));
    await eventually(() => owned(b).size === 4, 60_000, 'the survivor to take every partition');
    // Done when the survivor's stored positions (asked through its server) are every partition's last event.
    await eventually(async () => {
      const rows = await queryJsonAsync(join(tmp.dir, 'b.duckdb'), 'SELECT partition, position FROM checkpoints');
      return rows.length === 4 && rows.every((r) => (JSON.parse(String(r.position)) as { sequenceNumber: number }).sequenceNumber === peer.count(HUB, String(r.partition)) - 1);
    }, 60_000, 'the survivor to store the rest');
    await b.stop('SIGTERM');

    const [inA, inB] = await Promise.all([storedIdsAsync(join(tmp.dir, 'a.duckdb')), storedIdsAsync(join(tmp.dir, 'b.duckdb'))]);
    // Every record is in one of the databases; each database holds a record at most once.
    expect([...new Set([...inA, ...inB])].sort()).toEqual(await expected);
    expect(new Set(inA).size).toBe(inA.length);
    expect(new Set(inB).size).toBe(inB.length);
  });
});
