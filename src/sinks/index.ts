/**
 * The alert sinks, listed, not discovered: `sinks.<kind>` in auditlake.yaml, each a list.
 * Each gets a name (its `name`, else `<kind>`, else `<kind>-<i>` beyond the first): the key of
 * its delivery state in the outbox, so renaming a sink delivers everything to it again.
 */
import { z } from 'zod';
import { AuditlakeError } from '../errors.js';
import { createKafkaSink, kafkaSinkSchema } from './kafka.js';
import { createNdjsonSink, ndjsonSchema } from './ndjson.js';
import { createSentinelSink, sentinelSchema } from './sentinel.js';
import type { DeliveryOptions } from './delivery.js';
import type { Sink, SinkContext } from './sink.js';
import { createStdoutSink, stdoutSchema } from './stdout.js';
import { createWebhookSink, webhookSchema } from './webhook.js';

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
export function buildSinks(config: SinksConfig, ctx: Context): Sink[] {
  const built: Sink[] = [];
  const add = <C extends { name?: string | undefined }>(kind: string, entries: C[], create: (c: C, ctx: SinkContext) => Sink) => {
    entries.forEach((c, i) => {
      const name = sinkName(kind, i, c);
      if (built.some((s) => s.name === name)) {
        throw new AuditlakeError('bad_config', `sinks.${kind}.${i}.name: '${name}' is already the name of another sink`);
      }
      built.push(create(c, { ...ctx, name }));
    });
  };
  add('sentinel', config.sentinel, createSentinelSink);
  add('webhook', config.webhook, createWebhookSink);
  add('ndjson', config.ndjson, createNdjsonSink);
  add('stdout', config.stdout, createStdoutSink);
  add('kafka', config.kafka, createKafkaSink);
  return built;
}

/** The names `buildSinks` would give, without building anything (for `alerts --pending`). */
export function sinkNames(config: SinksConfig): string[] {
  return (Object.keys(config) as Array<keyof SinksConfig>).flatMap((kind) =>
    config[kind].map((c, i) => sinkName(kind, i, c)));
}
