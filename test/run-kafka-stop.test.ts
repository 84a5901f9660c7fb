/**
 * `auditlake run` against librdkafka's mock cluster with kafkajs, stopping and starting again:
 * a SIGTERM with batches queued commits them and their offsets before the consumer leaves, and
 * a partition whose group offset is behind the database resumes from the database. (The other
 * half of the Kafka run tests: test/run-kafka.test.ts.)
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock, type KafkaMock } from './support/kafka-mock.js';
import { kafkaRunPeer, type KafkaRunPeer } from './support/kafka-run.js';
import { queryJsonAsync, tempDir } from './support/db.js';
import { eventually, recordsFrom, replayedIdsAsync, SCENARIO_DAYS, startRun, storedIdsAsync, toBodies, writeConfig } from './support/service.js';

let mock: KafkaMock;
let peer: KafkaRunPeer;
const tmp = tempDir('auditlake-run-kafka-stop-');
const records = recordsFrom(SCENARIO_DAYS, 1290);

beforeAll(async () => {
  mock = await startKafkaMock({ topics: { stop: 1, rejoin: 1 } });
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
describe.concurrent('auditlake run with Kafka, stopped and started again', () => {
  it('SIGTERM with batches queued: they commit and their offsets reach the group before the consumer leaves; a restart reads nothing again', async () => {
    // Small fetches: many batches, so the queue is full when the signal comes.
    const bodies = toBodies(records.slice(0, 1200), 3);
    const more = toBodies(records.slice(1200, 1290), 3);
    await peer.produceTo('stop', 0, bodies);
    const db = join(tmp.dir, 'kafka-stop.duckdb');
    const file = writeConfig(tmp.dir, peer.config(db, 'stop', 'auditlake-stop', { maxBytesPerPartition: 1024 }), 'kafka-stop.yaml');
    const run = startRun(file);
    await run.waitForLog((l) => l.msg === 'Batch committed.', 60_000);
    expect((await run.stop('SIGTERM')).code).toBe(0);
    const [[stored], group] = await Promise.all([
      queryJsonAsync(db, "SELECT position FROM checkpoints WHERE source = 'kafka:auditlake-stop/stop'"),
      peer.groupOffsets('auditlake-stop', 'stop'),
    ]);
    // Every batch the database holds has its offset in the group too (it was 20 against 360).
    expect(group).toEqual({ 0: String(stored!.position) });
    expect(run.output()).not.toMatch(/Offset not committed/);

    const expected = expectedIds('kafka-stop-expected', [...bodies, ...more]);
    await peer.produceTo('stop', 0, more);
    const again = startRun(file);
    await eventually(async () => (await peer.groupOffsets('auditlake-stop', 'stop'))[0] === String(bodies.length + more.length), 60_000, 'the group to reach the end');
    await again.stop('SIGTERM');
    // What the first run left (none of it, or the few batches refused while it drained) and the new ones, each once.
    expect(again.committed('duplicates')).toBe(0);
    expect(again.committed('records')).toBe((bodies.length + more.length - Number(stored!.position)) * 3);
    expect(await storedIdsAsync(db)).toEqual(await expected);
  });

  it('a partition whose group offset is behind the database resumes from the database before its first batch', async () => {
    const bodies = toBodies(records.slice(0, 600), 3);
    const later = toBodies(records.slice(600, 660), 3);
    await peer.produceTo('rejoin', 0, bodies);
    const db = join(tmp.dir, 'kafka-rejoin.duckdb');
    const file = writeConfig(tmp.dir, peer.config(db, 'rejoin', 'auditlake-rejoin'), 'kafka-rejoin.yaml');
    const first = startRun(file);
    await eventually(async () => (await peer.groupOffsets('auditlake-rejoin', 'rejoin'))[0] === String(bodies.length), 60_000, 'the group to reach the end');
    await first.stop('SIGTERM');
    const expected = expectedIds('kafka-rejoin-expected', [...bodies, ...later]);
    // As a crash between a commit and its offset commit leaves it: the group far behind the database.
    await peer.rewindGroup('auditlake-rejoin', 'rejoin', '20');
    await peer.produceTo('rejoin', 0, later);
    const second = startRun(file);
    await eventually(async () => (await peer.groupOffsets('auditlake-rejoin', 'rejoin'))[0] === String(bodies.length + later.length), 60_000, 'the group to reach the end after the restart');
    await second.stop('SIGTERM');
    // Not one batch fetched from the group's offset reached the store.
    expect({ records: second.committed('records'), duplicates: second.committed('duplicates') }).toEqual({ records: 60, duplicates: 0 });
    expect(second.logs().some((l) => l.msg.startsWith('Resuming from the stored position'))).toBe(true);
    expect(await storedIdsAsync(db)).toEqual(await expected);
  });
});
