/**
 * `auditlake run` against librdkafka's mock cluster (test/support/kafka-mock.ts) with kafkajs:
 * every record once, group offsets committed only after the rows are stored, and kill -9 at
 * random points followed by a restart ends with exactly the produced records.
 */
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock } from './support/kafka-mock.js';
import { queryJson, tempDir } from './support/db.js';
import { eventually, recordsFrom, replayedIds, SCENARIO_DAYS, startRun, storedIds, toBodies, writeConfig } from './support/service.js';

let mock: Awaited<ReturnType<typeof startKafkaMock>>;
let kafka: Kafka;
const tmp = tempDir('auditlake-run-kafka-');
const records = recordsFrom(SCENARIO_DAYS, 2400);

beforeAll(async () => {
  mock = await startKafkaMock({ topics: { 'insights-logs-auditevent': 3, crash: 3, stop: 1, rejoin: 1 } });
  kafka = new Kafka({ clientId: 'test-producer', brokers: mock.brokers, logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await mock?.close();
  tmp.cleanup();
});

/**
 * Bodies to partitions round-robin, 15 per request: the mock silently keeps only part of a
 * produce request of a few MB, so big requests are split and the topic's end is checked.
 */
async function produce(topic: string, bodies: string[]): Promise<void> {
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
}

function config(db: string, topic: string, groupId: string, extra: object = {}) {
  return {
    db,
    sources: { kafka: [{ brokers: mock.brokers, topics: [topic], groupId, sessionTimeoutSeconds: 6, heartbeatIntervalSeconds: 1, ...extra }] },
    server: { enabled: false },
  };
}

/** One partition's bodies, 20 per request. */
async function produceTo(topic: string, partition: number, bodies: string[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < bodies.length; i += 20) await producer.send({ topic, messages: bodies.slice(i, i + 20).map((value) => ({ value, partition })) });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Commits `offset` as the group's for one partition, as a member of the group (the mock has no
 * DescribeGroups, so admin.setOffsets is out): a crash between a commit and its offset commit
 * leaves the group behind the database just so.
 */
async function rewindGroup(groupId: string, topic: string, offset: string): Promise<void> {
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
}

const expectedIds = (name: string, bodies: string[]) => replayedIds(tmp.dir, name, bodies);
const ids = storedIds;

async function groupOffsets(groupId: string, topic: string): Promise<Record<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [String(p.partition), p.offset]));
  } finally {
    await admin.disconnect();
  }
}

async function topicEnds(topic: string): Promise<Record<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [String(p.partition), p.high]));
  } finally {
    await admin.disconnect();
  }
}

describe('auditlake run with Kafka', () => {
  it('stores every record once and commits group offsets after storing, equal to the stored positions', async () => {
    const topic = 'insights-logs-auditevent';
    const bodies = toBodies(records.slice(0, 1500), 25);
    await produce(topic, bodies);
    const db = join(tmp.dir, 'kafka.duckdb');
    const run = startRun(writeConfig(tmp.dir, config(db, topic, 'auditlake-a'), 'kafka.yaml'));
    await run.waitForLog(() => run.committed('records') >= 1500, 60_000);
    await run.stop('SIGTERM');
    expect(ids(db)).toEqual(expectedIds('kafka-expected', bodies));
    const stored = Object.fromEntries(queryJson(db, "SELECT partition, position FROM checkpoints WHERE source = 'kafka:auditlake-a/insights-logs-auditevent'")
      .map((r) => [String(r.partition), String(r.position)]));
    const perPartition = [0, 1, 2].map((p) => String(bodies.filter((_, i) => i % 3 === p).length));
    expect(stored).toEqual({ 0: perPartition[0], 1: perPartition[1], 2: perPartition[2] });
    expect(await groupOffsets('auditlake-a', topic)).toEqual(stored);
  });

  it('SIGTERM with batches queued: they commit and their offsets reach the group before the consumer leaves; a restart reads nothing again', async () => {
    // Small fetches: many batches, so the queue is full when the signal comes.
    const bodies = toBodies(records.slice(0, 1200), 3);
    await produceTo('stop', 0, bodies);
    const db = join(tmp.dir, 'kafka-stop.duckdb');
    const file = writeConfig(tmp.dir, config(db, 'stop', 'auditlake-stop', { maxBytesPerPartition: 1024 }), 'kafka-stop.yaml');
    const run = startRun(file);
    await run.waitForLog((l) => l.msg === 'Batch committed.', 60_000);
    expect((await run.stop('SIGTERM')).code).toBe(0);
    const [stored] = queryJson(db, "SELECT position FROM checkpoints WHERE source = 'kafka:auditlake-stop/stop'");
    // Every batch the database holds has its offset in the group too (it was 20 against 360).
    expect(await groupOffsets('auditlake-stop', 'stop')).toEqual({ 0: String(stored!.position) });
    expect(run.output()).not.toMatch(/Offset not committed/);

    const more = toBodies(records.slice(1200, 1290), 3);
    await produceTo('stop', 0, more);
    const again = startRun(file);
    await eventually(async () => (await groupOffsets('auditlake-stop', 'stop'))[0] === String(bodies.length + more.length), 60_000, 'the group to reach the end');
    await again.stop('SIGTERM');
    // What the first run left (none of it, or the few batches refused while it drained) and the new ones, each once.
    expect(again.committed('duplicates')).toBe(0);
    expect(again.committed('records')).toBe((bodies.length + more.length - Number(stored!.position)) * 3);
    expect(ids(db)).toEqual(expectedIds('kafka-stop-expected', [...bodies, ...more]));
  });

  it('a partition whose group offset is behind the database resumes from the database before its first batch', async () => {
    const bodies = toBodies(records.slice(0, 600), 3);
    await produceTo('rejoin', 0, bodies);
    const db = join(tmp.dir, 'kafka-rejoin.duckdb');
    const file = writeConfig(tmp.dir, config(db, 'rejoin', 'auditlake-rejoin'), 'kafka-rejoin.yaml');
    const first = startRun(file);
    await eventually(async () => (await groupOffsets('auditlake-rejoin', 'rejoin'))[0] === String(bodies.length), 60_000, 'the group to reach the end');
    await first.stop('SIGTERM');
    // As a crash between a commit and its offset commit leaves it: the group far behind the database.
    await rewindGroup('auditlake-rejoin', 'rejoin', '20');
    const later = toBodies(records.slice(600, 660), 3);
    await produceTo('rejoin', 0, later);
    const second = startRun(file);
    await eventually(async () => (await groupOffsets('auditlake-rejoin', 'rejoin'))[0] === String(bodies.length + later.length), 60_000, 'the group to reach the end after the restart');
    await second.stop('SIGTERM');
    // Not one batch fetched from the group's offset reached the store.
    expect({ records: second.committed('records'), duplicates: second.committed('duplicates') }).toEqual({ records: 60, duplicates: 0 });
    expect(second.logs().some((l) => l.msg.startsWith('Resuming from the stored position'))).toBe(true);
    expect(ids(db)).toEqual(expectedIds('kafka-rejoin-expected', [...bodies, ...later]));
  });

  it('kill -9 at two random points while consuming, then a restart: exactly the produced records, none missing, none twice', async () => {
    const bodies = toBodies(records, 8);
    const expected = expectedIds('kafka-crash-expected', bodies);
    const db = join(tmp.dir, 'kafka-crash.duckdb');
    const file = writeConfig(tmp.dir, config(db, 'crash', 'auditlake-crash'), 'kafka-crash.yaml');
    const producing = (async () => {
      for (let i = 0; i < bodies.length; i += 30) {
        await produce('crash', bodies.slice(i, i + 30));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    for (let round = 0; round < 2; round++) {
      const run = startRun(file);
      await run.waitForLog((l) => l.msg === 'Consuming.', 60_000);
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1500));
      await run.stop('SIGKILL');
    }
    await producing;
    const last = startRun(file);
    await last.waitForLog((l) => l.msg === 'Consuming.', 60_000);
    // Done when the group's committed offsets (moved only after storing) reach every partition's end.
    await eventually(async () => JSON.stringify(await groupOffsets('auditlake-crash', 'crash')) === JSON.stringify(await topicEnds('crash')), 60_000, 'the group to reach the end of the topic');
    await last.stop('SIGTERM');
    expect(ids(db)).toEqual(expected);
  });
});

