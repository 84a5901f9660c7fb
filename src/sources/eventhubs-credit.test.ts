/** The real EventHubConsumerClient against the AMQP peer: its link credit stays within prefetchCount. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventHubConsumerClient, earliestEventPosition, type Subscription } from '@azure/event-hubs';
import { startEventHubsPeer, type EventHubsPeer } from '../../test/support/eventhubs-peer.js';
import { boundEventHubsPrefetch } from './eventhubs-credit.js';

const HUB = 'insights-logs';
const PREFETCH = 16;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => boundEventHubsPrefetch());
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function started(): Promise<EventHubsPeer> {
  const peer = await startEventHubsPeer({ hubs: { [HUB]: 1 } });
  cleanups.push(() => peer.close());
  return peer;
}

function subscribe(peer: EventHubsPeer, onBatch: (size: number) => Promise<void>): Subscription {
  const client = new EventHubConsumerClient('$Default', peer.connectionString(HUB));
  // Short receive cycles: each one that ends short is where the SDK granted credit again.
  const sub = client.subscribe('0', { processEvents: (batch) => onBatch(batch.length), processError: async () => {} },
    { startPosition: earliestEventPosition, prefetchCount: PREFETCH, maxBatchSize: 8, maxWaitTimeInSeconds: 0.05, skipParsingBodyAsJson: true });
  cleanups.push(() => client.close(), () => sub.close());
  return sub;
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !cond();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Event Hubs prefetch bound', () => {
  it('an idle partition does not pile up credit, and the burst after it arrives prefetchCount at a time', async () => {
    const peer = await started();
    let processed = 0;
    let mostAhead = 0; // sent by the peer, not yet handed to processEvents
    subscribe(peer, async (size) => {
      const link = peer.receivers()[0];
      if (link) mostAhead = Math.max(mostAhead, link.delivered - processed);
      await sleep(10);
      processed += size;
    });
    await until('the link', () => peer.receivers().length === 1);
    // ~40 empty receive cycles: the SDK alone granted PREFETCH more on each (640 here).
    await sleep(2_000);
    expect(peer.receivers()[0]!.credit).toBeLessThanOrEqual(PREFETCH);

    const total = 400;
    peer.send(HUB, '0', Array.from({ length: total }, (_, i) => JSON.stringify({ records: [{ i }] })));
    await until('the burst', () => processed >= total);
    const link = peer.receivers()[0]!;
    expect(link.delivered).toBe(total);
    expect(link.maxCredit).toBeLessThanOrEqual(PREFETCH);
    expect(mostAhead).toBeLessThanOrEqual(PREFETCH);
  });
});
