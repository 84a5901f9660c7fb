/**
 * `auditlake run` against librdkafka's mock cluster (test/support/kafka-mock.ts) with kafkajs:
 * every record once, group offsets committed only after the rows are stored, and kill -9 at
 * random points followed by a restart ends with exactly the produced records. Stopping with
 * batches queued and resuming ahead of the group: test/run-kafka-stop.test.ts (a file of its
 * own, so the two halves' waits on the mock's group timings run on both test workers).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from './support/kafka-mock.js';
import { kafkaRunPeer, type KafkaRunPeer } from './support/kafka-run.js';
import { queryJsonAsync, tempDir } from './support/db.js';
import { eventually, recordsFrom, replayedIdsAsync, SCENARIO_DAYS, startRun, storedIdsAsync, toBodies, writeConfig } from './support/service.js';

let mock: KafkaMock;
let peer: KafkaRunPeer;
const tmp = tempDir('auditlake-run-kafka-');
const records = recordsFrom(SCENARIO_DAYS, 2400);

beforeAll(async () => {
  mock = await startKafkaMock({ topics: { 'insights-logs-auditevent': 3, crash: 3 } });
  peer = kafkaRunPeer(mock);
});
afterAll(async () => {
  await mock?.close();
  tmp.cleanup();
});

// The expected ids (what `replay` stores from the same bodies) are replayed while the consumer runs.
const expectedIds = (name: string, bodies: string[]) => replayedIdsAsync(tmp.dir, name, bodies);

// Concurrent: the two tests share nothing but the mock (their own topic, group and database),
// and spend most of their time waiting on the mock's group timings.
describe.concurrent('auditlake run with Kafka', () => {
  it('stores every record once and commits group offsets after storing, equal to the stored positions', async () => {
    const topic = 'insights-logs-auditevent';
    const bodies = toBodies(records.slice(0, 1500), 25);
    await peer.produce(topic, bodies);
    const expected = expectedIds('kafka-expected', bodies);
    const db = join(tmp.dir, 'kafka.duckdb');
    const run = startRun(writeConfig(tmp.dir, peer.config(db, topic, 'auditlake-a'), 'kafka.yaml'));
    await run.waitForLog(() => run.committed('records') >= 1500, 60_000);
    await run.stop('SIGTERM');
    const [ids, checkpoints, group] = await Promise.all([
      storedIdsAsync(db),
      queryJsonAsync(db, "SELECT partition, position FROM checkpoints WHERE source = 'kafka:auditlake-a/insights-logs-auditevent'"),
      peer.groupOffsets('auditlake-a', topic),
    ]);
    expect(ids).toEqual(await expected);
    const stored = Object.fromEntries(checkpoints.map((r) => [String(r.partition), String(r.position)]));
    const perPartition = [0, 1, 2].map((p) => String(bodies.filter((_, i) => i % 3 === p).length));
    expect(stored).toEqual({ 0: perPartition[0], 1: perPartition[1], 2: perPartition[2] });
    expect(group).toEqual(stored);
  });

  it('kill -9 at two random points while consuming, then a restart: exactly the produced records, none missing, none twice', async () => {
    const bodies = toBodies(records, 8);
    const expected = expectedIds('kafka-crash-expected', bodies);
    const db = join(tmp.dir, 'kafka-crash.duckdb');
    const file = writeConfig(tmp.dir, peer.config(db, 'crash', 'auditlake-crash'), 'kafka-crash.yaml');
    const producing = (async () => {
      for (let i = 0; i < bodies.length; i += 30) {
        await peer.produce('crash', bodies.slice(i, i + 30));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    producing.catch(() => undefined); // awaited below; a failure surfaces there
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
    await eventually(async () => JSON.stringify(await peer.groupOffsets('auditlake-crash', 'crash')) === JSON.stringify(await peer.topicEnds('crash')), 60_000, 'the group to reach the end of the topic');
    await last.stop('SIGTERM');
    expect(await storedIdsAsync(db)).toEqual(await expected);
  });
});
