/**
 * `sources.kafka`: any Kafka cluster, or the Event Hubs Kafka endpoint (`eventHubsConnectionString`
 * sets SASL PLAIN with `$ConnectionString`, TLS and port 9093), read with kafkajs in a consumer group.
 *
 * Offsets are committed to the group only after the rows are stored (the batch's `ack`), and the
 * position is also kept in `checkpoints` with the rows: after a crash between the two, the
 * consumer seeks to the database's position rather than the group's older one.
 */
import { Kafka, logLevel as kafkaLogLevel, type Consumer, type EachBatchPayload, type logCreator } from 'kafkajs';
import type { Logger } from '../service/log.js';
import { AuditlakeError } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';
import { checkpointSource, kafkaConnection, type KafkaConfig } from './kafka-config.js';
import { unitsFromMessages } from './message.js';
import { reasonOf, type RunningSource, type SourceContext, type SourceHealth } from './source.js';

/**
 * kafkajs's warnings and errors as our log lines (it would print its own JSON otherwise).
 * `onError` hears each error line (redacted): what kafkajs says of a broker it cannot reach is
 * only in them while it retries, for minutes before it gives up.
 */
export function kafkaLogCreator(log: Logger, onError?: (text: string) => void): logCreator {
  return () => ({ namespace, level, log: entry }) => {
    const { message, error } = entry as { message: string; error?: string };
    // kafkajs's own text can quote a broker's answer or the connection it tried: redacted as ours is.
    const text = redactSecrets(String(message));
    const detail = error === undefined ? undefined : redactSecrets(String(error));
    log[level === kafkaLogLevel.ERROR ? 'error' : 'warn']({ kafka: namespace, detail }, text);
    if (level === kafkaLogLevel.ERROR) onError?.(detail && !text.includes(detail) ? `${text}: ${detail}` : text);
  };
}

/**
 * Readiness from kafkajs's instrumentation events. A consuming member keeps answering its
 * group coordinator: kafkajs heartbeats after every fetch that finds nothing (each
 * maxWaitTimeSeconds when idle) and after batches, and consumeBatch heartbeats while a batch waits
 * for the store; each HEARTBEAT event is an answered one, as are GROUP_JOIN and COMMIT_OFFSETS.
 * The coordinator drops a member it has not heard from for the session timeout: no answer for
 * that long (and at least two idle fetches, so one slow answer does not flap) is not consuming
 * — the broker gone, the network cut, a rebalance that does not end. FETCH events are not used:
 * kafkajs emits one after a fetch it swallowed a closed connection in, or made no request for.
 * Errors (CRASH, REQUEST_TIMEOUT, kafkajs's error lines) only say why: a rebalance logs errors
 * as part of the protocol, and kafkajs retries connection errors for minutes before it crashes,
 * except a crash it does not restart from, which is final.
 */
function kafkaHealth(config: KafkaConfig) {
  const silentLimitMs = Math.max(config.sessionTimeoutSeconds * 1000, 2 * config.maxWaitTimeSeconds * 1000);
  let joined = false;
  let answeredMs = 0;
  let lastError: string | undefined;
  let deadFor: string | undefined;
  const answered = () => { answeredMs = Date.now(); lastError = undefined; };
  const failed = (text: string) => { lastError = text; };
  const watch = (consumer: Consumer) => {
    const { GROUP_JOIN, HEARTBEAT, COMMIT_OFFSETS, CRASH, REQUEST_TIMEOUT, REBALANCING } = consumer.events;
    consumer.on(GROUP_JOIN, () => { joined = true; answered(); });
    consumer.on(HEARTBEAT, answered);
    consumer.on(COMMIT_OFFSETS, answered);
    consumer.on(REBALANCING, () => failed('the group is rebalancing'));
    consumer.on(REQUEST_TIMEOUT, ({ payload }) => failed(`${payload.apiName} request to ${payload.broker} timed out`));
    consumer.on(CRASH, ({ payload }) => {
      failed(`the consumer crashed: ${reasonOf(payload.error)}`);
      if (!payload.restart) deadFor = lastError;
    });
  };
  const health = (now = Date.now()): SourceHealth => {
    const why = lastError ? ` (last error: ${lastError})` : '';
    if (deadFor) return { ready: false, reason: `${deadFor}; kafkajs does not restart it` };
    if (!joined) return { ready: false, reason: `joining group ${config.groupId}${why}` };
    const silentMs = now - answeredMs;
    if (silentMs > silentLimitMs) return { ready: false, reason: `no answer from the group coordinator for ${Math.round(silentMs / 1000)} s${why}` };
    return { ready: true };
  };
  return { health, failed, watch };
}

export async function startKafka(config: KafkaConfig, ctx: SourceContext): Promise<RunningSource> {
  const log = ctx.log.child({ source: `kafka:${config.groupId}` });
  const health = kafkaHealth(config);
  const kafka = new Kafka({
    clientId: config.clientId,
    ...kafkaConnection(config),
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    // Short client retries: past them startSources retries with its own backoff, and kafkajs
    // restarts a consumer that crashed (restartOnFailure below).
    retry: { initialRetryTime: 500, maxRetryTime: 5000, retries: 3 },
    logLevel: kafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(log, health.failed),
  });
  const consumer = kafka.consumer({
    groupId: config.groupId,
    sessionTimeout: config.sessionTimeoutSeconds * 1000,
    heartbeatInterval: config.heartbeatIntervalSeconds * 1000,
    metadataMaxAge: config.metadataMaxAgeSeconds * 1000,
    maxBytesPerPartition: config.maxBytesPerPartition,
    maxWaitTimeInMs: config.maxWaitTimeSeconds * 1000,
    retry: { initialRetryTime: 1000, maxRetryTime: 30_000, retries: 8, restartOnFailure: async (err) => {
      log.warn({ err }, 'Kafka consumer failed; restarting it.');
      return true;
    } },
  });
  const admin = kafka.admin();
  health.watch(consumer);

  // On joining the group, partitions whose stored position is ahead of the group's committed
  // offset (a crash between commit and offset commit) start from the stored one. Comparing
  // takes a round trip while kafkajs fetches from the group offset at once, so each partition's
  // batches wait for the comparison, and those from before a seek are dropped (kafkajs then
  // fetches from the sought offset): otherwise they would be read, and stored by another
  // instance sharing the group, again. (Pausing instead stalls kafkajs's fetch loop for its
  // maxWaitTimeSeconds on every join.)
  let compared = new Map<string, Promise<bigint | undefined>>();
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const next = new Map<string, Promise<bigint | undefined>>();
    for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
      if (partitions.length === 0 || !ctx.positions.has(checkpointSource(config.groupId, topic))) continue;
      const sought = seekToStored(topic, partitions).catch((err: unknown) => {
        log.warn({ err, topic }, 'Could not compare stored positions with the group; using the group offsets.');
        return new Map<number, bigint>();
      });
      for (const partition of partitions) next.set(`${topic}/${partition}`, sought.then((m) => m.get(partition)));
    }
    compared = next; // set synchronously: kafkajs emits GROUP_JOIN before its first fetch
  });
  /** Seeks where the database is ahead; returns those partitions' sought offsets. */
  async function seekToStored(topic: string, partitions: number[]): Promise<Map<number, bigint>> {
    const sought = new Map<number, bigint>();
    // ctx.positions is kept current by the service: what is stored now, not what was at start.
    const stored = ctx.positions.get(checkpointSource(config.groupId, topic));
    if (!stored) return sought;
    const [committed] = await admin.fetchOffsets({ groupId: config.groupId, topics: [topic] });
    for (const partition of partitions) {
      const own = stored.get(String(partition));
      const group = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
      if (own !== undefined && BigInt(own) > BigInt(group)) {
        log.info({ topic, partition, offset: own, groupOffset: group }, 'Resuming from the stored position, ahead of the group offset.');
        consumer.seek({ topic, partition, offset: own });
        sought.set(partition, BigInt(own));
      }
    }
    return sought;
  }
  /** Whether a batch starting at `first` comes from before a seek (and is to be dropped). */
  const beforeSeek = async (topic: string, partition: number, first: string) => {
    const from = await compared.get(`${topic}/${partition}`);
    return from !== undefined && BigInt(first) < from;
  };

  await connect(consumer, admin, config);
  await consumer.subscribe({ topics: config.topics, fromBeginning: config.fromBeginning });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: (payload) => consumeBatch(payload, consumer, config, ctx, log, beforeSeek),
  });
  log.info({ topics: config.topics, groupId: config.groupId }, 'Kafka consumer started.');

  return {
    health: () => health.health(),
    stop: async () => {
      await consumer.disconnect();
      await admin.disconnect();
      log.info({}, 'Kafka consumer stopped.');
    },
  };
}

async function connect(consumer: Consumer, admin: ReturnType<Kafka['admin']>, config: KafkaConfig): Promise<void> {
  try {
    await admin.connect();
    await consumer.connect();
  } catch (err) {
    const where = config.brokers?.join(',') ?? 'the Event Hubs Kafka endpoint';
    throw new AuditlakeError('source_unavailable', `Kafka ${where}: cannot connect (${(err as Error).message})`, { cause: err });
  }
}

async function consumeBatch({ batch, resolveOffset, heartbeat, pause }: EachBatchPayload, consumer: Consumer, config: KafkaConfig,
  ctx: SourceContext, log: SourceContext['log'], beforeSeek: (topic: string, partition: number, first: string) => Promise<boolean>): Promise<void> {
  const last = batch.messages[batch.messages.length - 1];
  if (!last) return;
  const { topic, partition } = batch;
  // Not resolved: the seek made on joining takes effect on the next fetch.
  if (await beforeSeek(topic, partition, batch.messages[0]!.offset)) return;
  const next = String(BigInt(last.offset) + 1n);
  const { units, rejects } = unitsFromMessages(batch.messages.map((m) => ({ body: m.value, where: `offset ${m.offset}` })), `kafka:${topic}/${partition}`);
  // Waiting for room in the queue can outlast the session timeout: keep the membership alive.
  log.debug({ topic, partition, messages: batch.messages.length, next }, 'Kafka batch received.');
  const beat = setInterval(() => void heartbeat().catch(() => undefined), config.heartbeatIntervalSeconds * 1000);
  let queued: boolean;
  try {
    queued = await ctx.push({
      units,
      rejects,
      checkpoints: [{ source: checkpointSource(config.groupId, topic), partition: String(partition), position: next }],
      ack: async () => {
        log.debug({ topic, partition, next }, 'Committing offset.');
        await consumer.commitOffsets([{ topic, partition, offset: next }]).catch((err: unknown) => {
          log.warn({ topic, partition, err }, 'Offset not committed to the group (a rebalance?); the database has the position.');
        });
      },
    });
  } finally {
    clearInterval(beat);
  }
  if (!queued) {
    // Shutting down: not resolved, so not skipped. Paused, or kafkajs would fetch the same
    // batch again and again while the queued batches drain (their acks need the consumer running).
    pause();
    return;
  }
  resolveOffset(last.offset);
  log.debug({ topic, partition, next }, 'Kafka batch queued.');
  ctx.reportLag(checkpointSource(config.groupId, topic), String(partition), Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))));
}
