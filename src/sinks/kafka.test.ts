/**
 * The Kafka sink against librdkafka's mock cluster (test/support/kafka-mock.ts), read back with
 * a real kafkajs consumer.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRow } from '../detectors/alert.js';
import { createLogger } from '../service/log.js';
import { startKafkaMock, type KafkaMock } from '../../test/support/kafka-mock.js';
import { kafkaSinkSchema } from './kafka-config.js';
import { createKafkaSink } from './kafka.js';
import { SinkError } from './sink.js';

function alert(i: number): AlertRow {
  return {
    alert_id: `alert-${String(i).padStart(4, '0')}`, detector_id: 'keyvault.list-then-get', title: 'List then get', severity: i % 4 === 0 ? 'high' : 'medium',
    tactics: ['CredentialAccess'], techniques: ['T1555'], time_generated: Date.UTC(2025, 10, 14) + i, first_event_time: Date.UTC(2025, 10, 13),
    last_event_time: Date.UTC(2025, 10, 14), principal_id: 'oid', principal_name: null, app_id: 'app', caller_ip: null, resource_id: null,
    event_count: i, evidence: { event_ids: [`e${i}`, `f${i}`] }, description: 'Listed secrets, then read them.', remediation: 'Rotate.',
  };
}

const ctx = { name: 'kafka', log: createLogger('silent'), credential: () => { throw new Error('unused'); } };
const never = new AbortController().signal;
const fastRetry = { retry: { initialRetryTime: 100, retries: 1 } };
let mock: KafkaMock;

beforeAll(async () => {
  mock = await startKafkaMock({ topics: { alerts: 3, other: 1 } });
});
afterAll(async () => {
  await mock?.close();
});

describe('kafka sink', () => {
  it('delivers 1,000 alerts in batches, keyed by alert_id, JSON values that parse', async () => {
    const config = kafkaSinkSchema.parse({ brokers: mock.brokers, topic: 'alerts' });
    expect(config).toMatchObject({ clientId: 'auditlake-alerts', timeoutSeconds: 30, maxBatch: 500, ssl: false });
    const sink = createKafkaSink(config, ctx, fastRetry);
    const alerts = Array.from({ length: 1000 }, (_, i) => alert(i));
    const huge = { blob: 'x'.repeat(600_000) }; // too big for one message: its evidence is cut, the alert still goes
    alerts[500] = { ...alerts[500]!, evidence: huge };
    for (let i = 0; i < alerts.length; i += 200) await sink.send(alerts.slice(i, i + 200), never);
    await sink.close?.();

    const kafka = new Kafka({ clientId: 'sink-test', brokers: mock.brokers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 3 } });
    const consumer = kafka.consumer({ groupId: 'sink-test', sessionTimeout: 3000, rebalanceTimeout: 3000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    const got = new Map<string, Record<string, unknown>>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: ['alerts'], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => {
        got.set(String(message.key), JSON.parse(String(message.value)) as Record<string, unknown>);
      } });
      for (const deadline = Date.now() + 30_000; got.size < 1000 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await consumer.disconnect();
    }
    expect(got.size).toBe(1000);
    for (const a of alerts) {
      const evidence = a.evidence === huge ? { truncated: true, evidenceBytes: JSON.stringify(huge).length } : a.evidence;
      expect(got.get(a.alert_id)).toMatchObject({ alert_id: a.alert_id, event_count: a.event_count, evidence });
    }
    expect(got.get('alert-0001')?.time_generated).toBe('2025-11-14T00:00:00.001Z');
  });

  it('fails with a SinkError, in bounded time, when the cluster is gone', async () => {
    const gone = await startKafkaMock({ topics: { alerts: 1 } });
    const sink = createKafkaSink(kafkaSinkSchema.parse({ brokers: gone.brokers, topic: 'alerts', timeoutSeconds: 5 }), ctx, fastRetry);
    await sink.send([alert(1)], never); // connected and working
    await gone.close();
    const started = Date.now();
    const err = await sink.send([alert(2)], never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toMatch(/kafka: Kafka 127\.0\.0\.1:\d+ topic alerts: 1 alerts not sent/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await sink.close?.();
  });

  it('fails with a SinkError when nothing listens from the start', async () => {
    const sink = createKafkaSink(kafkaSinkSchema.parse({ brokers: ['127.0.0.1:1'], topic: 'alerts', timeoutSeconds: 5 }), ctx, fastRetry);
    const started = Date.now();
    expect(await sink.send([alert(1)], never).catch((e: unknown) => e)).toBeInstanceOf(SinkError);
    expect(Date.now() - started).toBeLessThan(10_000);
    await sink.close?.();
  });

  it('takes the connection like sources.kafka: either brokers or an Event Hubs connection string', () => {
    const cs = 'Endpoint=sb://contoso-alerts.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc=';
    expect(kafkaSinkSchema.safeParse({ eventHubsConnectionString: cs, topic: 'alerts' }).success).toBe(true);
    expect(kafkaSinkSchema.safeParse({ topic: 'alerts' }).success).toBe(false);
    expect(kafkaSinkSchema.safeParse({ brokers: ['k:9092'], eventHubsConnectionString: cs, topic: 'alerts' }).success).toBe(false);
    expect(() => createKafkaSink(kafkaSinkSchema.parse({ eventHubsConnectionString: 'SharedAccessKey=abc', topic: 'alerts' }), ctx))
      .toThrow(/sinks\.kafka: eventHubsConnectionString has no Endpoint/);
  });
});
