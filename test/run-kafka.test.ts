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
  mock = await startKafkaMock({ topics: { 'insights-logs-auditevent': 3, crash: 3 } });
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

function config(db: string, topic: string, groupId: string) {
  return {
    db,
    sources: { kafka: [{ brokers: mock.brokers, topics: [topic], groupId, sessionTimeoutSeconds: 6, heartbeatIntervalSeconds: 1 }] },
    server: { enabled: false },
  };
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

