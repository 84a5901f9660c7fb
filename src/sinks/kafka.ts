/**
 * `sinks.kafka`: alerts as JSON messages keyed by `alert_id` on a Kafka topic or an Event Hub
 * (through its Kafka endpoint), for pipelines that forward to other SIEMs.
 *
 * The key makes repeats harmless: an update or a redelivery of an alert lands on the same
 * partition under the same key (a compacted topic keeps the latest). `acks: -1` — a send counts
 * only once every in-sync replica has it.
 */
import { Kafka, logLevel as kafkaLogLevel, Partitioners, type Producer, type RetryOptions } from 'kafkajs';
import type { AlertRow } from '../detectors/alert.js';
import { AuditlakeError } from '../errors.js';
import { kafkaConnection, kafkaSchema, type KafkaConfig } from '../sources/kafka-config.js';
import { kafkaLogCreator } from '../sources/kafka.js';
import type { KafkaSinkConfig } from './kafka-config.js';
import { scrubber } from './scrub.js';
import { alertJson, atLeast, SinkError, type Sink, type SinkContext } from './sink.js';

/** Event Hubs refuses requests over 1 MB: produce requests stay under this many bytes of values. */
const MAX_REQUEST_BYTES = 900_000;
/** An alert bigger than this alone has its evidence cut, rather than block the outbox forever. */
const MAX_MESSAGE_BYTES = 500_000;

/** Test-only: kafkajs client retries (default: a few short ones; the outbox retries past them). */
export interface KafkaSinkTestOptions {
  retry?: RetryOptions;
}

export function createKafkaSink(config: KafkaSinkConfig, ctx: SinkContext, options: KafkaSinkTestOptions = {}): Sink {
  const log = ctx.log.child({ sink: ctx.name });
  const timeoutMs = config.timeoutSeconds * 1000;
  const kafka = new Kafka({
    clientId: config.clientId,
    ...connect(config),
    connectionTimeout: 10_000,
    requestTimeout: timeoutMs,
    retry: options.retry ?? { initialRetryTime: 300, maxRetryTime: 5000, retries: 3 },
    logLevel: kafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(log),
  });
  // A broker's or kafkajs's error text never carries the SASL password or connection string on.
  const scrub = scrubber([config.sasl?.password, config.eventHubsConnectionString]);
  // Connected on the first send and reused; dropped after a failure so the next send starts clean.
  let producer: Promise<Producer> | undefined;

  function connected(): Promise<Producer> {
    producer ??= (async () => {
      const p = kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner, // Java's murmur2: same key, same partition as other clients
        allowAutoTopicCreation: false,
        metadataMaxAge: 180_000, // Event Hubs drops connections idle for 240 s
      });
      await p.connect();
      return p;
    })();
    return producer;
  }

  async function reset(): Promise<void> {
    const p = producer;
    producer = undefined;
    await p?.then((c) => c.disconnect()).catch(() => undefined);
  }

  async function produce(alerts: readonly AlertRow[]): Promise<void> {
    const p = await connected();
    let messages: { key: string; value: string }[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (messages.length) await p.send({ topic: config.topic, messages, acks: -1, timeout: timeoutMs });
      messages = [];
      bytes = 0;
    };
    for (const alert of alerts) {
      const value = messageValue(alert);
      const size = Buffer.byteLength(value);
      if (bytes + size > MAX_REQUEST_BYTES) await flush();
      messages.push({ key: alert.alert_id, value });
      bytes += size;
    }
    await flush();
  }

  return {
    name: ctx.name,
    maxBatch: config.maxBatch,
    accepts: atLeast(config.minSeverity),
    async send(alerts, signal) {
      // kafkajs takes no AbortSignal: race it. A send abandoned here may still land; the key dedupes.
      const timeout = AbortSignal.timeout(timeoutMs);
      const stop = AbortSignal.any([signal, timeout]);
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error(timeout.aborted ? `no acknowledgement within ${config.timeoutSeconds} s` : 'aborted'));
        if (stop.aborted) onAbort();
        else stop.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([produce(alerts), aborted]);
      } catch (err) {
        await reset();
        const where = config.brokers?.join(',') ?? 'the Event Hubs Kafka endpoint';
        throw new SinkError(`${ctx.name}: Kafka ${where} topic ${config.topic}: ${alerts.length} alerts not sent (${scrub((err as Error).message)})`);
      } finally {
        stop.removeEventListener('abort', onAbort!);
      }
    },
    async close() {
      await reset();
    },
  };
}

/** The source's connection handling, fed a source config built from the sink's four connection keys. */
function connect(config: KafkaSinkConfig): ReturnType<typeof kafkaConnection> {
  const { brokers, eventHubsConnectionString, ssl, sasl, topic } = config;
  const source: KafkaConfig = kafkaSchema.parse({ brokers, eventHubsConnectionString, ssl, sasl, topics: [topic] });
  try {
    return kafkaConnection(source);
  } catch (err) {
    throw new AuditlakeError('bad_config', (err as Error).message.replace('sources.kafka', 'sinks.kafka'), { cause: err });
  }
}

/** The alert as JSON; evidence replaced by a note when it alone would make the message too big. */
function messageValue(alert: AlertRow): string {
  const value = JSON.stringify(alertJson(alert));
  if (Buffer.byteLength(value) <= MAX_MESSAGE_BYTES) return value;
  const evidenceBytes = Buffer.byteLength(JSON.stringify(alert.evidence));
  return JSON.stringify(alertJson({ ...alert, evidence: { truncated: true, evidenceBytes } }));
}
