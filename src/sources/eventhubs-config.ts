/**
 * `sources.eventhubs` in auditlake.yaml: its schema, and the names positions are stored under.
 * No SDK: config validation loads this; eventhubs.ts, which consumes, loads @azure/event-hubs.
 */
import { z } from 'zod';
import { AuditlakeError } from '../errors.js';

const blobCheckpointsSchema = z.strictObject({
  store: z.literal('blob'),
  /** `https://<account>.blob.core.windows.net/<container>` (managed identity), or a connection string + container. */
  containerUrl: z.url().optional(),
  connectionString: z.string().min(1).optional(),
  container: z.string().min(3).optional(),
  strategy: z.enum(['balanced', 'greedy']).default('greedy'),
  updateIntervalSeconds: z.number().min(1).max(300).default(10),
  /** An instance that stops renewing for this long loses its partitions to the others. */
  ownershipExpirationSeconds: z.number().min(5).max(3600).default(60),
}).refine((c) => Boolean(c.containerUrl) !== Boolean(c.connectionString && c.container), {
  message: 'give either containerUrl, or connectionString and container',
});

/**
 * A host name, as namespaceOf reads it: optionally `sb://` before it and a port after it (a
 * local peer). Not a URL with a path, a connection string, or a name with spaces.
 */
const NAMESPACE_HOST = /^(?:sb:\/\/)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::\d{1,5})?\/?$/;

export const eventhubsSchema = z.strictObject({
  /** `<namespace>.servicebus.windows.net`; authenticated with the configured Azure credential. */
  fullyQualifiedNamespace: z.string().regex(NAMESPACE_HOST, 'expected a host name like <namespace>.servicebus.windows.net').optional(),
  /** Accepted, but a managed identity is better: keys leak and do not expire. */
  connectionString: z.string().min(1).optional(),
  // A hub listed twice would get two consumers in one group, each storing the other's positions.
  hubs: z.array(z.string().min(1)).min(1).superRefine((hubs, ctx) => {
    hubs.forEach((hub, i) => {
      if (hubs.indexOf(hub) < i) ctx.addIssue({ code: 'custom', path: [i], message: `'${hub}' is listed already (hubs.${hubs.indexOf(hub)})` });
    });
  }),
  consumerGroup: z.string().min(1).default('$Default'),
  /** Where a partition with no stored position starts: a fresh deployment takes what the hub still retains. */
  startPosition: z.enum(['earliest', 'latest']).default('earliest'),
  /**
   * Events the client asks for ahead per partition (diagnostic bodies run up to 1 MB). Lower it
   * for large bodies: the client adds this much credit per short receive, so a lagging sender
   * can leave it holding more (bench/RESULTS.md).
   */
  prefetchCount: z.int().min(1).max(5000).default(64),
  maxBatchSize: z.int().min(1).max(5000).default(32),
  maxWaitTimeSeconds: z.number().min(0.05).max(60).default(1),
  checkpoints: z.union([z.strictObject({ store: z.literal('local') }), blobCheckpointsSchema]).default({ store: 'local' }),
}).refine((c) => Boolean(c.fullyQualifiedNamespace) !== Boolean(c.connectionString), {
  message: 'give either fullyQualifiedNamespace (with a managed identity or other Azure credential) or connectionString',
});

export type EventHubsConfig = z.infer<typeof eventhubsSchema>;

/** `sb://host:port/` or `host` → `host`: positions must not depend on the port a test peer got. */
export function namespaceOf(config: EventHubsConfig): string {
  if (config.fullyQualifiedNamespace) return config.fullyQualifiedNamespace.replace(/^\w+:\/\//, '').replace(/[:/].*$/, '');
  const endpoint = /(?:^|;)\s*Endpoint=([^;]+)/i.exec(config.connectionString ?? '')?.[1];
  if (!endpoint) throw new AuditlakeError('bad_config', 'sources.eventhubs: the connection string has no Endpoint=sb://<namespace>/');
  return endpoint.replace(/^\w+:\/\//, '').replace(/[:/].*$/, '');
}

/** The `checkpoints.source` of one hub and consumer group. */
export function checkpointSource(namespace: string, hub: string, consumerGroup: string): string {
  return `eventhubs:${namespace}/${hub}/${consumerGroup}`;
}
