/**
 * `sources.kafka` in auditlake.yaml (the Kafka sink shares its connection keys): its schema, the
 * name positions are stored under, and the connection it describes. No kafkajs: config
 * validation loads this; kafka.ts, which consumes, loads kafkajs.
 */
import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { AuditlakeError } from '../errors.js';

export const kafkaSchema = z.strictObject({
  /** `host:port` of the bootstrap brokers; not needed with eventHubsConnectionString. */
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1).optional(),
  /** An Event Hubs namespace connection string: its Kafka endpoint is used (TLS, SASL PLAIN, port 9093). */
  eventHubsConnectionString: z.string().min(1).optional(),
  topics: z.array(z.string().min(1)).min(1),
  groupId: z.string().min(1).default('auditlake'),
  clientId: z.string().min(1).default('auditlake'),
  /** Where a group with no committed offset starts. */
  fromBeginning: z.boolean().default(true),
  ssl: z.boolean().default(false),
  sasl: z.strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    password: z.string().min(1),
  }).optional(),
  /** Event Hubs drops connections idle for 240 s: keep the metadata refresh below that. */
  metadataMaxAgeSeconds: z.number().min(5).max(239).default(180),
  /** Event Hubs accepts 6–300 s. */
  sessionTimeoutSeconds: z.number().min(6).max(300).default(30),
  heartbeatIntervalSeconds: z.number().min(1).max(60).default(3),
  /**
   * How long a fetch waits at the broker for new records (kafkajs's maxWaitTimeInMs). Offset
   * commits and a graceful stop wait behind a fetch in flight, so an idle consumer stops up to
   * this much later (at most 10 s: run leaves its sources 10 s of the shutdown timeout to
   * close); shorter means more fetch requests while idle.
   */
  maxWaitTimeSeconds: z.number().min(0.05).max(10).default(5),
  /** Bytes fetched per partition per request: bounds memory. */
  maxBytesPerPartition: z.int().min(1024).max(64 << 20).default(1 << 20),
}).refine((c) => Boolean(c.brokers) !== Boolean(c.eventHubsConnectionString), {
  message: 'give either brokers or eventHubsConnectionString',
}).refine((c) => c.heartbeatIntervalSeconds * 3 <= c.sessionTimeoutSeconds, {
  message: 'heartbeatIntervalSeconds must be at most a third of sessionTimeoutSeconds',
});

export type KafkaConfig = z.infer<typeof kafkaSchema>;

/** The `checkpoints.source` of one topic read by one group. */
export function checkpointSource(groupId: string, topic: string): string {
  return `kafka:${groupId}/${topic}`;
}

/** Where and how to connect: the Event Hubs Kafka endpoint is TLS on 9093 with SASL PLAIN, user `$ConnectionString`. */
export function kafkaConnection(config: KafkaConfig): { brokers: string[]; ssl: boolean; sasl?: SASLOptions } {
  if (config.eventHubsConnectionString) {
    const host = /(?:^|;)\s*Endpoint=sb:\/\/([^/;:]+)/i.exec(config.eventHubsConnectionString)?.[1];
    if (!host) throw new AuditlakeError('bad_config', 'sources.kafka: eventHubsConnectionString has no Endpoint=sb://<namespace>/');
    return { brokers: [`${host}:9093`], ssl: true, sasl: { mechanism: 'plain', username: '$ConnectionString', password: config.eventHubsConnectionString } };
  }
  const { sasl } = config;
  return {
    brokers: config.brokers!,
    ssl: config.ssl,
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions } : {}),
  };
}
