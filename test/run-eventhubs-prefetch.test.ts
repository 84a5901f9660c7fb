/**
 * `auditlake run` holds each Event Hubs link to its prefetchCount through idle time
 * (src/sources/eventhubs-credit.ts): the AMQP peer sees the credit the real client grants.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { tempDir } from './support/db.js';
import { startRun, writeConfig } from './support/service.js';

const HUB = 'quiet';
const PREFETCH = 16;
let peer: EventHubsPeer;
const tmp = tempDir('auditlake-run-prefetch-');

beforeAll(async () => {
  peer = await startEventHubsPeer({ hubs: { [HUB]: 1 } });
});
afterAll(async () => {
  await peer?.close();
  tmp.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('an idle partition keeps at most prefetchCount credit, so a burst after quiet arrives a window at a time', async () => {
  const db = join(tmp.dir, 'quiet.duckdb');
  const file = writeConfig(tmp.dir, {
    db,
    // Short receive cycles: each that ends short is where the SDK grants credit again.
    sources: { eventhubs: [{ connectionString: peer.connectionString(HUB), hubs: [HUB], prefetchCount: PREFETCH, maxBatchSize: 8, maxWaitTimeSeconds: 0.05 }] },
    server: { enabled: false },
  }, 'quiet.yaml');
  const run = startRun(file);
  try {
    await run.waitForLog((l) => l.msg === 'Consuming.');
    for (const deadline = Date.now() + 10_000; peer.receivers().length === 0 && Date.now() < deadline;) await sleep(20);
    // ~40 empty cycles: the SDK alone would have granted the link PREFETCH more on each.
    await sleep(2_000);
    expect(peer.receivers()[0]!.credit).toBeLessThanOrEqual(PREFETCH);

    const bodies = Array.from({ length: 300 }, (_, i) => JSON.stringify({ records: [{ time: '2025-11-14T03:00:00Z', category: 'AuditEvent', operationName: 'SecretGet', resultType: 'Success', callerIpAddress: '198.51.100.7', correlationId: `c-${i}`, resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV1' }] }));
    peer.send(HUB, '0', bodies);
    await run.waitForLog(() => run.committed('records') >= bodies.length, 60_000);
    expect(run.committed('stored')).toBe(bodies.length);
    expect(peer.receivers()[0]!.maxCredit).toBeLessThanOrEqual(PREFETCH);
  } finally {
    await run.stop('SIGTERM');
  }
});
