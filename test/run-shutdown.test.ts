/**
 * `auditlake run` when its store fails: it stops rather than skip data. A full disk is made
 * real with a file size limit on the process (prlimit --fsize: writes past it fail with EFBIG,
 * and node ignores SIGXFSZ), low enough that DuckDB's WAL cannot take a second batch, high
 * enough for the batch's stage file. The source is idle once the failing batch is in: nothing
 * else would wake the batch loop.
 */
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafkaMock } from './support/kafka-mock.js';
import { queryJson, tempDir } from './support/db.js';
import { recordsFrom, SCENARIO_DAYS, startRun, writeConfig } from './support/service.js';

let mock: Awaited<ReturnType<typeof startKafkaMock>>;
let kafka: Kafka;
const tmp = tempDir('auditlake-run-shutdown-');

beforeAll(async () => {
  mock = await startKafkaMock({ topics: { full: 1 } });
  kafka = new Kafka({ clientId: 'test-producer', brokers: mock.brokers, logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await mock?.close();
  tmp.cleanup();
});

async function produce(topic: string, body: string): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: [{ value: body, partition: 0 }] });
  } finally {
    await producer.disconnect();
  }
}

describe('auditlake run when the store fails', () => {
  it('a commit failing on a full disk with the source idle: exits non-zero within seconds, the error logged, the batch not skipped', async () => {
    const records = recordsFrom(SCENARIO_DAYS, 1200);
    const db = join(tmp.dir, 'full.duckdb');
    const file = writeConfig(tmp.dir, {
      db,
      sources: { kafka: [{ brokers: mock.brokers, topics: ['full'], groupId: 'auditlake-full', sessionTimeoutSeconds: 6, heartbeatIntervalSeconds: 1, maxWaitTimeSeconds: 0.5 }] },
      server: { enabled: false },
    }, 'full.yaml');
    // 600 records (measured): a stage file of 1.5-2 MB and 2 MB of WAL; two batches' WAL pass 3 MB.
    // The first body is there before the consumer joins, so its first fetch takes it (an empty
    // fetch is answered only after kafkajs's whole 5 s wait on the mock, whatever arrives meanwhile).
    await produce('full', JSON.stringify({ records: records.slice(0, 600) }));
    const run = startRun(file, [], {}, ['prlimit', '--fsize=3000000']);
    try {
      await run.waitForLog((l) => l.msg === 'Batch committed.', 60_000);
      await produce('full', JSON.stringify({ records: records.slice(600) }));
      const failed = await run.waitForLog((l) => l.msg === 'Batch loop failed; stopping.', 30_000);
      expect(JSON.stringify(failed.err)).toMatch(/Could not write file .*File too large/);
      const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(r, 15_000, 'still running'))]);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(run.output()).toMatch(/^auditlake: storing a batch .*File too large/m);
    } finally {
      await run.stop('SIGKILL'); // a no-op once it has exited
    }
    // Stopped, not skipped: the first batch is stored with its position, the second is not.
    expect(queryJson(db, 'SELECT partition, position FROM checkpoints')).toEqual([{ partition: '0', position: '1' }]);
  });
});
