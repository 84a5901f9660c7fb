/**
 * The alert sinks, listed, not discovered: `sinks.<kind>` in auditlake.yaml, each a list.
 * Each gets a name (its `name`, else `<kind>`, else `<kind>-<i>` beyond the first): the key of
 * its delivery state in the outbox, so renaming a sink delivers everything to it again.
 *
 * A kind's code is loaded only when a sink of that kind is built: Sentinel's brings
 * @azure/monitor-ingestion and Kafka's kafkajs, which the schemas here do not need.
 */
import { z } from 'zod';
import { AuditlakeError } from '../errors.js';
import type { DeliveryOptions } from './delivery.js';
import { kafkaSinkSchema } from './kafka-config.js';
import { ndjsonSchema } from './ndjson.js';
import { sentinelSchema } from './sentinel-config.js';
import type { Sink, SinkContext } from './sink.js';
import { stdoutSchema } from './stdout.js';
import { webhookSchema } from './webhook.js';

export const sinksSchema = z.strictObject({
  sentinel: z.array(sentinelSchema).default([]),
  webhook: z.array(webhookSchema).default([]),
  ndjson: z.array(ndjsonSchema).default([]),
  stdout: z.array(stdoutSchema).default([]),
  kafka: z.array(kafkaSinkSchema).default([]),
});

export type SinksConfig = z.infer<typeof sinksSchema>;

/** The delivery loop's timing: `delivery` in auditlake.yaml. */
export const deliverySchema = z.strictObject({
  pollSeconds: z.number().min(0.1).max(3600).default(2),
  initialBackoffSeconds: z.number().min(0.05).max(3600).default(1),
  maxBackoffSeconds: z.number().min(1).max(86_400).default(300),
  /** At the end of `replay`: how long to keep trying before leaving the rest pending. */
  replayDeadlineSeconds: z.number().min(0).max(3600).default(30),
});

export type DeliveryConfig = z.infer<typeof deliverySchema>;

/** Seconds, for people → the loop's milliseconds. Each sink has its own, shorter send timeout; this bounds them all. */
export function deliveryOptions(config: DeliveryConfig): DeliveryOptions {
  return { sendTimeoutMs: 120_000, initialBackoffMs: config.initialBackoffSeconds * 1000, maxBackoffMs: config.maxBackoffSeconds * 1000 };
}

type Context = Omit<SinkContext, 'name'>;

/** `name`, else `<kind>` for the first of its kind, else `<kind>-<i>`. */
function sinkName(kind: string, index: number, config: { name?: string | undefined }): string {
  return config.name ?? (index === 0 ? kind : `${kind}-${index}`);
}

/** Builds every configured sink, named; names must be unique. */
export async function buildSinks(config: SinksConfig, ctx: Context): Promise<Sink[]> {
  // Refused before any sink is built (or its code loaded).
  const named = namedSinks(config);
  named.forEach(({ kind, index, name }, i) => {
    if (named.findIndex((s) => s.name === name) < i) {
      throw new AuditlakeError('bad_config', `sinks.${kind}.${index}.name: '${name}' is already the name of another sink`);
    }
  });
  const built: Sink[] = [];
  const add = async <C extends { name?: string | undefined }>(kind: string, entries: C[], load: () => Promise<(c: C, ctx: SinkContext) => Sink>) => {
    if (entries.length === 0) return;
    const create = await load();
    entries.forEach((c, i) => built.push(create(c, { ...ctx, name: sinkName(kind, i, c) })));
  };
  await add('sentinel', config.sentinel, async () => (await import('./sentinel.js')).createSentinelSink);
  await add('webhook', config.webhook, async () => (await import('./webhook.js')).createWebhookSink);
  await add('ndjson', config.ndjson, async () => (await import('./ndjson.js')).createNdjsonSink);
  await add('stdout', config.stdout, async () => (await import('./stdout.js')).createStdoutSink);
  await add('kafka', config.kafka, async () => (await import('./kafka.js')).createKafkaSink);
  return built;
}

/** Each configured sink's kind, place in its list and name, in the schema's order. */
function namedSinks(config: SinksConfig): Array<{ kind: keyof SinksConfig; index: number; name: string }> {
  return (Object.keys(config) as Array<keyof SinksConfig>).flatMap((kind) =>
    config[kind].map((c, index) => ({ kind, index, name: sinkName(kind, index, c) })));
}

/** The names `buildSinks` would give, without building anything (for `alerts --pending`). */
export function sinkNames(config: SinksConfig): string[] {
  return namedSinks(config).map((s) => s.name);
}
