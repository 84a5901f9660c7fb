/**
 * The Kafka test peer (librdkafka 2.0.2 mock cluster) driven by the real kafkajs client over
 * loopback sockets: produce, consumer groups with explicit commits, resume from commits, admin
 * offsets, seek on assignment, and a running group rebalancing between two members.
 *
 * Timing, set by the mock and not by kafkajs: the first JoinGroup of an empty group waits a fixed
 * 3 s (group.initial.rebalance.delay), a rebalance of a running group waits sessionTimeout − 1 s.
 */
import { Kafka, logLevel, Partitioners, type Consumer, type ConsumerConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from './kafka-mock.js';

interface Got {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

let mock: KafkaMock;
let kafka: Kafka;

function client(brokers: string[]): Kafka {
  return new Kafka({
    clientId: 'kafka-mock-test',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    // kafkajs's default (5 retries from 300 ms, doubling) turns every failure into ~20 s of waiting.
    retry: { initialRetryTime: 100, retries: 3 },
  });
}

beforeAll(async () => {
  mock = await startKafkaMock({ topics: { produce: 3, commits: 3, resume: 3, seek: 3, rebalance: 4 } });
  kafka = client(mock.brokers);
});

afterAll(async () => {
  await mock?.close();
});

/** Short group timings (the mock accepts them): a rebalance then takes ~2 s. */
function consumerConfig(groupId: string): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: 3_000,
    rebalanceTimeout: 3_000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 100, retries: 3 },
  };
}

async function produce(topic: string, from: number, count: number, via = kafka): Promise<void> {
  const producer = via.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % 50}`, value: `m${from + i}` }));
    for (let i = 0; i < messages.length; i += 250) {
      await producer.send({ topic, messages: messages.slice(i, i + 250) });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Subscribes and runs `consumer` the way the app does: eachBatch, autoCommit off, every message
 * resolved by hand and the resolved offsets committed explicitly after each batch. Messages go
 * to `got`. Returns once the consumer runs (kafkajs's run() resolves after the first join).
 */
async function runCommitting(consumer: Consumer, topic: string, got: Got[]): Promise<void> {
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, uncommittedOffsets, isRunning, isStale }) => {
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) break;
        got.push({ partition: batch.partition, offset: Number(m.offset), key: String(m.key), value: String(m.value) });
        resolveOffset(m.offset);
      }
      // With autoCommit off (and no autoCommitInterval/Threshold) commitOffsetsIfNecessary()
      // without arguments commits nothing: hand it the resolved offsets.
      await commitOffsetsIfNecessary(uncommittedOffsets());
      await heartbeat();
    },
  });
}

async function waitFor(check: () => boolean, ms = 8_000): Promise<void> {
  for (const deadline = Date.now() + ms; !check() && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a fresh consumer of `groupId` until `count` messages arrived, then disconnects it. */
async function consumeCommitting(groupId: string, topic: string, count: number, setup?: (c: Consumer) => void): Promise<Got[]> {
  const consumer = kafka.consumer(consumerConfig(groupId));
  setup?.(consumer);
  const got: Got[] = [];
  await consumer.connect();
  try {
    await runCommitting(consumer, topic, got);
    await waitFor(() => got.length >= count);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function withAdmin<T>(f: (admin: ReturnType<Kafka['admin']>) => Promise<T>, via = kafka): Promise<T> {
  const admin = via.admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}

async function highWatermarks(topic: string, via = kafka): Promise<Map<number, number>> {
  const offsets = await withAdmin((admin) => admin.fetchTopicOffsets(topic), via);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

async function committed(groupId: string, topic: string, via = kafka): Promise<Map<number, number>> {
  const [entry] = await withAdmin((admin) => admin.fetchOffsets({ groupId, topics: [topic] }), via);
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

// Concurrent: each test has its own topic and group (the 3-broker one its own cluster), and
// most of each is the mock's fixed join delay.
describe.concurrent('Kafka mock cluster with kafkajs', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(mock.brokers).toHaveLength(1);
    for (const b of mock.brokers) expect(b).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('takes 1,000 keyed messages on a 3-partition topic, same key → same partition', async () => {
    await produce('produce', 0, 1_000);
    const high = await highWatermarks('produce');
    expect([...high.keys()].sort()).toEqual([0, 1, 2]);
    expect([...high.values()].reduce((a, b) => a + b, 0)).toBe(1_000);
    for (const n of high.values()) expect(n).toBeGreaterThan(0);

    const got = await consumeCommitting('produce-check', 'produce', 1_000);
    expect(got).toHaveLength(1_000);
    const partitionOfKey = new Map<string, number>();
    for (const g of got) {
      expect(partitionOfKey.get(g.key) ?? g.partition).toBe(g.partition);
      partitionOfKey.set(g.key, g.partition);
    }
  });

  it('group g1 consumes all with eachBatch and explicit commits; admin.fetchOffsets returns them', async () => {
    await produce('commits', 0, 1_000);
    const got = await consumeCommitting('g1', 'commits', 1_000);
    expect(got).toHaveLength(1_000);
    expect(new Set(got.map((g) => g.value)).size).toBe(1_000);
    const high = await highWatermarks('commits');
    expect(await committed('g1', 'commits')).toEqual(high);
  });

  it('a new consumer in the same group resumes from the committed offsets', async () => {
    await produce('resume', 0, 1_000);
    expect(await consumeCommitting('g-resume', 'resume', 1_000)).toHaveLength(1_000);
    await produce('resume', 1_000, 30);
    // Had it started anywhere before the commit, old messages would come first in that partition.
    const got = await consumeCommitting('g-resume', 'resume', 30);
    expect(got.map((g) => g.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${1_000 + i}`).sort());
    expect(await committed('g-resume', 'resume')).toEqual(await highWatermarks('resume'));
  });

  it('seeks, on assignment, to positions stored elsewhere', async () => {
    await produce('seek', 0, 300);
    const high = await highWatermarks('seek');
    // positions "from our own database": 10 before the end of each partition
    const stored = new Map([...high].map(([p, h]) => [p, Math.max(0, h - 10)]));
    const expected = [...high.values()].reduce((a, h) => a + Math.min(10, h), 0);

    const got = await consumeCommitting('g-seek', 'seek', expected, (consumer) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const partition of payload.memberAssignment.seek ?? []) {
          consumer.seek({ topic: 'seek', partition, offset: String(stored.get(partition) ?? 0) });
        }
      });
    });
    expect(got).toHaveLength(expected);
    for (const g of got) expect(g.offset).toBeGreaterThanOrEqual(stored.get(g.partition) ?? Infinity);
    expect(await committed('g-seek', 'seek')).toEqual(high);
  });

  it('rebalances a running group: a second member takes half the partitions and gives them back on leave', async () => {
    const a = kafka.consumer(consumerConfig('g-two'));
    const b = kafka.consumer(consumerConfig('g-two'));
    const assigned = new Map<Consumer, number[]>();
    for (const c of [a, b]) {
      c.on(c.events.GROUP_JOIN, ({ payload }) => assigned.set(c, [...(payload.memberAssignment.rebalance ?? [])].sort()));
    }
    const gotA: Got[] = [];
    const gotB: Got[] = [];
    const seen = (): number => new Set([...gotA, ...gotB].map((g) => g.value)).size;
    try {
      await a.connect();
      await runCommitting(a, 'rebalance', gotA);
      await waitFor(() => assigned.get(a)?.length === 4);
      await produce('rebalance', 0, 200);
      await waitFor(() => seen() >= 200);
      expect(seen()).toBe(200);

      await b.connect();
      await runCommitting(b, 'rebalance', gotB);
      await waitFor(() => assigned.get(a)?.length === 2 && assigned.get(b)?.length === 2);
      const pb = assigned.get(b) ?? [];
      expect([...(assigned.get(a) ?? []), ...pb].sort()).toEqual([0, 1, 2, 3]);
      await produce('rebalance', 200, 200);
      await waitFor(() => seen() >= 400);
      expect(seen()).toBe(400);
      expect(new Set(gotB.map((g) => g.partition))).toEqual(new Set(pb));
      // the moved partitions continued from their committed offsets: nothing was read twice
      expect(gotA.length + gotB.length).toBe(400);

      await b.disconnect();
      await waitFor(() => assigned.get(a)?.length === 4);
      await produce('rebalance', 400, 100);
      await waitFor(() => seen() >= 500);
      expect(seen()).toBe(500);
      expect(gotA.length + gotB.length).toBe(500);
    } finally {
      await Promise.all([a.disconnect(), b.disconnect()]);
    }
    expect(await committed('g-two', 'rebalance')).toEqual(await highWatermarks('rebalance'));
  });

  it('works with 3 brokers (partition leaders spread over them)', async () => {
    const three = await startKafkaMock({ topics: { spread: 6 }, brokers: 3 });
    try {
      expect(three.brokers).toHaveLength(3);
      const k = client(three.brokers);
      const leaders = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: ['spread'] }), k);
      expect(new Set(leaders.topics[0]?.partitions.map((p) => p.leader)).size).toBe(3);
      await produce('spread', 0, 600, k);
      const consumer = k.consumer(consumerConfig('g-spread'));
      const got: Got[] = [];
      await consumer.connect();
      try {
        await runCommitting(consumer, 'spread', got);
        await waitFor(() => got.length >= 600);
      } finally {
        await consumer.disconnect();
      }
      expect(new Set(got.map((g) => g.value)).size).toBe(600);
      expect(await committed('g-spread', 'spread', k)).toEqual(await highWatermarks('spread', k));
    } finally {
      await three.close();
    }
  });
});
