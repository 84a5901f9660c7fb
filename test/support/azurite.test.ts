import { BlobServiceClient } from '@azure/storage-blob';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import type { PartitionOwnership } from '@azure/event-hubs';
import { describe, expect, it } from 'vitest';
import { startAzurite, type StartAzuriteOptions } from './azurite.js';

const NS = 'auditlake-test.servicebus.windows.net';
const HUB = 'Audit-Logs';
const CG = '$Default';

async function timedStart(options: StartAzuriteOptions) {
  const t0 = performance.now();
  const azurite = await startAzurite(options);
  const ms = performance.now() - t0;
  console.log(`azurite ${options.mode ?? 'in-process'} started in ${ms.toFixed(0)} ms at ${azurite.blobUrl}`);
  return azurite;
}

describe('azurite test peer', () => {
  for (const mode of ['in-process', 'child-process'] as const) {
    it(`${mode}: create a container, upload and list a blob`, { timeout: 20_000 }, async () => {
      const azurite = await timedStart({ mode });
      try {
        expect(azurite.blobUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
        expect(azurite.connectionString).toContain(`BlobEndpoint=${azurite.blobUrl};`);
        const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
        const container = service.getContainerClient('audit');
        await container.create();
        const body = JSON.stringify({ operationName: 'Chat', n: 1 });
        await container.getBlockBlobClient('2024/01/01/a.json').upload(body, Buffer.byteLength(body), {
          metadata: { source: 'test' },
        });
        const names: string[] = [];
        for await (const b of container.listBlobsFlat({ includeMetadata: true })) {
          names.push(b.name);
          expect(b.metadata?.source).toBe('test');
          expect(b.properties.contentLength).toBe(Buffer.byteLength(body));
        }
        expect(names).toEqual(['2024/01/01/a.json']);
        const got = await container.getBlobClient('2024/01/01/a.json').downloadToBuffer();
        expect(got.toString('utf8')).toBe(body);
        const containers: string[] = [];
        for await (const c of service.listContainers()) containers.push(c.name);
        expect(containers).toEqual(['audit']);
      } finally {
        await azurite.close();
      }
      await azurite.close(); // idempotent
      // closed means closed: the port no longer answers
      await expect(fetch(`${azurite.blobUrl}?comp=list`)).rejects.toThrow();
    });
  }

  it('two instances are independent', { timeout: 20_000 }, async () => {
    const a = await startAzurite();
    try {
      const b = await startAzurite();
      try {
        expect(a.blobUrl).not.toBe(b.blobUrl);
        await BlobServiceClient.fromConnectionString(a.connectionString).getContainerClient('only-in-a').create();
        const inB: string[] = [];
        for await (const c of BlobServiceClient.fromConnectionString(b.connectionString).listContainers()) {
          inB.push(c.name);
        }
        expect(inB).toEqual([]);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });

  it('BlobCheckpointStore: ownership claims with etags, checkpoints round-trip', { timeout: 20_000 }, async () => {
    const azurite = await timedStart({});
    try {
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
        'checkpoints',
      );
      await container.create();
      const store = new BlobCheckpointStore(container);

      expect(await store.listOwnership(NS, HUB, CG)).toEqual([]);
      expect(await store.listCheckpoints(NS, HUB, CG)).toEqual([]);

      const claim = (ownerId: string, partitionId: string, etag?: string): PartitionOwnership => ({
        fullyQualifiedNamespace: NS,
        eventHubName: HUB,
        consumerGroup: CG,
        ownerId,
        partitionId,
        ...(etag === undefined ? {} : { etag }),
      });
      const byPartition = (a: { partitionId: string }, b: { partitionId: string }) =>
        a.partitionId.localeCompare(b.partitionId);

      // Owner A claims two fresh partitions (no etag: the store creates the blobs).
      const before = Date.now();
      const claimedA = await store.claimOwnership([claim('A', '0'), claim('A', '1')]);
      expect(claimedA.map((o) => [o.ownerId, o.partitionId])).toEqual([
        ['A', '0'],
        ['A', '1'],
      ]);
      for (const o of claimedA) {
        expect(o.etag).toBeTruthy();
        // Last-Modified has 1 s resolution
        expect(o.lastModifiedTimeInMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      }
      const etag0v1 = claimedA.find((o) => o.partitionId === '0')?.etag;
      expect(etag0v1).toBeDefined();

      // Etags differ in form: claimOwnership returns the ETag *header* ("\"0x...\"", quoted),
      // listOwnership the List Blobs XML <Etag> (0x..., unquoted) -- as real Azure does. Both
      // work as If-Match; compare them unquoted.
      const unquote = (etag: string | undefined) => etag?.replace(/^"(.*)"$/, '$1');
      const listed = (await store.listOwnership(NS, HUB, CG)).sort(byPartition);
      expect(claimedA.every((o) => o.etag?.startsWith('"'))).toBe(true);
      expect(listed.every((o) => o.etag !== undefined && !o.etag.startsWith('"'))).toBe(true);
      expect(listed.map((o) => [o.ownerId, o.partitionId, unquote(o.etag)])).toEqual(
        claimedA.map((o) => [o.ownerId, o.partitionId, unquote(o.etag)]),
      );
      expect(listed.every((o) => o.consumerGroup === CG && o.eventHubName === HUB)).toBe(true);

      // A renews partition 0 with its current etag: succeeds, new etag.
      const [renewed] = await store.claimOwnership([claim('A', '0', etag0v1)]);
      expect(renewed?.ownerId).toBe('A');
      expect(renewed?.etag).toBeTruthy();
      expect(renewed?.etag).not.toBe(etag0v1);

      // B competes for partition 0 with the now stale etag: 412, swallowed, nothing claimed.
      expect(await store.claimOwnership([claim('B', '0', etag0v1)])).toEqual([]);
      // ...and a mixed batch claims only what it may: partition 1 with its current etag succeeds.
      const etag1 = listed.find((o) => o.partitionId === '1')?.etag;
      const mixed = await store.claimOwnership([claim('B', '0', etag0v1), claim('B', '1', etag1)]);
      expect(mixed.map((o) => [o.ownerId, o.partitionId])).toEqual([['B', '1']]);

      const afterSteal = (await store.listOwnership(NS, HUB, CG)).sort(byPartition);
      expect(afterSteal.map((o) => [o.partitionId, o.ownerId])).toEqual([
        ['0', 'A'],
        ['1', 'B'],
      ]);

      // Surprise worth knowing: a claim *without* an etag is unconditional (setMetadata, or
      // upload if the blob is missing), so it overwrites whoever owns the partition.
      const [blind] = await store.claimOwnership([claim('C', '0')]);
      expect(blind?.ownerId).toBe('C');
      expect((await store.listOwnership(NS, HUB, CG)).find((o) => o.partitionId === '0')?.ownerId).toBe('C');

      // Abandoning (what EventProcessor.stop() does): ownerId "" with the current etag.
      const current1 = (await store.listOwnership(NS, HUB, CG)).find((o) => o.partitionId === '1');
      const abandoned = await store.claimOwnership([claim('', '1', current1?.etag)]);
      expect(abandoned).toHaveLength(1);
      const afterAbandon = (await store.listOwnership(NS, HUB, CG)).find((o) => o.partitionId === '1');
      expect(afterAbandon?.ownerId).toBe('');

      // Checkpoints: offsets are strings (EH SDK 6); stored as blob metadata verbatim.
      const bigOffset = '12345678901234567890'; // > 2^53: must not go through a number
      await store.updateCheckpoint({
        fullyQualifiedNamespace: NS,
        eventHubName: HUB,
        consumerGroup: CG,
        partitionId: '0',
        sequenceNumber: 41,
        offset: '1000',
      });
      await store.updateCheckpoint({
        fullyQualifiedNamespace: NS,
        eventHubName: HUB,
        consumerGroup: CG,
        partitionId: '0',
        sequenceNumber: 42,
        offset: '2048',
      });
      await store.updateCheckpoint({
        fullyQualifiedNamespace: NS,
        eventHubName: HUB,
        consumerGroup: CG,
        partitionId: '1',
        sequenceNumber: 7,
        offset: bigOffset,
      });
      const checkpoints = (await store.listCheckpoints(NS, HUB, CG)).sort(byPartition);
      expect(checkpoints).toEqual([
        { fullyQualifiedNamespace: NS, eventHubName: HUB, consumerGroup: CG, partitionId: '0', sequenceNumber: 42, offset: '2048' },
        { fullyQualifiedNamespace: NS, eventHubName: HUB, consumerGroup: CG, partitionId: '1', sequenceNumber: 7, offset: bigOffset },
      ]);
      expect(typeof checkpoints[0]?.offset).toBe('string');
      expect(typeof checkpoints[0]?.sequenceNumber).toBe('number');

      // Layout: names are lower-cased (namespace, hub and consumer group are case-insensitive),
      // so a differently-cased consumer group sees the same state.
      const names: string[] = [];
      for await (const b of container.listBlobsFlat()) names.push(b.name);
      expect(names.sort()).toEqual([
        `${NS}/audit-logs/$default/checkpoint/0`,
        `${NS}/audit-logs/$default/checkpoint/1`,
        `${NS}/audit-logs/$default/ownership/0`,
        `${NS}/audit-logs/$default/ownership/1`,
      ]);
      expect(await store.listCheckpoints(NS, 'audit-logs', '$DEFAULT')).toHaveLength(2);
      const raw = await container.getBlobClient(`${NS}/audit-logs/$default/checkpoint/1`).getProperties();
      expect(raw.metadata).toEqual({ sequencenumber: '7', offset: bigOffset });
    } finally {
      await azurite.close();
    }
  });

  it('BlobCheckpointStore: a missing container is an error, not an empty list', { timeout: 20_000 }, async () => {
    const azurite = await startAzurite();
    try {
      const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('nope');
      const store = new BlobCheckpointStore(container);
      await expect(store.listOwnership(NS, HUB, CG)).rejects.toThrow(/ContainerNotFound|does not exist/);
      await expect(store.listCheckpoints(NS, HUB, CG)).rejects.toThrow(/ContainerNotFound|does not exist/);
      await expect(
        store.claimOwnership([
          { fullyQualifiedNamespace: NS, eventHubName: HUB, consumerGroup: CG, ownerId: 'A', partitionId: '0' },
        ]),
      ).rejects.toThrow(/ContainerNotFound|does not exist/);
    } finally {
      await azurite.close();
    }
  });
});
