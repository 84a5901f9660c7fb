/** The Event Hubs test peer, proved against the real `EventHubConsumerClient` over loopback. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  EventHubConsumerClient,
  earliestEventPosition,
  latestEventPosition,
  type ReceivedEventData,
  type Subscription,
  type SubscriptionEventHandlers,
} from '@azure/event-hubs';
import { startEventHubsPeer, type EventHubsPeer } from './eventhubs-peer.js';

const HUB = 'insights-logs';

let peer: EventHubsPeer | undefined;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  await peer?.close();
  peer = undefined;
});

async function start(partitions = 3): Promise<EventHubsPeer> {
  peer = await startEventHubsPeer({ hubs: { [HUB]: partitions } });
  return peer;
}

function consumer(p: EventHubsPeer): EventHubConsumerClient {
  // Short retry delays: reconnects after dropConnections() should take well under a second.
  const client = new EventHubConsumerClient('$Default', p.connectionString(HUB), {
    retryOptions: { retryDelayInMs: 50, maxRetryDelayInMs: 200, timeoutInMs: 5_000 },
  });
  cleanups.push(() => client.close());
  return client;
}

function track(sub: Subscription): Subscription {
  cleanups.push(() => sub.close());
  return sub;
}

async function until(what: string, cond: () => boolean, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const bodyText = (e: ReceivedEventData): string => Buffer.from(e.body as Uint8Array).toString('utf8');
const body = (partition: string, i: number): string => JSON.stringify({ records: [{ partition, i }] });

/** Handlers that collect events and errors; fail the test on any error unless told otherwise. */
function collector(): { events: ReceivedEventData[]; errors: Error[]; handlers: SubscriptionEventHandlers } {
  const events: ReceivedEventData[] = [];
  const errors: Error[] = [];
  return {
    events,
    errors,
    handlers: {
      processEvents: async (batch) => void events.push(...batch),
      processError: async (err) => void errors.push(err),
    },
  };
}

describe('Event Hubs test peer with the real EventHubConsumerClient', () => {
  it('answers hub and partition properties over $management', async () => {
    const p = await start(3);
    const client = consumer(p);
    expect(p.send(HUB, '1', ['a', 'b', 'c'])).toBe(2);

    const hub = await client.getEventHubProperties();
    expect(hub.name).toBe(HUB);
    expect(hub.partitionIds).toEqual(['0', '1', '2']);
    expect(hub.createdOn).toBeInstanceOf(Date);
    expect(await client.getPartitionIds()).toEqual(['0', '1', '2']);

    const one = await client.getPartitionProperties('1');
    expect(one).toMatchObject({ partitionId: '1', eventHubName: HUB, beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 2, lastEnqueuedOffset: '2', isEmpty: false });
    expect(Math.abs(one.lastEnqueuedOnUtc.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await client.getPartitionProperties('0')).toMatchObject({ isEmpty: true, lastEnqueuedSequenceNumber: -1 });
    await expect(client.getPartitionProperties('7')).rejects.toThrow(/does not exist/);
  });

  it('delivers every body exactly once from the earliest position on all partitions, as bytes', async () => {
    const p = await start(3);
    const sent = new Set<string>();
    const send = (partition: string, from: number, n: number): void => {
      const bodies = Array.from({ length: n }, (_, k) => body(partition, from + k));
      bodies.forEach((b) => sent.add(b));
      p.send(HUB, partition, bodies, { source: 'test' });
    };
    for (const partition of ['0', '1', '2']) send(partition, 0, 20);

    const { events, errors, handlers } = collector();
    track(consumer(p).subscribe(handlers, { startPosition: earliestEventPosition, skipParsingBodyAsJson: true, maxBatchSize: 7, maxWaitTimeInSeconds: 1 }));
    await until('the backlog', () => events.length >= 60);
    for (const partition of ['0', '1', '2']) send(partition, 20, 5); // appended while receiving
    await until('the new events', () => events.length >= 75);
    await new Promise((r) => setTimeout(r, 200)); // room for a stray duplicate to show up

    expect(errors).toEqual([]);
    expect(events).toHaveLength(75);
    expect(events.every((e) => e.body instanceof Uint8Array)).toBe(true);
    expect(new Set(events.map(bodyText))).toEqual(sent);
    const first = events[0]!;
    expect(typeof first.offset).toBe('string');
    expect(first.enqueuedTimeUtc).toBeInstanceOf(Date);
    expect(first.properties).toEqual({ source: 'test' });
  });

  it('JSON-parses bodies by default and streams generated bodies on demand', async () => {
    const p = await start(1);
    p.send(HUB, '0', [JSON.stringify({ records: [{ n: 1 }] })]);
    p.sendGenerated(HUB, '0', 500, (i) => JSON.stringify({ records: [{ n: i + 2 }] }));
    expect(p.count(HUB, '0')).toBe(501);

    const { events, errors, handlers } = collector();
    track(consumer(p).subscribe('0', handlers, { startPosition: earliestEventPosition, maxBatchSize: 100, maxWaitTimeInSeconds: 1 }));
    await until('all events', () => events.length >= 501);
    expect(errors).toEqual([]);
    const ns = events.map((e) => (e.body as { records: Array<{ n: number }> }).records[0]!.n);
    expect(ns).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    expect(events.map((e) => e.sequenceNumber)).toEqual(Array.from({ length: 501 }, (_, i) => i));
  });

  it('resumes from a sequence number or an offset per partition, from an enqueued time, and from latest', async () => {
    const p = await start(3);
    for (const partition of ['0', '1', '2']) p.send(HUB, partition, Array.from({ length: 10 }, (_, i) => body(partition, i)));

    const { events, errors, handlers } = collector();
    track(
      consumer(p).subscribe(handlers, {
        startPosition: { '0': { sequenceNumber: 4 }, '1': { offset: '6' }, '2': { sequenceNumber: 7, isInclusive: true } },
        skipParsingBodyAsJson: true,
        maxWaitTimeInSeconds: 1,
      }),
    );
    await until('the later events', () => events.length >= 3 + 5 + 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(errors).toEqual([]);
    const seen = (partition: string): number[] =>
      events.filter((e) => bodyText(e).includes(`"partition":"${partition}"`)).map((e) => e.sequenceNumber);
    expect(seen('0')).toEqual([5, 6, 7, 8, 9]);
    expect(seen('1')).toEqual([7, 8, 9]);
    expect(seen('2')).toEqual([7, 8, 9]);

    const at = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    p.send(HUB, '1', [body('1', 10)]);
    const since = collector();
    track(consumer(p).subscribe('1', since.handlers, { startPosition: { enqueuedOn: at }, maxWaitTimeInSeconds: 1 }));
    await until('the event enqueued after the given time', () => since.events.length >= 1);
    expect(since.events.map((e) => e.sequenceNumber)).toEqual([10]);

    const latest = collector();
    track(consumer(p).subscribe('0', latest.handlers, { startPosition: latestEventPosition, maxWaitTimeInSeconds: 1 }));
    await until('the latest receiver', () => p.receivers().filter((r) => r.partition === '0').length === 2);
    p.send(HUB, '0', [body('0', 10)]);
    await until('the new event', () => latest.events.length >= 1);
    expect(latest.events.map((e) => e.sequenceNumber)).toEqual([10]);
  });

  it('never delivers beyond the credit a small prefetchCount grants to a slow handler', async () => {
    const p = await start(1);
    const total = 200;
    const prefetchCount = 10;
    p.send(HUB, '0', Array.from({ length: total }, (_, i) => body('0', i)));

    let processed = 0;
    let maxAhead = 0; // delivered by the peer but not yet handed to processEvents
    const errors: Error[] = [];
    track(
      consumer(p).subscribe(
        '0',
        {
          processEvents: async (batch) => {
            const link = p.receivers()[0];
            if (link) maxAhead = Math.max(maxAhead, link.delivered - processed);
            await new Promise((r) => setTimeout(r, 25));
            processed += batch.length;
          },
          processError: async (err) => void errors.push(err),
        },
        // A long wait: every receiveBatch that ends short re-adds prefetchCount credit (SDK behaviour), so idle cycles would inflate maxCredit.
        { startPosition: earliestEventPosition, prefetchCount, maxBatchSize: prefetchCount, maxWaitTimeInSeconds: 5, skipParsingBodyAsJson: true },
      ),
    );
    await until('the slow handler to finish', () => processed >= total);
    const [link] = p.receivers();
    expect(errors).toEqual([]);
    expect(link?.delivered).toBe(total);
    expect(link?.maxCredit).toBeLessThanOrEqual(prefetchCount);
    expect(maxAhead).toBeGreaterThan(0);
    expect(maxAhead).toBeLessThanOrEqual(prefetchCount);
  });

  it('lets the client reconnect after dropped connections and continue without loss', async () => {
    const p = await start(3);
    const sent = new Set<string>();
    const send = (from: number): void => {
      for (const partition of ['0', '1', '2']) {
        const bodies = Array.from({ length: 10 }, (_, k) => body(partition, from + k));
        bodies.forEach((b) => sent.add(b));
        p.send(HUB, partition, bodies);
      }
    };
    send(0);
    const { events, handlers } = collector();
    track(consumer(p).subscribe(handlers, { startPosition: earliestEventPosition, skipParsingBodyAsJson: true, maxBatchSize: 5, maxWaitTimeInSeconds: 1 }));
    await until('the first events', () => events.length >= 30);

    p.dropConnections();
    send(10);
    await until('the events sent after the drop', () => events.length >= 60);
    await until('receivers to reattach', () => p.receivers().length === 3);
    p.dropConnections();
    send(20);
    await until('the events sent after the second drop', () => events.length >= 90);
    await new Promise((r) => setTimeout(r, 200));

    const texts = events.map(bodyText);
    expect(new Set(texts)).toEqual(sent);
    expect(texts).toHaveLength(90); // the SDK resumes after the last sequence number it saw
  });

  it('detaches an older receiver when a higher owner level takes the partition, and refuses a lower one', async () => {
    const p = await start(1);
    const closes: string[] = [];
    const a = collector();
    track(
      consumer(p).subscribe('0', { ...a.handlers, processClose: async (reason) => void closes.push(reason) }, { ownerLevel: 1, startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 }),
    );
    await until('the first receiver', () => p.receivers().length === 1);

    const b = collector();
    track(consumer(p).subscribe('0', b.handlers, { ownerLevel: 2, startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 }));
    await until('the first receiver to lose ownership', () => closes.length > 0);
    expect(closes).toEqual(['OwnershipLost']);
    expect(a.errors.map((e) => (e as Error & { code?: string }).code)).toContain('ReceiverDisconnectedError');
    expect(p.receivers().map((r) => r.ownerLevel)).toEqual([2]);

    const c = collector();
    track(consumer(p).subscribe('0', c.handlers, { ownerLevel: 1, startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 }));
    await until('the lower owner level to be refused', () => c.errors.length > 0);
    expect((c.errors[0] as Error & { code?: string }).code).toBe('ReceiverDisconnectedError');

    p.send(HUB, '0', ['{"records":[]}']);
    await until('the owner to receive', () => b.events.length === 1);
    expect(b.errors).toEqual([]);
    expect(p.receivers().map((r) => r.ownerLevel)).toEqual([2]);
  });

  it('reports last-enqueued properties when the client tracks them', async () => {
    const p = await start(1);
    p.send(HUB, '0', ['{"records":[1]}', '{"records":[2]}', '{"records":[3]}']);
    let last: { sequenceNumber?: number; offset?: string } = {};
    track(
      consumer(p).subscribe(
        '0',
        {
          processEvents: async (batch, context) => {
            if (batch.length) last = { ...context.lastEnqueuedEventProperties };
          },
          processError: async () => {},
        },
        { startPosition: earliestEventPosition, trackLastEnqueuedEventProperties: true, maxBatchSize: 1, maxWaitTimeInSeconds: 1 },
      ),
    );
    await until('last-enqueued properties', () => last.sequenceNumber === 2);
    expect(last.offset).toBe('2');
  });
});
