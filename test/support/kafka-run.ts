/**
 * What the `auditlake run` + Kafka tests (test/run-kafka*.test.ts) share: a producer, the
 * group's and the topic's offsets through kafkajs's admin, and the run's config, against one
 * librdkafka mock cluster (test/support/kafka-mock.ts) per test file.
 *
 * The mock's timings set these tests' pace (librdkafka 2.0.2): the first JoinGroup of an
 * empty group waits 3 s, a join after a member left or died waits sessionTimeout − 1 s (5 s
 * at the source's minimum of 6 s), and a fetch that finds nothing is answered only after the
 * client's whole MaxWait (kafkajs's 5 s) — holding back every answer behind it on that
 * connection, offset commits included, and each graceful stop.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaMock } from './kafka-mock.js';

export interface KafkaRunPeer {
  kafka: Kafka;
  /** Bodies to partitions round-robin over the topic's 3 partitions, checked against the topic's end. */
  produce(topic: string, bodies: string[]): Promise<void>;
  /** One partition's bodies, 20 per request. */
  produceTo(topic: string, partition: number, bodies: string[]): Promise<void>;
  /** auditlake.yaml for one topic and group, with the source's shortest group timings. */
  config(db: string, topic: string, groupId: string, extra?: object): object;
  groupOffsets(groupId: string, topic: string): Promise<Record<string, string>>;
  topicEnds(topic: string): Promise<Record<string, string>>;
  /** Commits `offset` for partition 0 as a member of the group (the mock has no DescribeGroups, so admin.setOffsets is out). */
  rewindGroup(groupId: string, topic: string, offset: string): Promise<void>;
}

export function kafkaRunPeer(mock: KafkaMock): KafkaRunPeer {
  const kafka = new Kafka({ clientId: 'test-producer', brokers: mock.brokers, logLevel: logLevel.NOTHING });

  async function withAdmin<T>(f: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await f(admin);
    } finally {
      await admin.disconnect();
    }
  }

  const topicEnds = (topic: string) => withAdmin(async (admin) =>
    Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [String(p.partition), p.high])));

  return {
    kafka,
    topicEnds,

    /** 15 per request: the mock silently keeps only part of a produce request of a few MB, so big requests are split and the topic's end is checked. */
    async produce(topic, bodies) {
      const before = await topicEnds(topic);
      const producer = kafka.producer();
      await producer.connect();
      try {
        for (let i = 0; i < bodies.length; i += 15) {
          await producer.send({ topic, messages: bodies.slice(i, i + 15).map((value, j) => ({ value, partition: (i + j) % 3 })) });
        }
      } finally {
        await producer.disconnect();
      }
      const after = await topicEnds(topic);
      const added = [0, 1, 2].reduce((n, p) => n + Number(after[p]) - Number(before[p] ?? 0), 0);
      if (added !== bodies.length) throw new Error(`the mock kept ${added} of ${bodies.length} messages`);
    },

    async produceTo(topic, partition, bodies) {
      const producer = kafka.producer();
      await producer.connect();
      try {
        for (let i = 0; i < bodies.length; i += 20) await producer.send({ topic, messages: bodies.slice(i, i + 20).map((value) => ({ value, partition })) });
      } finally {
        await producer.disconnect();
      }
    },

    config(db, topic, groupId, extra = {}) {
      return {
        db,
        // Short fetch waits: a graceful stop and offset commits wait behind an idle fetch.
        sources: { kafka: [{ brokers: mock.brokers, topics: [topic], groupId, sessionTimeoutSeconds: 6, heartbeatIntervalSeconds: 1, maxWaitTimeSeconds: 0.5, ...extra }] },
        server: { enabled: false },
      };
    },

    groupOffsets: (groupId, topic) => withAdmin(async (admin) => {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return Object.fromEntries((t?.partitions ?? []).map((p) => [String(p.partition), p.offset]));
    }),

    async rewindGroup(groupId, topic, offset) {
      const member = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 1000 });
      await member.connect();
      try {
        await member.subscribe({ topics: [topic] });
        let joined!: () => void;
        const join = new Promise<void>((r) => { joined = r; });
        member.on(member.events.GROUP_JOIN, () => joined());
        await member.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
        await join;
        await member.commitOffsets([{ topic, partition: 0, offset }]);
      } finally {
        await member.disconnect();
      }
    },
  };
}
