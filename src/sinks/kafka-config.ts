/**
 * `sinks.kafka` in auditlake.yaml (what it does: kafka.ts). No kafkajs: config validation loads
 * this; kafka.ts, which sends, loads kafkajs.
 */
import { z } from 'zod';
import { kafkaSchema } from '../sources/kafka-config.js';
import { sinkCommon } from './sink.js';

const { brokers, eventHubsConnectionString, ssl, sasl } = kafkaSchema.shape;

export const kafkaSinkSchema = z.strictObject({
  ...sinkCommon,
  /** Connection exactly as `sources.kafka`: `brokers` (+ `ssl`, `sasl`) or `eventHubsConnectionString`. */
  brokers,
  eventHubsConnectionString,
  ssl,
  sasl,
  /** The topic (for Event Hubs: the event hub) the alerts go to; it must exist. */
  topic: z.string().min(1),
  clientId: z.string().min(1).default('auditlake-alerts'),
  timeoutSeconds: z.number().positive().max(300).default(30),
  maxBatch: z.int().min(1).max(10_000).default(500),
}).refine((c) => Boolean(c.brokers) !== Boolean(c.eventHubsConnectionString), {
  message: 'give either brokers or eventHubsConnectionString',
});

export type KafkaSinkConfig = z.infer<typeof kafkaSinkSchema>;
